"""User text stays text: escaped in e-mails' HTML, never in a mail header, and one TEXT value in .ics files.

The .ics checks read the files with the tiny parser below (unfold, split at CRLF, name up to the first `:` or
`;`), the way the simplest calendar reader would, so an escape the writer forgot shows as a new property.
"""
from __future__ import annotations

import dataclasses
import email
import re
from email import policy
from typing import Dict, List, Tuple

import pytest

from chalicelib.domain import events
from chalicelib.domain.calendar import booking_calendar, entry_of, feed_calendar
from chalicelib.domain.mail import compose
from chalicelib.domain.model import CancelBooking
from chalicelib.service import bookings, notifications, stores
from tests.unit.conftest import ALICE
from tests.unit.fakes_inbox import FakeInbox
from tests.unit.fakes_notify import FakeDeliveries, FakeDirectory, FakeMail, FakePush
from tests.unit.test_calendar import STAMP, booking, provider

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HEADER = "ill\r\nBcc: x@evil.example\r\n\r\nInjected body"
PAYLOADS = [SCRIPT, IMG, HEADER, "a & b 'quoted' \"double\""]
MAIL_HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"}


# ---- e-mails -----------------------------------------------------------------------------------------------

def parts(raw: bytes) -> Tuple[email.message.EmailMessage, str, str]:
    message = email.message_from_bytes(raw, policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return message, text, html


def html_text_is_escaped(html: str) -> None:
    """No markup in the HTML part but the template's own."""
    tags = set(re.findall(r"<\s*/?\s*([A-Za-z!][A-Za-z0-9]*)", html))
    assert tags <= {"!DOCTYPE", "html", "body", "h2", "p"}, tags


@pytest.mark.parametrize("payload", PAYLOADS)
def test_compose_escapes_user_text_in_html_and_keeps_it_out_of_headers(payload):
    raw = compose("bookings@marketplace.example", "ann@example.test", f"Booking at {payload}",
                  f"Massage at {payload} was canceled. Reason: {payload}")
    message, text, html = parts(raw)
    assert set(message.keys()) == MAIL_HEADERS
    assert "\r" not in message["Subject"] and "\n" not in message["Subject"]
    assert message["Bcc"] is None and message["To"] == "ann@example.test"
    html_text_is_escaped(html)
    assert payload.replace("\r\n", "\n").split("\n")[0] in text  # the text part keeps it as written


def test_compose_refuses_a_recipient_that_would_add_a_header():
    with pytest.raises(ValueError):
        compose("bookings@marketplace.example", "ann@example.test\r\nBcc: x@evil.example", "Booking", "Hello")


@pytest.fixture()
def channels(state):
    mail = FakeMail()
    with stores.using(inbox=FakeInbox(), deliveries=FakeDeliveries(), mail=mail, push=FakePush(),
                      directory=FakeDirectory({ALICE.user_id: "alice@example.test"})):
        yield mail


def test_a_cancellation_e_mail_escapes_the_provider_service_and_reason(state, shop, channels):
    # Given a provider and a service named with markup, and a booking with a note
    pid, sid = shop.pid, shop.sid
    state.providers[pid] = dataclasses.replace(state.providers[pid], name=IMG)
    state.services[pid][sid] = dataclasses.replace(state.services[pid][sid], name=SCRIPT)
    answer = shop.book(ALICE, "2026-12-03T10:00:00Z", note=f"Gate {SCRIPT}\r\nEND:VEVENT")
    booking_id = answer.body["booking_id"]
    # When Alice cancels with a reason that tries to add a header and a body
    before = state.bookings[booking_id]
    bookings.cancel(ALICE, booking_id, CancelBooking(reason=HEADER))
    [event] = events.changes_of_booking(before, state.bookings[booking_id])
    notifications.notify(event)
    # Then her e-mail has the product's headers only, and the HTML shows the text, escaped
    message, text, html = parts(dict(channels.sent)["alice@example.test"])
    assert set(message.keys()) == MAIL_HEADERS and message["Subject"] == "Booking canceled"
    html_text_is_escaped(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Bcc: x@evil.example" in html  # as text, inside a paragraph
    assert SCRIPT in text and "Reason: ill" in text
    # And the .ics it carries holds one event with the note as one DESCRIPTION
    [ics] = [p.get_content() for p in message.walk() if p.get_filename() == "booking.ics"]
    [event_lines] = vevents(parse_ics(ics if isinstance(ics, bytes) else ics.encode()))
    assert [name for name, _ in event_lines].count("DESCRIPTION") == 1
    assert "END" not in [name for name, _ in event_lines]


# ---- .ics files --------------------------------------------------------------------------------------------

def parse_ics(data: bytes) -> List[Tuple[str, str]]:
    """(name, raw value) of each content line: RFC 5545 3.1 unfolding, CRLF line ends, every line <= 75 octets."""
    assert data.endswith(b"\r\n")
    for physical in data.split(b"\r\n")[:-1]:
        assert len(physical) <= 75, physical
        # A fold never splits a character; and a reader splitting lines as str.splitlines() does (at U+2028, VT,
        # FF, NEL, ... too) sees the same lines
        assert len(physical.decode("utf-8").splitlines()) <= 1, physical
    unfolded = re.sub(rb"\r\n[ \t]", b"", data).decode("utf-8")
    lines = []
    for line in unfolded.split("\r\n")[:-1]:
        name, value = re.match(r"([A-Za-z0-9-]+)(?:;[^:]*)?:(.*)", line).groups()
        lines.append((name.upper(), value))
    return lines


def vevents(lines: List[Tuple[str, str]]) -> List[List[Tuple[str, str]]]:
    """The content lines of each VEVENT."""
    found, current = [], None
    for name, value in lines:
        if (name, value) == ("BEGIN", "VEVENT"):
            current = []
        elif (name, value) == ("END", "VEVENT"):
            found.append(current)
            current = None
        elif current is not None:
            current.append((name, value))
    return found


def unescaped(value: str) -> str:
    """An RFC 5545 TEXT value read back."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def single(lines: List[Tuple[str, str]]) -> Dict[str, str]:
    names = [name for name, _ in lines]
    assert len(names) == len(set(names)), names
    return dict(lines)


INJECTIONS = [
    "Massage\r\nATTENDEE:mailto:evil@example.test",
    "Massage\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil",
    "Massage\nSTATUS:CANCELLED",
    "Massage\rDTSTART:19700101T000000Z",
    "Massage\u2028END:VEVENT\u2029BEGIN:VEVENT",
    "Massage\x0bATTENDEE:x\x0cATTENDEE:y\x85ATTENDEE:z\x1cATTENDEE:w",
]
EVENT_NAMES = {"UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "STATUS", "SUMMARY", "DESCRIPTION", "LOCATION"}


@pytest.mark.parametrize("text", INJECTIONS)
def test_a_summary_description_or_location_stays_one_property(text):
    data = booking_calendar(entry_of(booking("2026-12-02T10:00", "2026-12-02T11:00", note=text, reason=text),
                                     provider(name="Spa", address=text), text, STAMP))
    [event] = vevents(parse_ics(data))
    values = single(event)
    assert set(values) == EVENT_NAMES
    assert values["STATUS"] == "CONFIRMED"
    # Every line break of the text is an escaped \n inside the one value, read back as a line break
    first = re.split(r"[\r\n\x0b\x0c\x1c\x85\u2028\u2029]+", text)[0]
    assert unescaped(values["SUMMARY"]).startswith(first + "\n")
    assert unescaped(values["LOCATION"]).count("\n") >= 1
    assert f"Note: {first}\n" in unescaped(values["DESCRIPTION"])


def test_text_values_escape_backslash_semicolon_and_comma():
    name = 'Spa; "Best", \\ really'
    data = booking_calendar(entry_of(booking("2026-12-02T10:00", "2026-12-02T11:00", note="a;b,c\\d"),
                                     provider(name=name), "Massage", STAMP))
    values = single(vevents(parse_ics(data))[0])
    assert values["SUMMARY"] == 'Massage at Spa\\; "Best"\\, \\\\ really'
    assert unescaped(values["SUMMARY"]) == f"Massage at {name}"
    assert "Note: a\\;b\\,c\\\\d" in values["DESCRIPTION"]


def test_control_characters_are_dropped_from_text():
    data = booking_calendar(entry_of(booking("2026-12-02T10:00", "2026-12-02T11:00", note="a\x00b\x07c\x7fd\x9fe\tf"),
                                     provider(), "Massage", STAMP))
    values = single(vevents(parse_ics(data))[0])
    assert "Note: abcde\tf" in unescaped(values["DESCRIPTION"])


def test_long_lines_are_folded_at_75_octets_without_splitting_a_character():
    note = "Ünïcödé nötè 🧖 " * 40
    data = booking_calendar(entry_of(booking("2026-12-02T10:00", "2026-12-02T11:00", note=note),
                                     provider(name="Spa " + "é" * 150), "Massage", STAMP))
    assert any(line.startswith(b" ") for line in data.split(b"\r\n"))  # folded
    values = single(vevents(parse_ics(data))[0])  # parse_ics checks the 75 octets and the UTF-8 of each line
    assert f"Note: {note}" in unescaped(values["DESCRIPTION"])
    assert unescaped(values["SUMMARY"]) == "Massage at Spa " + "é" * 150


def test_a_feed_name_cannot_add_a_property_to_the_calendar():
    data = feed_calendar("Spa\r\nMETHOD:REQUEST\u2028X-EVIL:1", [])
    lines = parse_ics(data)
    assert [name for name, _ in lines].count("METHOD") == 1 and dict(lines)["METHOD"] == "PUBLISH"
    assert "X-EVIL" not in dict(lines)
    assert unescaped(dict(lines)["X-WR-CALNAME"]) == "Spa\nMETHOD:REQUEST\nX-EVIL:1"


def test_the_parser_would_see_an_unescaped_property():
    """The parser above is strict enough: a raw CRLF in a value shows as a property of its own."""
    forged = b"BEGIN:VEVENT\r\nSUMMARY:Massage\r\nATTENDEE:mailto:evil@example.test\r\nEND:VEVENT\r\n"
    assert [name for name, _ in vevents(parse_ics(forged))[0]] == ["SUMMARY", "ATTENDEE"]

