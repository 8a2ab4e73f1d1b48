"""Who hears of an event, in what words, and when reminders fall due (pure, no I/O)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo

from chalicelib.domain import entities, events
from chalicelib.domain.timegrid import parse_instant

REMINDER_LEAD = timedelta(hours=24)

# Notification types of the contract.
BOOKING_CONFIRMED = "booking_confirmed"
BOOKING_PENDING = "booking_pending"
BOOKING_DECLINED = "booking_declined"
BOOKING_CANCELED = "booking_canceled"
BOOKING_RESCHEDULED = "booking_rescheduled"
BOOKING_REMINDER = "booking_reminder"
BOOKING_REQUESTED = "booking_requested"
BOOKING_CREATED = "booking_created"
NOTIFICATION_TYPES = (BOOKING_CONFIRMED, BOOKING_PENDING, BOOKING_DECLINED, BOOKING_CANCELED, BOOKING_RESCHEDULED,
                      BOOKING_REMINDER, BOOKING_REQUESTED, BOOKING_CREATED)

CUSTOMER, OWNER = events.CUSTOMER, events.OWNER


@dataclass(frozen=True)
class Notification:
    """One entry of a user's inbox."""

    user_id: str
    notification_id: str
    type: str
    booking_id: Optional[str]
    title: str
    body: str
    created_at: str
    event_id: str
    read: bool = False


@dataclass(frozen=True)
class Device:
    """A phone a user registered for push."""

    device_id: str
    platform: str  # apns | fcm
    token: str
    updated_at: str = ""


@dataclass(frozen=True)
class Contacts:
    """Where a user asked to be reached beyond the inbox: phones for push, a number for SMS."""

    devices: List[Device] = field(default_factory=list)
    phone: Optional[str] = None


@dataclass(frozen=True)
class Notice:
    """One notification to send: to whom (by role) and of what type."""

    role: str  # customer | owner
    type: str


def reminder_due(booking: entities.Booking) -> Optional[datetime]:
    """When the booking's reminder falls due, while one is to be sent; else None.

    None for a booking that is not active, whose reminder went out for this start, or that was made or
    moved less than REMINDER_LEAD before its start (its confirmation is the reminder).
    """
    if booking.status not in entities.ACTIVE_STATUSES:
        return None
    due = booking.start - REMINDER_LEAD
    if booking.reminded_start is not None and parse_instant(booking.reminded_start, "reminded_start") == booking.start:
        return None
    if due < parse_instant(booking.updated_at, "updated_at"):
        return None
    return due


def notices_of(event: events.Event) -> List[Notice]:
    """Who is told of an event, and with which notification type (the contract's table)."""
    if not isinstance(event, events.BookingEvent):
        return []
    status = (event.after or {}).get("status")
    if isinstance(event, events.BookingCreated):
        if status == entities.CONFIRMED:
            return [Notice(CUSTOMER, BOOKING_CONFIRMED), Notice(OWNER, BOOKING_CREATED)]
        return [Notice(CUSTOMER, BOOKING_PENDING), Notice(OWNER, BOOKING_REQUESTED)]
    if isinstance(event, events.BookingConfirmed):
        return [Notice(CUSTOMER, BOOKING_CONFIRMED)]
    if isinstance(event, events.BookingDeclined):
        return [Notice(CUSTOMER, BOOKING_DECLINED)]
    if isinstance(event, events.BookingCanceled):
        return [Notice(CUSTOMER, BOOKING_CANCELED), Notice(OWNER, BOOKING_CANCELED)]
    if isinstance(event, events.BookingRescheduled):
        return [Notice(CUSTOMER, BOOKING_RESCHEDULED), Notice(OWNER, BOOKING_RESCHEDULED)]
    if isinstance(event, events.BookingReminderDue):
        return [Notice(CUSTOMER, BOOKING_REMINDER)]
    return []


def notification_id(event: events.Event, user_id: str, notice_type: str) -> str:
    """The inbox id of one notice of one event: sorts by the event's time, the same on every delivery."""
    digest = hashlib.sha256(f"{event.event_id}|{user_id}|{notice_type}".encode()).hexdigest()[:16]
    compact = event.at.replace("-", "").replace(":", "")
    # Times have whole seconds: a booking's version orders two of its changes within one second.
    return f"{compact}-{getattr(event, 'version', 0):06d}-{digest}"


def local_time(start_utc: str, zone: str) -> str:
    """An instant as people read it in a zone, e.g. 'Fri 4 Dec 2026, 10:00 (Europe/London)'."""
    local = parse_instant(start_utc, "start").astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone})"


_TITLES = {
    BOOKING_CONFIRMED: "Booking confirmed",
    BOOKING_PENDING: "Booking request sent",
    BOOKING_DECLINED: "Booking declined",
    BOOKING_CANCELED: "Booking canceled",
    BOOKING_RESCHEDULED: "Booking moved",
    BOOKING_REMINDER: "Reminder: your booking is tomorrow",
    BOOKING_REQUESTED: "New booking request",
    BOOKING_CREATED: "New booking",
}


def words(notice: Notice, event: events.BookingEvent, provider_name: str, service_name: str,
          zone: str) -> Tuple[str, str]:
    """The title and plain-text body of a notice, times in `zone` (user text is kept as text; each channel
    escapes it)."""
    booking = event.after or {}
    when = local_time(booking["start"], zone)
    what = f"{service_name} at {provider_name}"
    bodies = {
        BOOKING_CONFIRMED: f"{what} on {when} is confirmed.",
        BOOKING_PENDING: f"You asked for {what} on {when}. The provider will confirm or decline it.",
        BOOKING_DECLINED: f"{what} on {when} was declined by the provider.",
        BOOKING_CANCELED: f"{what} on {when} was canceled.",
        BOOKING_RESCHEDULED: f"{what} now takes place on {when}.",
        BOOKING_REMINDER: f"{what} starts on {when}.",
        BOOKING_REQUESTED: f"A customer asks for {service_name} on {when}. Confirm or decline it.",
        BOOKING_CREATED: f"A customer booked {service_name} on {when}.",
    }
    body = bodies[notice.type]
    if notice.type == BOOKING_RESCHEDULED and booking.get("status") == entities.PENDING:
        body += " It awaits the provider's confirmation."
    reason = booking.get("reason")
    if reason and notice.type in (BOOKING_DECLINED, BOOKING_CANCELED):
        body += f" Reason: {reason}"
    return _TITLES[notice.type], body
