"""E-mails as MIME: a text part, an HTML part with every user-given text escaped, and the booking's .ics."""
from __future__ import annotations

import html
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import Optional


def _header_text(value: str) -> str:
    # A subject is one line: line breaks in user text (a provider's name) must not start a new header.
    return " ".join(value.split())


def compose(sender: str, recipient: str, subject: str, text: str, ics: Optional[bytes] = None,
            ics_name: str = "booking.ics") -> bytes:
    """The full message: multipart/alternative (text, HTML) and, if given, the .ics attached."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = _header_text(subject)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text + "\n")
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())
    message.add_alternative(
        "<!DOCTYPE html><html><body style=\"font-family: sans-serif\">"
        f"<h2>{html.escape(_header_text(subject))}</h2>{paragraphs}</body></html>\n", subtype="html")
    if ics is not None:
        message.add_attachment(ics, maintype="text", subtype="calendar", filename=ics_name,
                               params={"method": "PUBLISH"})
    return message.as_bytes()
