"""Checks every new hold, booking and reschedule makes of the time asked for."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.entities import Provider, Service
from chalicelib.domain.errors import InvalidRequest, SlotUnavailable
from chalicelib.domain.timegrid import booking_window, is_on_grid, local_date, parse_instant


@dataclass(frozen=True)
class Span:
    """The time a service takes from a start: `end` for the customer, `occupied_until` with the buffer."""

    start: datetime
    end: datetime
    occupied_until: datetime


def plan(provider: Provider, service: Service, start_text: str, now: datetime) -> Span:
    """The span of this service starting then, if the provider's rules allow it now."""
    start = parse_instant(start_text, "start")
    tz = ZoneInfo(provider.timezone)
    if not is_on_grid(start, tz):
        raise InvalidRequest("start: must be on the 15-minute grid of the provider's clock, e.g. 10:00 or 10:15")
    earliest, last_day = booking_window(now, tz, provider.rules.min_notice_minutes, provider.rules.max_days_ahead)
    if start < earliest:
        raise SlotUnavailable(
            f"start: the provider takes bookings at least {provider.rules.min_notice_minutes} minutes ahead")
    if local_date(start, tz) > last_day:
        raise SlotUnavailable(f"start: the provider takes bookings at most {provider.rules.max_days_ahead} days ahead")
    end = start + timedelta(minutes=service.duration_minutes)
    return Span(start=start, end=end, occupied_until=end + timedelta(minutes=service.buffer_minutes))
