"""Bookings as iCalendar (RFC 5545) events: one booking's calendar file, and a provider's feed (pure)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import List, Optional
from zoneinfo import ZoneInfo

from chalicelib.domain import entities

PRODUCT_ID = "-//Booking marketplace//Bookings//EN"
UID_DOMAIN = "marketplace"
FEED_REFRESH = timedelta(minutes=15)
EVENT_STATUS = {entities.PENDING: "TENTATIVE", entities.CONFIRMED: "CONFIRMED", entities.CANCELED: "CANCELLED",
                entities.DECLINED: "CANCELLED"}


# Every character str.splitlines() breaks at but CR and LF (which the library escapes as \n): a reader that
# splits lines that way must not find a new property inside a value, so they become line breaks of the text.
_OTHER_LINE_BREAKS = dict.fromkeys(map(ord, "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), "\n")
# RFC 5545 TEXT holds no control character but HTAB (CR and LF are escaped); any other is dropped.
_DROPPED = dict.fromkeys([*range(0x00, 0x09), *range(0x0e, 0x1c), 0x1f, *range(0x7f, 0x85), *range(0x86, 0xa0)])


def calendar_text(value: str) -> str:
    """User text as an iCalendar TEXT value can hold it; the library then escapes \\ ; , and line breaks."""
    return value.translate(_OTHER_LINE_BREAKS).translate(_DROPPED)


@dataclass(frozen=True)
class CalendarEntry:
    """One booking as a calendar event: its status is the booking's, its times are shown in `zone`."""

    booking_id: str
    status: str
    start: datetime
    end: datetime
    zone: str
    sequence: int
    summary: str
    description: str
    location: Optional[str]
    stamp: datetime


def entry_of(booking: entities.Booking, provider: entities.Provider, service_name: str, stamp: datetime) -> CalendarEntry:
    """The calendar entry of a booking, on its provider's current clock; `stamp` is when it is written out."""
    lines = [f"Booking {booking.booking_id} ({booking.status.lower()})"]
    if booking.note:
        lines.append(f"Note: {booking.note}")
    if booking.reason:
        lines.append(f"Reason: {booking.reason}")
    return CalendarEntry(
        booking_id=booking.booking_id, status=booking.status, start=booking.start, end=booking.end,
        zone=provider.timezone, sequence=booking.version, summary=f"{service_name} at {provider.name}",
        description="\n".join(lines), location=provider.address, stamp=stamp)


def booking_calendar(entry: CalendarEntry) -> bytes:
    """A calendar holding the one event of a booking (METHOD:PUBLISH), with the time zone it uses."""
    calendar = _calendar()
    calendar.add_component(_event(entry))
    return _finished(calendar, [entry])


def feed_calendar(name: str, entries: List[CalendarEntry]) -> bytes:
    """A subscription calendar named `name` holding these entries; calendar apps poll it every 15 minutes."""
    from icalendar import vDuration, vText

    calendar = _calendar()
    # NAME is RFC 7986's; X-WR-CALNAME is what most calendar apps read. vText: escaped as text, not raw.
    calendar.add("name", vText(calendar_text(name)))
    calendar.add("x-wr-calname", vText(calendar_text(name)))
    calendar.add("refresh-interval", vDuration(FEED_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for entry in entries:
        calendar.add_component(_event(entry))
    return _finished(calendar, entries)


def _calendar():
    from icalendar import Calendar  # on first use: only the calendar routes pay for the import

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    return calendar


def _event(entry: CalendarEntry):
    from icalendar import Event

    zone = ZoneInfo(entry.zone)
    event = Event()
    event.add("uid", f"{entry.booking_id}@{UID_DOMAIN}")
    event.add("dtstamp", entry.stamp.astimezone(timezone.utc))
    event.add("sequence", entry.sequence)
    event.add("dtstart", entry.start.astimezone(zone))
    event.add("dtend", entry.end.astimezone(zone))
    event.add("status", EVENT_STATUS[entry.status])
    event.add("summary", calendar_text(entry.summary))
    if entry.description:
        event.add("description", calendar_text(entry.description))
    if entry.location:
        event.add("location", calendar_text(entry.location))
    return event


def _finished(calendar, entries: List[CalendarEntry]) -> bytes:
    """The calendar as bytes, with a VTIMEZONE for each zone its events use, covering their years."""
    if entries:
        # The library's default window ends in 2038; one that spans the events keeps the file small.
        first = min(entry.start for entry in entries).year - 1
        last = max(entry.end for entry in entries).year + 2
        calendar.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last, 1, 1))
    return calendar.to_ical()
