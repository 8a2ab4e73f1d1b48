"""Free times a customer can book: one DynamoDB Query per lookup."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, Optional, Tuple
from zoneinfo import ZoneInfo

from chalicelib.domain.availability import fitting_starts, slots_needed
from chalicelib.domain.card import BookingCard, card_of, current_card
from chalicelib.domain.errors import InvalidRequest, NotFound
from chalicelib.domain.timegrid import (
    booking_window,
    format_local,
    format_utc,
    local_date,
    local_day_bounds,
    parse_date,
)
from chalicelib.service import clock
from chalicelib.service.catalog import provider_and_services
from chalicelib.service.stores import slot_store

MAX_RANGE_DAYS = 31
# A local day begins between 14 hours before and 12 hours after UTC midnight (UTC+14 to UTC-12), and a
# service with its buffer spans at most 10 hours: read that much around the UTC dates asked for, since
# the zone is only known once the card is read.
EARLIEST_OFFSET = timedelta(hours=14)
LATEST_OFFSET = timedelta(hours=12)
LONGEST_SPAN = timedelta(minutes=480 + 120)


def get_availability(provider_id: str, service_id: Optional[str], date_from: Optional[str],
                     date_to: Optional[str]) -> Dict[str, Any]:
    """Every start where the whole service and its buffer fit into free time, within the rules."""
    if not service_id:
        raise InvalidRequest("service_id: required, the service to find times for")
    if len(service_id) > 64:
        raise NotFound(f"no service {service_id[:64]}…")
    first, last = local_date_range(date_from, date_to)
    now = clock.now()
    low = datetime.combine(first, time(), timezone.utc) - EARLIEST_OFFSET
    high = datetime.combine(last + timedelta(days=1), time(), timezone.utc) + LATEST_OFFSET + LONGEST_SPAN
    cards, states = slot_store.read_availability(provider_id, low, high)
    card = current_card(cards, now) or _card_from_profile(provider_id)
    if service_id not in card.services:
        raise NotFound(f"no service {service_id} at provider {provider_id}")
    duration_minutes, buffer_minutes = card.services[service_id]
    tz = ZoneInfo(card.timezone)
    earliest, last_day = booking_window(now, tz, card.min_notice_minutes, card.max_days_ahead)
    span = slots_needed(duration_minutes, buffer_minutes)
    start, end = local_day_bounds(first, tz)[0], local_day_bounds(last, tz)[1]
    now_epoch = int(now.timestamp())
    starts = fitting_starts((s.start for s in states if s.bookable(now_epoch)), span)
    duration = timedelta(minutes=duration_minutes)
    return {
        "provider_id": provider_id, "service_id": service_id, "timezone": card.timezone,
        "slots": [
            {"start": format_utc(s), "end": format_utc(s + duration), "local_start": format_local(s, tz)}
            for s in starts
            if start <= s < end and s >= earliest and local_date(s, tz) <= min(last, last_day)
        ],
    }


def local_date_range(date_from: Optional[str], date_to: Optional[str]) -> Tuple[date, date]:
    """The local dates `from` to `to` of a query (both required and included, at most 31 days); 400 naming them."""
    if not date_from or not date_to:
        raise InvalidRequest("from and to: required, local dates like 2026-12-01")
    first, last = parse_date(date_from, "from"), parse_date(date_to, "to")
    if last < first:
        raise InvalidRequest("to: must not be before from")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidRequest(f"from/to: at most {MAX_RANGE_DAYS} days at once")
    return first, last


def _card_from_profile(provider_id: str) -> BookingCard:
    """The card made from the profile itself: for ranges outside the dates that carry one (a second read)."""
    provider, services = provider_and_services(provider_id)
    return card_of(provider, services, provider.card_version)
