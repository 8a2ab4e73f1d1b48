"""No secret in the logs: every line a full flow writes is captured and searched for what must never be there.

The flow: real sign-in tokens used, a provider created, a booking with a note confirmed and canceled with a
reason, the stream functions run over the records (inbox, e-mail, push, SMS; SES refusing once with an error
naming the recipient, as its sandbox does), a calendar feed created and read, and failed requests (bad tokens,
a wrong feed secret, a 400, a forced 500). Captured: the Powertools logger at DEBUG (what a stage would write
with POWERTOOLS_LOG_LEVEL=DEBUG), every `logging` record at INFO and above, whatever reaches file descriptors
1 and 2 (capfd), and warnings. The AWS libraries' own DEBUG lines (botocore, PynamoDB) echo whole
requests by design; no stage turns them on, so they stay at INFO here.
"""
from __future__ import annotations

import logging
import re
import sys
import uuid
from typing import Iterator, List

import pytest

from chalicelib.observability import logger as app_logger
from chalicelib.service import stores
from tests.integration.conftest import call
from tests.integration.test_after_the_commit import manual_shop, outbox  # noqa: F401 (a fixture)

JWT_SHAPED = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")
PHONE = "+447911123456"
PUSH_TOKEN = "fcm-push-token-" + uuid.uuid4().hex
NOTE = "Gate code 4711, ring twice"
REASON = "Family emergency <script>alert(1)</script>"
PASSWORDS = ("Test-pass-2026!",)
AWS_SECRET = "testing-secret-" + uuid.uuid4().hex
QUIET_LIBRARIES = ("botocore", "boto3", "urllib3", "pynamodb", "moto", "s3transfer", "werkzeug")


class Captured:
    """Everything logged, printed or warned while the test ran."""

    def __init__(self, capfd, caplog, recwarn) -> None:
        self.capfd, self.caplog, self.recwarn = capfd, caplog, recwarn

    def text(self) -> str:
        """All of it so far, as one text."""
        out, err = self.capfd.readouterr()
        # Re-emit what was read, so that pytest still shows it when the test fails.
        sys.stdout.write(out), sys.stderr.write(err)
        records = [self.caplog.handler.format(record) for record in self.caplog.records]
        return "\n".join([out, err, *records, *(str(w.message) for w in self.recwarn.list)])


class CurrentStdout:
    """Writes to sys.stdout as it is at the moment of writing."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture()
def captured(capfd, caplog, recwarn, monkeypatch) -> Iterator[Captured]:
    """Given every log line, print and warning of this test captured, the app's logger at DEBUG."""
    # An AWS secret key in the environment, as Lambda sets one (the clients made from here on sign with it).
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    # The app's log handlers (Powertools', and Chalice's where it added one) hold the stdout of their creation,
    # maybe a capture closed since: point them at whatever stdout is when they write (capfd's during the test;
    # setStream would flush the old one first).
    handlers = [h for h in logging.getLogger(app_logger.name).handlers if type(h) is logging.StreamHandler]
    assert app_logger.registered_handler in handlers
    streams, level = [h.stream for h in handlers], app_logger.log_level
    for handler in handlers:
        handler.stream = CurrentStdout()
    app_logger.setLevel("DEBUG")
    caplog.set_level(logging.INFO)
    for name in QUIET_LIBRARIES:
        caplog.set_level(logging.INFO, logger=name)
    try:
        yield Captured(capfd, caplog, recwarn)
    finally:
        for handler, stream in zip(handlers, streams):
            handler.stream = stream
        app_logger.setLevel(level)


class SandboxedOnce:
    """SES that refuses the first message as its sandbox does, naming the recipient; then sends."""

    def __init__(self) -> None:
        self.refused = 0

    def send(self, recipient: str, message: bytes) -> str:
        from botocore.exceptions import ClientError

        from chalicelib.adapters import mail

        if not self.refused:
            self.refused += 1
            raise ClientError({"Error": {"Code": "MessageRejected", "Message": (
                "Email address is not verified. The following identities failed the check in region "
                f"EU-WEST-1: {recipient}")}}, "SendRawEmail")
        return mail.send(recipient, message)


def forbidden_in(text: str, secrets: List[str]) -> List[str]:
    """The secrets (and JWT-shaped strings) the text holds."""
    found = [secret for secret in secrets if secret and secret in text]
    return found + [f"JWT-shaped {match[:12]}..." for match in JWT_SHAPED.findall(text)]


def test_a_full_flow_logs_no_token_body_secret_phone_or_push_token(client, make_user, fixed_clock, outbox,  # noqa: F811
                                                                   captured, monkeypatch):
    secrets: List[str] = [AWS_SECRET, PHONE, PUSH_TOKEN, NOTE, REASON, *PASSWORDS]
    # Given a provider (its owner signed in with a real ID token) and a customer with a phone for push and SMS
    shop = manual_shop(client, make_user)
    customer = make_user()
    secrets += [customer.token, shop["owner"].token, customer.headers["Authorization"]]
    assert call(client, "PUT", "/v1/me/devices/phone-1", customer, {"platform": "fcm", "token": PUSH_TOKEN})[0] == 204
    assert call(client, "PUT", "/v1/me/sms", customer, {"phone": PHONE})[0] == 204
    # When the customer books with a note, the owner confirms, the customer cancels with a reason
    status, booking, _ = call(client, "POST", "/v1/bookings", customer, {
        "provider_id": shop["pid"], "service_id": shop["sid"], "start": "2026-12-03T10:00:00Z", "note": NOTE},
        {"Idempotency-Key": "hygiene"})
    assert status == 201, booking
    bid = booking["booking_id"]
    assert call(client, "POST", f"/v1/bookings/{bid}/confirm", shop["owner"])[0] == 200
    assert call(client, "GET", f"/v1/bookings/{bid}/calendar.ics", customer)[0] == 200
    assert call(client, "POST", f"/v1/bookings/{bid}/cancel", customer, {"reason": REASON})[0] == 200
    # And the stream functions deliver what followed (inbox, e-mail, push, SMS), SES refusing the first e-mail
    # with an error that names the recipient, as it does in its sandbox
    secrets += [customer.email, shop["owner"].email]
    sandbox = SandboxedOnce()
    with stores.using(mail=sandbox):
        outbox.drain()
    assert sandbox.refused == 1
    mails = outbox.mails(customer.email)
    assert len(mails) == 3 and outbox.pushes() and outbox.texts()
    for mail in mails:
        # Subjects are the product's fixed words, and the same as some log messages ("Booking confirmed"): what
        # must not appear is a subject as such (a header line or a field).
        secrets += [f"Subject: {mail['Subject']}", f'"subject": "{mail["Subject"]}"',
                    f'"subject":"{mail["Subject"]}"']
        for part in mail.walk():
            if part.get_content_type() == "text/plain":
                body = part.get_payload(decode=True).decode()
                secrets += [line.strip() for line in body.splitlines() if len(line.strip()) > 20]
    # And the owner creates the calendar feed and a calendar app reads it
    status, feed, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/calendar-feed", shop["owner"],
                           headers={"Host": "api.hygiene.test"})
    assert status == 200, feed
    feed_secret = feed["url"].rsplit("/", 1)[1]
    secrets.append(feed_secret)
    status, ics, _ = call(client, "GET", f"/v1/calendar-feeds/{shop['pid']}/{feed_secret}")
    assert status == 200 and "BEGIN:VCALENDAR" in ics
    # And requests fail: a forged token, a token cut short, a 4xx with the secret in the path, a forced 500
    forged = customer.token[:-8] + "AAAAAAAA"
    secrets.append(forged)
    assert call(client, "GET", "/v1/me/bookings", headers={"Authorization": f"Bearer {forged}"})[0] == 401
    assert call(client, "GET", "/v1/me/bookings", headers={"Authorization": f"Bearer {customer.token[:40]}"})[0] == 401
    assert call(client, "GET", f"/v1/calendar-feeds/{shop['pid']}/{feed_secret}x")[0] == 404
    assert call(client, "PUT", "/v1/me/sms", customer, {"phone": PHONE + "99999"})[0] == 400
    from chalicelib.service import inbox

    def broken(*args, **kwargs):
        raise RuntimeError("forced failure")

    monkeypatch.setattr(inbox, "list_mine", broken)
    status, answer, _ = call(client, "GET", "/v1/me/notifications", customer)
    assert status == 500 and "forced failure" not in str(answer)  # nor does the answer tell the error
    monkeypatch.undo()
    # Then the captured output holds none of them, and it did capture the flow
    text = captured.text()
    assert "Request handled" in text and "Notification delivered" in text, "the capture took nothing"
    assert "Notification failed" in text
    leaked = forbidden_in(text, secrets)
    assert not leaked, f"in the logs: {leaked}"
    assert "<address>" in text  # the refusal was logged, without the address


def test_the_jwt_pattern_finds_a_token():
    token = "eyJraWQiOiJkdW1teSJ9.eyJzdWIiOiJhIn0.c2ln"
    assert forbidden_in(f"x {token} y", []) and not forbidden_in("nothing here", [])


def test_the_local_servers_access_line_masks_the_calendar_feed_secret(capsys):
    from local import api_server

    # Given a request for a feed as the local server saw it
    handler = api_server.ContractRequestHandler.__new__(api_server.ContractRequestHandler)
    handler.command, handler.request_version, handler.client_address = "GET", "HTTP/1.1", ("127.0.0.1", 5000)
    handler.path = "/v1/calendar-feeds/p-1/s3cr3t-feed-key"
    handler.requestline = f"GET {handler.path} HTTP/1.1"
    # When it writes its access line
    handler.log_request(200)
    # Then the line names the route, not the key
    line = capsys.readouterr().err
    assert "/v1/calendar-feeds/p-1/<secret>" in line and "s3cr3t-feed-key" not in line and " 200 " in line
    assert api_server.loggable_path("/api/v1/calendar-feeds/p-1/key?x=1") == "/api/v1/calendar-feeds/p-1/<secret>?x=1"
    assert api_server.loggable_path("/v1/providers/p-1/calendar-feed") == "/v1/providers/p-1/calendar-feed"
