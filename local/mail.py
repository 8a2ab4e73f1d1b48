"""The e-mails the local stack's emulated SES has taken: list them, show one, save them.

    python -m local.mail [--endpoint http://127.0.0.1:4566] [--show N] [--save DIR]

Lists each e-mail with its number, recipients, subject and attachment names. --show N prints e-mail N's
headers, its text part and its calendar (.ics) attachment; --save DIR writes every e-mail as DIR/N.eml and
its attachments beside it as DIR/N-<name>. The emulator keeps no times: the numbers are the order it took
raw e-mails in, then plain ones.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"


def fetch_state(endpoint: str) -> Dict[str, Any]:
    """Everything the emulator holds, as its state document (one request; it is served in one go)."""
    with urllib.request.urlopen(endpoint.rstrip("/") + "/moto-api/data.json", timeout=60) as response:
        return json.load(response)


def sent_emails(state: Dict[str, Any]) -> List[EmailMessage]:
    """The e-mails SES took: raw ones as sent, plain ones rebuilt as a message."""
    ses = state.get("ses", {})
    emails = [_parse(raw["raw_data"], raw.get("destinations")) for raw in ses.get("RawMessage", [])]
    emails.extend(_plain(sent) for sent in ses.get("Message", []))
    return emails


def _parse(raw: str, destinations: Optional[List[str]]) -> EmailMessage:
    email = message_from_bytes(raw.encode("utf-8", errors="surrogateescape"), policy=policy.default)
    if "To" not in email and destinations:
        email["To"] = ", ".join(destinations)
    return email  # type: ignore[return-value]


def _plain(sent: Dict[str, Any]) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sent.get("source", "")
    email["To"] = ", ".join(sent.get("destinations", {}).get("ToAddresses", []))
    email["Subject"] = sent.get("subject", "")
    email.set_content(sent.get("body", ""))
    return email


def attachments(email: EmailMessage) -> List[Tuple[str, bytes]]:
    """(file name, content) of each attachment, in order."""
    found = []
    for part in email.iter_attachments():
        name = part.get_filename() or f"attachment.{part.get_content_subtype()}"
        found.append((name, part.get_payload(decode=True) or b""))
    return found


def text_of(email: EmailMessage) -> str:
    """The e-mail's text part (its HTML one if it has none)."""
    body = email.get_body(preferencelist=("plain", "html"))
    return body.get_content() if body is not None else ""


def listing(emails: List[EmailMessage]) -> str:
    """One line per e-mail: number, recipients, subject, attachments."""
    if not emails:
        return "no e-mails sent yet"
    lines = []
    for number, email in enumerate(emails, start=1):
        names = ", ".join(name for name, _ in attachments(email))
        lines.append(f"{number:>4}  to {email.get('To', '?')}  |  {email.get('Subject', '')}"
                     + (f"  [{names}]" if names else ""))
    return "\n".join(lines)


def show(email: EmailMessage) -> str:
    """The e-mail's headers, text and calendar attachments, for reading."""
    out = [f"{header}: {email.get(header, '')}" for header in ("From", "To", "Subject")]
    out += ["", text_of(email).rstrip()]
    for name, content in attachments(email):
        if name.lower().endswith(".ics"):
            out += ["", f"--- {name} ---", content.decode("utf-8", errors="replace").rstrip()]
        else:
            out += ["", f"--- {name} ({len(content)} bytes) ---"]
    return "\n".join(out)


def save(emails: List[EmailMessage], directory: Path) -> List[Path]:
    """Write each e-mail as N.eml and its attachments as N-<name>; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for number, email in enumerate(emails, start=1):
        path = directory / f"{number}.eml"
        path.write_bytes(email.as_bytes(policy=policy.SMTP))
        written.append(path)
        for name, content in attachments(email):
            attachment = directory / f"{number}-{Path(name).name}"
            attachment.write_bytes(content)
            written.append(attachment)
    return written


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.mail", description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT, help=f"emulated AWS (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--show", type=int, metavar="N", help="print e-mail N: text part and .ics")
    parser.add_argument("--save", type=Path, metavar="DIR", help="write every e-mail as DIR/N.eml, attachments beside")
    args = parser.parse_args(argv)
    try:
        emails = sent_emails(fetch_state(args.endpoint))
    except (urllib.error.URLError, OSError, ValueError) as error:
        print(f"cannot read the e-mails from {args.endpoint}: {error}", file=sys.stderr)
        return 1
    if args.show is not None:
        if not 1 <= args.show <= len(emails):
            print(f"no e-mail {args.show}: there are {len(emails)}", file=sys.stderr)
            return 1
        print(show(emails[args.show - 1]))
    if args.save is not None:
        written = save(emails, args.save)
        print(f"{len(emails)} e-mail(s), {len(written)} file(s) written to {args.save}")
    if args.show is None and args.save is None:
        print(listing(emails))
    return 0


if __name__ == "__main__":
    sys.exit(main())
