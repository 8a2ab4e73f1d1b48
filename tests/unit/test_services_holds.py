"""The provider's view of its customers' live holds, for the console (in-memory repositories)."""
from __future__ import annotations

import pytest

from chalicelib.domain.entities import Caller
from chalicelib.domain.errors import Forbidden, InvalidRequest, NotFound
from chalicelib.domain.model import BookSlot, CreateProvider
from chalicelib.service import availability, bookings, holds, providers
from tests.unit.conftest import ALICE, BOB, OWNER, open_shop, weekly

ALL_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def held(shop, day: str, last_day: str = "", caller: Caller = OWNER):
    return holds.list_for_provider(caller, shop.pid, day, last_day or day)


def test_the_owner_sees_a_customers_hold_with_its_buffer_and_expiry_in_one_slot_read(state, shop):
    hold = shop.hold(ALICE, "2026-12-02T10:00:00Z")
    state.calls.clear()
    answer = held(shop, "2026-12-02")
    assert answer == {"provider_id": shop.pid, "timezone": "Europe/London", "holds": [{
        "hold_id": hold["hold_id"], "start": "2026-12-02T10:00:00Z",
        "end": "2026-12-02T11:15:00Z",  # the 60-minute service and its 15-minute buffer
        "local_start": "2026-12-02T10:00:00+00:00", "expires_at": "2026-12-01T08:05:00Z"}]}
    assert hold["expires_at"] == "2026-12-01T08:05:00Z"
    # The owner check reads the profile; the holds are one read of the provider's held slots
    assert state.calls == ["get_provider", "query_held_slots"]


def test_holds_are_sorted_by_start_and_only_those_starting_on_the_dates_asked(state, shop):
    later = shop.hold(BOB, "2026-12-02T14:00:00Z")["hold_id"]
    earlier = shop.hold(ALICE, "2026-12-02T09:30:00Z")["hold_id"]
    next_day = shop.hold(ALICE, "2026-12-03T09:00:00Z")["hold_id"]
    assert [h["hold_id"] for h in held(shop, "2026-12-02")["holds"]] == [earlier, later]
    assert [h["hold_id"] for h in held(shop, "2026-12-02", "2026-12-03")["holds"]] == [earlier, later, next_day]
    assert held(shop, "2026-12-04")["holds"] == []


def test_the_provider_clock_decides_the_dates_and_the_local_start(state):
    # Adelaide is UTC+10:30 in December: 09:00 on Thursday the 3rd there is 22:30 UTC on the 2nd
    shop = open_shop(timezone_name="Australia/Adelaide")
    hold = shop.hold(ALICE, "2026-12-02T22:30:00Z")
    answer = held(shop, "2026-12-03")
    assert answer["timezone"] == "Australia/Adelaide"
    assert answer["holds"] == [{"hold_id": hold["hold_id"], "start": "2026-12-02T22:30:00Z",
                                "end": "2026-12-02T23:45:00Z", "local_start": "2026-12-03T09:00:00+10:30",
                                "expires_at": "2026-12-01T08:05:00Z"}]
    assert held(shop, "2026-12-02")["holds"] == []  # the UTC date is not the provider's


def test_a_hold_across_midnight_is_whole_and_listed_on_the_day_it_starts(state):
    shop = open_shop(hours=weekly("00:00", "24:00", days=ALL_WEEK))
    hold = shop.hold(ALICE, "2026-12-02T23:30:00Z")
    assert held(shop, "2026-12-02")["holds"] == [{
        "hold_id": hold["hold_id"], "start": "2026-12-02T23:30:00Z", "end": "2026-12-03T00:45:00Z",
        "local_start": "2026-12-02T23:30:00+00:00", "expires_at": "2026-12-01T08:05:00Z"}]
    assert held(shop, "2026-12-03")["holds"] == []


def test_a_lapsed_hold_is_not_listed(state, shop, fixed_clock):
    shop.hold(ALICE, "2026-12-02T10:00:00Z")
    fixed_clock.advance(minutes=4, seconds=59)
    assert len(held(shop, "2026-12-02")["holds"]) == 1
    fixed_clock.advance(seconds=1)  # its expiry: the time is bookable again
    assert held(shop, "2026-12-02")["holds"] == []


def test_booked_and_released_time_is_not_a_hold(state, shop):
    used = shop.hold(ALICE, "2026-12-02T10:00:00Z")
    bookings.book(ALICE, "with-hold", BookSlot(hold_id=used["hold_id"]))
    shop.book(BOB, "2026-12-02T13:00:00Z")
    released = shop.hold(BOB, "2026-12-02T15:00:00Z")
    holds.release_hold(BOB, released["hold_id"])
    assert held(shop, "2026-12-02")["holds"] == []


def test_no_one_but_the_owner_sees_them(state, shop):
    shop.hold(ALICE, "2026-12-02T10:00:00Z")
    rival = Caller(user_id="owner-2", groups=frozenset({"providers"}))
    providers.create_provider(rival, CreateProvider.model_validate({
        "name": "Rival", "categories": ["massage"], "location": {"lat": 0, "lon": 0}, "timezone": "UTC"}))
    for caller in (ALICE, BOB, rival):
        with pytest.raises(Forbidden):
            held(shop, "2026-12-02", caller=caller)
    with pytest.raises(NotFound):
        holds.list_for_provider(OWNER, "no-such-provider", "2026-12-02", "2026-12-02")


@pytest.mark.parametrize("date_from,date_to,words", [
    (None, "2026-12-02", ("from and to", "required")), ("2026-12-02", None, ("from and to", "required")),
    ("2026-12-2", "2026-12-02", ("from",)), ("2026-12-02", "02/12/2026", ("to",)),
    ("2026-02-30", "2026-03-01", ("from",)), ("2026-12-03", "2026-12-02", ("to", "before from")),
    ("2026-12-01", "2027-01-01", ("from/to", "31 days")),
])
def test_dates_are_checked_as_availability_checks_them(state, shop, date_from, date_to, words):
    with pytest.raises(InvalidRequest) as refused:
        holds.list_for_provider(OWNER, shop.pid, date_from, date_to)
    assert all(word in refused.value.message for word in words), refused.value.message
    with pytest.raises(InvalidRequest) as by_availability:
        availability.get_availability(shop.pid, shop.sid, date_from, date_to)
    assert refused.value.message == by_availability.value.message


def test_thirty_one_days_are_allowed(state, shop):
    assert held(shop, "2026-12-01", "2026-12-31")["holds"] == []
