"""Free times a customer can book."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, Optional
from zoneinfo import ZoneInfo

from chalicelib.adapters import slots as slot_store
from chalicelib.domain.availability import fitting_starts, slots_needed
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
from chalicelib.service.access import find_provider
from chalicelib.service.catalog import bookable_service

MAX_RANGE_DAYS = 31


def get_availability(provider_id: str, service_id: Optional[str], date_from: Optional[str],
                     date_to: Optional[str]) -> Dict[str, Any]:
    """Every start where the whole service and its buffer fit into free time, within the rules."""
    if not service_id:
        raise InvalidRequest("service_id: required, the service to find times for")
    if len(service_id) > 64:
        raise NotFound(f"no service {service_id[:64]}…")
    if not date_from or not date_to:
        raise InvalidRequest("from and to: required, local dates like 2026-12-01")
    first, last = parse_date(date_from, "from"), parse_date(date_to, "to")
    if last < first:
        raise InvalidRequest("to: must not be before from")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidRequest(f"from/to: at most {MAX_RANGE_DAYS} days at once")
    provider = find_provider(provider_id)
    service = bookable_service(provider_id, service_id)
    tz = ZoneInfo(provider.timezone)
    now = clock.now()
    earliest, last_day = booking_window(now, tz, provider.rules.min_notice_minutes, provider.rules.max_days_ahead)
    span = slots_needed(service.duration_minutes, service.buffer_minutes)
    start, _ = local_day_bounds(first, tz)
    _, end = local_day_bounds(last, tz)
    states = slot_store.query_slots(provider_id, start, end + timedelta(minutes=15 * span))
    now_epoch = int(now.timestamp())
    starts = fitting_starts((s.start for s in states if s.bookable(now_epoch)), span)
    duration = timedelta(minutes=service.duration_minutes)
    return {
        "provider_id": provider_id, "service_id": service_id, "timezone": provider.timezone,
        "slots": [
            {"start": format_utc(s), "end": format_utc(s + duration), "local_start": format_local(s, tz)}
            for s in starts if s >= earliest and first <= local_date(s, tz) <= min(last, last_day)
        ],
    }
