"""Unit tests of the services: the repositories are in-memory fakes (tests/unit/fakes.py), the clock is fixed."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Optional

import pytest

# No metrics are sent from tests (they would pile up in the process's buffer); set before anything imports them.
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from chalicelib.domain.entities import Caller
from chalicelib.domain.model import BookSlot, CreateProvider, CreateService, PlaceHold  # noqa: E402
from chalicelib.domain.timegrid import format_utc  # noqa: E402
from chalicelib.service import availability, bookings, catalog, clock, providers, schedule, stores  # noqa: E402
from tests.unit.fakes import FakeState  # noqa: E402

UTC = timezone.utc
# Tuesday 1 December 2026, 08:00 in London (UTC+0 in winter, so local times read as UTC ones).
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def weekly(start: str, end: str, days=WEEKDAYS) -> Dict[str, Any]:
    """A working-hours document: start-end on each of `days`."""
    return {"weekly": {day: [{"start": start, "end": end}] for day in days}}


def at(text: str) -> datetime:
    """An instant from '2026-12-02T10:00' (UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def quarter_hours(first: str, last: str) -> List[str]:
    """The UTC starts first, first + 15 min, ..., last, as the API writes them."""
    out, current = [], at(first)
    while current <= at(last):
        out.append(format_utc(current))
        current += timedelta(minutes=15)
    return out


class FixedClock:
    """The services' clock, moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture()
def fixed_clock() -> Iterator[FixedClock]:
    fixed = FixedClock(NOW)
    clock.set_clock(fixed)
    try:
        yield fixed
    finally:
        clock.set_clock(lambda: datetime.now(UTC))


@pytest.fixture()
def state(fixed_clock) -> Iterator[FakeState]:
    """The fakes' shared state, put behind the services' repository names."""
    fake = FakeState()
    with stores.using(**fake.repositories()):
        yield fake


OWNER = Caller(user_id="owner-1", email="owner@example.test", groups=frozenset({"providers"}))
ALICE = Caller(user_id="alice")
BOB = Caller(user_id="bob")


@dataclass
class Shop:
    """A provider with working hours and one service, and what a test needs to call the services about it."""

    pid: str
    sid: str
    owner: Caller = OWNER

    def starts(self, day: str, service_id: Optional[str] = None) -> List[str]:
        answer = availability.get_availability(self.pid, service_id or self.sid, day, day)
        return [slot["start"] for slot in answer["slots"]]

    def book(self, caller: Caller, start: str, key: Optional[str] = None, **extra: Any) -> bookings.Answer:
        command = BookSlot(provider_id=self.pid, service_id=self.sid, start=start, **extra)
        return bookings.book(caller, key or f"{caller.user_id}-{start}", command)

    def hold(self, caller: Caller, start: str) -> Dict[str, Any]:
        from chalicelib.service import holds
        return holds.place_hold(caller, PlaceHold(provider_id=self.pid, service_id=self.sid, start=start))


def open_shop(hours: Optional[Dict[str, Any]] = None, timezone_name: str = "Europe/London",
              duration: int = 60, buffer: int = 15, **rules: Any) -> Shop:
    """Given a provider open 09:00-17:00 on weekdays, with a 60-minute service and a 15-minute buffer."""
    provider = providers.create_provider(OWNER, CreateProvider.model_validate({
        "name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
        "timezone": timezone_name, "booking_rules": rules}))
    pid = provider["provider_id"]
    schedule.put_working_hours(OWNER, pid, hours or weekly("09:00", "17:00"))
    service = catalog.create_service(OWNER, pid, CreateService.model_validate({
        "name": "Massage", "category": "massage", "duration_minutes": duration, "buffer_minutes": buffer,
        "price": {"amount": 4500, "currency": "GBP"}}))
    return Shop(pid=pid, sid=service["service_id"])


@pytest.fixture()
def shop(state) -> Shop:
    return open_shop()


def slot(state: FakeState, shop: Shop, start: str):
    """The stored slot at a start ('2026-12-02T10:00', UTC), or None."""
    return state.slot(shop.pid, at(start))


def statuses(state: FakeState, shop: Shop, first: str, last: str) -> List[Optional[str]]:
    """The status of each stored slot from first to last (UTC, both included); None where there is no slot."""
    return [getattr(state.slot(shop.pid, at(start[:-1])), "status", None) for start in quarter_hours(first, last)]
