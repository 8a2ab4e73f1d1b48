"""Bookings in calendar apps: a booking's calendar file, and each provider's secret subscription feed."""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Dict, List
from zoneinfo import ZoneInfo

from chalicelib.config import get_settings
from chalicelib.domain.calendar import booking_calendar, entry_of, feed_calendar
from chalicelib.domain.entities import ACTIVE_STATUSES, Booking, Caller, Provider
from chalicelib.domain.errors import NotFound
from chalicelib.domain.timegrid import booking_window, local_day_bounds
from chalicelib.domain.views import calendar_feed_view
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.access import owned_provider
from chalicelib.service.bookings import visible_booking
from chalicelib.service.stores import booking_store, feed_store, provider_store

SECRET_BYTES = 32
FEED_PAST = timedelta(days=30)
FEED_PAGE = 100
UNNAMED_SERVICE = "Appointment"


def booking_ics(caller: Caller, booking_id: str) -> bytes:
    """The booking as an iCalendar file, for its customer or its provider's owner (404 for anyone else)."""
    booking, provider, _ = visible_booking(caller, booking_id)
    names = _service_names(provider.provider_id)
    return booking_calendar(entry_of(booking, provider, names.get(booking.service_id, UNNAMED_SERVICE), clock.now()))


def feed_url(caller: Caller, provider_id: str, base_url: str) -> Dict[str, str]:
    """The address of the provider's calendar feed, for its owner; the first call makes its secret."""
    owned_provider(caller, provider_id)
    secret = feed_store.get_feed_secret(provider_id)
    if secret is None:
        secret = feed_store.create_feed_secret(provider_id, _new_secret(), clock.now())
        logger.info("Calendar feed created", provider_id=provider_id)
    return _feed(base_url, provider_id, secret)


def rotate_feed(caller: Caller, provider_id: str, base_url: str) -> Dict[str, str]:
    """A new address of the provider's calendar feed, for its owner; the old one stops working."""
    owned_provider(caller, provider_id)
    secret = _new_secret()
    feed_store.rotate_feed_secret(provider_id, secret, clock.now())
    logger.info("Calendar feed rotated", provider_id=provider_id)
    count("CalendarFeedRotated")
    return _feed(base_url, provider_id, secret)


def feed_ics(provider_id: str, secret: str) -> bytes:
    """The provider's pending and confirmed bookings from 30 days ago to the horizon, to whoever has the secret."""
    stored = feed_store.get_feed_secret(provider_id)
    if stored is None or not hmac.compare_digest(stored.encode(), secret.encode()):
        raise NotFound("no such calendar feed")
    found = provider_store.get_provider_with_services(provider_id)
    if found is None:
        raise NotFound("no such calendar feed")
    provider, services = found
    names = {service.service_id: service.name for service in services}
    now = clock.now()
    entries = [entry_of(booking, provider, names.get(booking.service_id, UNNAMED_SERVICE), now)
               for booking in _active_bookings(provider, now)]
    return feed_calendar(provider.name, entries)


def _new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def _feed(base_url: str, provider_id: str, secret: str) -> Dict[str, str]:
    return calendar_feed_view(f"{base_url.rstrip('/')}/v1/calendar-feeds/{provider_id}/{secret}")


def _service_names(provider_id: str) -> Dict[str, str]:
    """Every service's name, withdrawn ones too: their bookings still show what was booked."""
    found = provider_store.get_provider_with_services(provider_id)
    return {} if found is None else {service.service_id: service.name for service in found[1]}


def _active_bookings(provider: Provider, now: datetime) -> List[Booking]:
    """Every pending or confirmed booking starting from 30 days ago through the last day anyone may book."""
    tz = ZoneInfo(provider.timezone)
    _, last_day = booking_window(now, tz, 0, get_settings().slot_horizon_days)
    until = local_day_bounds(last_day, tz)[1]
    found: List[Booking] = []
    cursor = None
    while True:
        page, cursor = booking_store.list_provider_bookings(provider.provider_id, now - FEED_PAST, until, None,
                                                            FEED_PAGE, cursor)
        found += [booking for booking in page if booking.status in ACTIVE_STATUSES]
        if cursor is None:
            return found
