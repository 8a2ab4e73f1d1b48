"""A booking's calendar file and a provider's secret feed, against the in-memory repositories."""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Tuple

import pytest
import vobject

from chalicelib.domain.entities import CANCELED, CONFIRMED, DECLINED, PENDING, Caller
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.model import CancelBooking, RescheduleBooking
from chalicelib.service import bookings, calendars, catalog, stores
from tests.unit.conftest import ALICE, BOB, OWNER, at
from tests.unit.fakes_calendar import FakeFeeds

BASE = "https://api.example.test/prod"
TEN = "2026-12-02T10:00:00Z"
OTHER_OWNER = Caller(user_id="owner-2", groups=frozenset({"providers"}))


@pytest.fixture()
def feeds(state):
    fake = FakeFeeds(state)
    with stores.using(feeds=fake):
        yield fake


class Recorder:
    """Stands in for the logger and the metrics: what was said, and with which fields."""

    def __init__(self) -> None:
        self.said: List[Tuple[str, Dict[str, Any]]] = []

    def __getattr__(self, level: str):
        return lambda message, **fields: self.said.append((message, fields))

    def count(self, name: str, value: int = 1) -> None:
        self.said.append((name, {"value": value}))


@pytest.fixture()
def recorded(monkeypatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(calendars, "logger", recorder)
    monkeypatch.setattr(calendars, "count", recorder.count)
    return recorder


def event_of(data: bytes):
    calendar = vobject.readOne(data.decode("utf-8"))
    assert len(calendar.contents["vevent"]) == 1
    return calendar.vevent


def feed_events(data: bytes) -> Dict[str, Any]:
    calendar = vobject.readOne(data.decode("utf-8"))
    return {event.uid.value.split("@")[0]: event for event in calendar.contents.get("vevent", [])}


def secret_of(answer: Dict[str, str], pid: str) -> str:
    prefix = f"{BASE}/v1/calendar-feeds/{pid}/"
    assert answer["url"].startswith(prefix)
    return answer["url"][len(prefix):]


def put_booking(state, shop, booking_id: str, start: str, status: str = CONFIRMED) -> None:
    """A booking stored as is, wherever in time (the services would refuse a start in the past)."""
    template = next(iter(state.bookings.values()))
    state.bookings[booking_id] = dataclasses.replace(
        template, booking_id=booking_id, status=status, start=at(start), end=at(start.replace("T10", "T11")),
        occupied_until=at(start.replace("T10", "T11")))


# --- a booking's calendar file ----------------------------------------------------------------

def test_the_customer_and_the_owner_get_the_booking_as_one_event_and_others_get_404(state, shop, feeds):
    booking_id = shop.book(ALICE, TEN).body["booking_id"]
    for caller in (ALICE, OWNER):
        event = event_of(calendars.booking_ics(caller, booking_id))
        assert event.uid.value == f"{booking_id}@marketplace"
        assert (event.summary.value, event.status.value) == ("Massage at Spa", "CONFIRMED")
        assert event.dtstart.value.astimezone(at(TEN[:-1]).tzinfo) == at(TEN[:-1])
    for caller in (BOB, OTHER_OWNER):
        with pytest.raises(NotFound):
            calendars.booking_ics(caller, booking_id)
    with pytest.raises(NotFound):
        calendars.booking_ics(ALICE, "no-such-booking")


def test_the_uid_stays_while_the_sequence_rises_with_each_change(state, shop, feeds):
    booking_id = shop.book(ALICE, TEN).body["booking_id"]
    before = event_of(calendars.booking_ics(ALICE, booking_id))
    bookings.reschedule(ALICE, booking_id, RescheduleBooking(start="2026-12-02T14:00:00Z"))
    moved = event_of(calendars.booking_ics(ALICE, booking_id))
    bookings.cancel(ALICE, booking_id, CancelBooking(reason="ill"))
    canceled = event_of(calendars.booking_ics(OWNER, booking_id))
    assert before.uid.value == moved.uid.value == canceled.uid.value
    assert int(before.sequence.value) < int(moved.sequence.value) < int(canceled.sequence.value)
    assert moved.dtstart.value.hour == 14 and canceled.status.value == "CANCELLED"
    assert "ill" in canceled.description.value


def test_a_booking_of_a_withdrawn_service_still_shows_its_name(state, shop, feeds):
    booking_id = shop.book(ALICE, TEN).body["booking_id"]
    catalog.delete_service(OWNER, shop.pid, shop.sid)
    assert event_of(calendars.booking_ics(ALICE, booking_id)).summary.value == "Massage at Spa"


# --- the feed's address -----------------------------------------------------------------------

def test_the_owner_gets_one_address_until_rotating_it(state, shop, feeds, recorded):
    first = calendars.feed_url(OWNER, shop.pid, BASE)
    secret = secret_of(first, shop.pid)
    assert len(secret) >= 43 and calendars.feed_url(OWNER, shop.pid, BASE + "/") == first
    rotated = calendars.rotate_feed(OWNER, shop.pid, BASE)
    assert rotated != first and calendars.feed_url(OWNER, shop.pid, BASE) == rotated
    assert ("CalendarFeedRotated", {"value": 1}) in recorded.said
    new_secret = secret_of(rotated, shop.pid)
    # Logs name the provider, never a secret
    assert recorded.said and all(secret not in repr(said) and new_secret not in repr(said) for said in recorded.said)
    assert ("Calendar feed rotated", {"provider_id": shop.pid}) in recorded.said


def test_only_the_owner_gets_or_rotates_the_address(state, shop, feeds):
    for action in (calendars.feed_url, calendars.rotate_feed):
        for caller in (ALICE, OTHER_OWNER):
            with pytest.raises(Forbidden):
                action(caller, shop.pid, BASE)
        with pytest.raises(NotFound):
            action(OWNER, "no-such-provider", BASE)
    assert feeds.items == {}


def test_two_first_calls_at_once_agree_on_one_secret(state, shop, feeds):
    competitor: List[Dict[str, str]] = []
    state.before("create_feed_secret", lambda: competitor.append(calendars.feed_url(OWNER, shop.pid, BASE)))
    mine = calendars.feed_url(OWNER, shop.pid, BASE)
    assert state.calls.count("create_feed_secret") == 2
    assert competitor == [mine] and feeds.items[shop.pid][0] == secret_of(mine, shop.pid)


# --- the feed ---------------------------------------------------------------------------------

def test_the_feed_holds_the_active_bookings_to_whoever_has_the_address(state, shop, feeds):
    confirmed = shop.book(ALICE, TEN).body["booking_id"]
    canceled = shop.book(BOB, "2026-12-02T14:00:00Z").body["booking_id"]
    bookings.cancel(BOB, canceled, CancelBooking())
    put_booking(state, shop, "pending", "2026-12-03T10:00", PENDING)
    put_booking(state, shop, "declined", "2026-12-04T10:00", DECLINED)
    secret = secret_of(calendars.feed_url(OWNER, shop.pid, BASE), shop.pid)
    data = calendars.feed_ics(shop.pid, secret)
    calendar = vobject.readOne(data.decode("utf-8"))
    assert calendar.x_wr_calname.value == "Spa"
    events = feed_events(data)
    assert set(events) == {confirmed, "pending"}
    assert events[confirmed].status.value == "CONFIRMED" and events["pending"].status.value == "TENTATIVE"
    assert events[confirmed].summary.value == "Massage at Spa"
    assert state.bookings[canceled].status == CANCELED


def test_the_feed_spans_30_days_back_to_the_horizon_over_every_page(state, shop, feeds, monkeypatch):
    shop.book(ALICE, TEN)
    # Now is 2026-12-01 08:00 in London; the horizon's last day is 60 days on, 2027-01-30
    for booking_id, start in (("too-old", "2026-10-31T10:00"), ("old", "2026-11-02T10:00"),
                              ("last-day", "2027-01-30T10:00"), ("beyond", "2027-01-31T10:00")):
        put_booking(state, shop, booking_id, start)
    for day in range(5, 10):
        put_booking(state, shop, f"december-{day}", f"2026-12-{day:02d}T10:00")
    monkeypatch.setattr(calendars, "FEED_PAGE", 2)
    secret = secret_of(calendars.feed_url(OWNER, shop.pid, BASE), shop.pid)
    state.calls[:] = []
    events = feed_events(calendars.feed_ics(shop.pid, secret))
    assert {"old", "last-day"} | {f"december-{day}" for day in range(5, 10)} <= set(events)
    assert not {"too-old", "beyond"} & set(events) and len(events) == 8
    assert state.calls.count("list_provider_bookings") >= 4


def test_a_wrong_or_old_secret_or_provider_finds_no_feed(state, shop, feeds):
    with pytest.raises(NotFound):
        calendars.feed_ics(shop.pid, "x" * 43)  # before the feed has a secret
    old = secret_of(calendars.feed_url(OWNER, shop.pid, BASE), shop.pid)
    new = secret_of(calendars.rotate_feed(OWNER, shop.pid, BASE), shop.pid)
    assert calendars.feed_ics(shop.pid, new).startswith(b"BEGIN:VCALENDAR")
    for provider_id, secret in ((shop.pid, old), (shop.pid, new[:-1]), (shop.pid, ""), ("no-such-provider", new)):
        with pytest.raises(NotFound) as refused:
            calendars.feed_ics(provider_id, secret)
        assert old not in refused.value.message and new not in refused.value.message
