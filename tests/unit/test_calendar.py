"""Bookings as iCalendar events (pure), read back with vobject, a parser independent of the one that writes them."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest
import vobject

from chalicelib.domain.calendar import booking_calendar, entry_of, feed_calendar
from chalicelib.domain.entities import CANCELED, CONFIRMED, DECLINED, PENDING, Booking, Provider, Rules

UTC = timezone.utc
STAMP = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def provider(zone: str = "Europe/London", name: str = "Spa", address: str = "1 Spa Row") -> Provider:
    return Provider(provider_id="p-1", owner_id="owner", name=name, description="", categories=["massage"], lat=0.0,
                    lon=0.0, address=address, timezone=zone, rules=Rules(), rating=None, review_count=0,
                    horizon_end=None, created_at="", updated_at="", version=1)


def booking(start: str, end: str, status: str = CONFIRMED, version: int = 1, **fields) -> Booking:
    """A booking stored in UTC (`start`, `end` as '2026-10-24T09:00')."""
    return Booking(booking_id="b-1", status=status, provider_id="p-1", service_id="s-1", customer_id="alice",
                   start=utc(start), end=utc(end), occupied_until=utc(end), timezone="UTC", note=fields.get("note"),
                   reason=fields.get("reason"), created_at="", updated_at="", version=version)


def ics(a_booking: Booking, a_provider: Provider = None, service_name: str = "Massage") -> bytes:
    return booking_calendar(entry_of(a_booking, a_provider or provider(), service_name, STAMP))


def read(data: bytes):
    """The calendar as vobject reads it; each content line ends in CRLF and holds no other line break."""
    text = data.decode("utf-8")
    assert text.endswith("\r\n") and "\r" not in text.replace("\r\n", "") and "\n" not in text.replace("\r\n", "")
    return vobject.readOne(text)


def start_and_end_in_utc(calendar, event=None):
    """DTSTART and DTEND in UTC, read through the calendar's own VTIMEZONE, which must name the event's TZID."""
    event = event or calendar.vevent
    zone = calendar.vtimezone
    assert event.dtstart.params.get("X-VOBJ-ORIGINAL-TZID") == [zone.tzid.value]
    rules = zone.gettzinfo()
    return tuple(line.value.replace(tzinfo=rules).astimezone(UTC) for line in (event.dtstart, event.dtend))


def local_start(event) -> str:
    return event.dtstart.value.strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("zone, start, end, local, start_utc", [
    # London on the Saturday before the clocks go back (BST, +01:00) and on the Sunday after (GMT)
    ("Europe/London", "2026-10-24T09:00", "2026-10-24T10:00", "2026-10-24T10:00", "2026-10-24T09:00"),
    ("Europe/London", "2026-10-25T10:00", "2026-10-25T11:00", "2026-10-25T10:00", "2026-10-25T10:00"),
    # Kathmandu is 5 h 45 min ahead all year
    ("Asia/Kathmandu", "2026-12-02T04:15", "2026-12-02T05:15", "2026-12-02T10:00", "2026-12-02T04:15"),
    # Lord Howe moves by 30 minutes: +10:30 until the first Sunday of October, +11:00 after
    ("Australia/Lord_Howe", "2026-10-02T23:30", "2026-10-03T00:30", "2026-10-03T10:00", "2026-10-02T23:30"),
    ("Australia/Lord_Howe", "2026-10-04T23:00", "2026-10-05T00:00", "2026-10-05T10:00", "2026-10-04T23:00"),
])
def test_the_event_is_at_the_booked_instant_on_the_providers_clock(zone, start, end, local, start_utc):
    calendar = read(ics(booking(start, end), provider(zone)))
    assert calendar.vtimezone.tzid.value == zone
    assert local_start(calendar.vevent) == local
    assert start_and_end_in_utc(calendar) == (utc(start_utc), utc(end))


def test_the_event_is_shown_in_the_providers_current_zone_whatever_the_booking_was_made_in():
    made_in_london = dataclasses.replace(booking("2026-12-02T10:00", "2026-12-02T11:00"), timezone="Europe/London")
    calendar = read(ics(made_in_london, provider("America/New_York")))
    assert calendar.vtimezone.tzid.value == "America/New_York" and local_start(calendar.vevent) == "2026-12-02T05:00"
    assert start_and_end_in_utc(calendar)[0] == utc("2026-12-02T10:00")


def test_one_published_event_with_what_a_calendar_app_shows():
    calendar = read(ics(booking("2026-12-02T10:00", "2026-12-02T11:00", note="Ring twice"), service_name="Massage"))
    assert calendar.method.value == "PUBLISH" and calendar.version.value == "2.0"
    assert len(calendar.contents["vevent"]) == 1
    event = calendar.vevent
    assert event.uid.value == "b-1@marketplace"
    assert event.summary.value == "Massage at Spa"
    assert event.location.value == "1 Spa Row"
    assert "Ring twice" in event.description.value
    assert event.dtstamp.value == STAMP


def test_a_provider_without_an_address_gives_no_location():
    calendar = read(ics(booking("2026-12-02T10:00", "2026-12-02T11:00"), provider(address=None)))
    assert "location" not in calendar.vevent.contents


def test_the_uid_stays_and_the_sequence_rises_across_a_reschedule_and_a_cancel():
    first = booking("2026-12-02T10:00", "2026-12-02T11:00", version=1)
    moved = dataclasses.replace(first, start=utc("2026-12-03T14:00"), end=utc("2026-12-03T15:00"), version=2)
    canceled = dataclasses.replace(moved, status=CANCELED, reason="ill", version=3)
    events = [read(ics(b)).vevent for b in (first, moved, canceled)]
    assert {event.uid.value for event in events} == {"b-1@marketplace"}
    assert [int(event.sequence.value) for event in events] == [1, 2, 3]
    assert local_start(events[1]) == "2026-12-03T14:00"
    assert events[2].status.value == "CANCELLED" and "ill" in events[2].description.value


@pytest.mark.parametrize("status, shown", [
    (CONFIRMED, "CONFIRMED"), (PENDING, "TENTATIVE"), (CANCELED, "CANCELLED"), (DECLINED, "CANCELLED")])
def test_the_status_is_the_bookings(status, shown):
    assert read(ics(booking("2026-12-02T10:00", "2026-12-02T11:00", status=status))).vevent.status.value == shown


def test_text_cannot_add_properties_or_events():
    name = 'Spa; "Best", \\ really\r\nATTENDEE:mailto:evil@example.test'
    address = "1 Spa Row,\nLondon; UK\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil"
    note = "Ring twice;\r\nDTSTART:19700101T000000Z"
    data = ics(booking("2026-12-02T10:00", "2026-12-02T11:00", note=note), provider(name=name, address=address),
               service_name="Massage, deep;\nSTATUS:CANCELLED")
    calendar = read(data)
    assert len(calendar.contents["vevent"]) == 1
    event = calendar.vevent
    assert set(event.contents) == {"uid", "dtstamp", "sequence", "dtstart", "dtend", "status", "summary",
                                   "description", "location"}
    assert [line.value for line in event.contents["status"]] == ["CONFIRMED"]
    # The library writes a line break as \n and reads it back as one (a CRLF becomes LF)
    assert event.summary.value == ('Massage, deep;\nSTATUS:CANCELLED at Spa; "Best", \\ really\n'
                                   'ATTENDEE:mailto:evil@example.test')
    assert event.location.value == address.replace("\r\n", "\n")
    assert "Ring twice;\nDTSTART:19700101T000000Z" in event.description.value
    assert local_start(event) == "2026-12-02T10:00"


def test_a_feed_is_named_refreshed_every_15_minutes_and_holds_each_entry():
    spa = provider("Europe/London")
    entries = [entry_of(booking("2026-10-24T09:00", "2026-10-24T10:00"), spa, "Massage", STAMP),
               entry_of(dataclasses.replace(booking("2026-10-26T10:00", "2026-10-26T11:00", status=PENDING),
                                            booking_id="b-2"), spa, "Facial", STAMP)]
    calendar = read(feed_calendar("Spa", entries))
    assert calendar.x_wr_calname.value == "Spa"
    assert calendar.contents["refresh-interval"][0].value == "PT15M"
    assert calendar.contents["refresh-interval"][0].params.get("VALUE") == ["DURATION"]
    assert calendar.x_published_ttl.value == "PT15M"
    events = {event.uid.value: event for event in calendar.contents["vevent"]}
    assert set(events) == {"b-1@marketplace", "b-2@marketplace"}
    assert start_and_end_in_utc(calendar, events["b-1@marketplace"])[0] == utc("2026-10-24T09:00")
    assert start_and_end_in_utc(calendar, events["b-2@marketplace"])[0] == utc("2026-10-26T10:00")
    assert events["b-2@marketplace"].status.value == "TENTATIVE"
    assert events["b-2@marketplace"].summary.value == "Facial at Spa"
    assert len(calendar.contents["vtimezone"]) == 1


def test_a_feed_name_cannot_add_properties():
    calendar = read(feed_calendar('My Spa; "the best",\r\nX-WR-TIMEZONE:Mars/Olympus', []))
    assert calendar.x_wr_calname.value == 'My Spa; "the best",\nX-WR-TIMEZONE:Mars/Olympus'
    assert "x-wr-timezone" not in calendar.contents and "vevent" not in calendar.contents


def test_an_empty_feed_is_a_valid_calendar():
    calendar = read(feed_calendar("Spa", []))
    assert calendar.prodid.value and "vtimezone" not in calendar.contents
