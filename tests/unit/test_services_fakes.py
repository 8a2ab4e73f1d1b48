"""The in-memory repositories the service tests stand on: the adapters' conditions, all or nothing, and faults."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.entities import BOOKED, FREE, HELD, SlotState
from chalicelib.domain.errors import SlotUnavailable, StaleRead
from chalicelib.service.stores import booking_store, provider_store, slot_store
from tests.unit.conftest import ALICE, at, statuses
from tests.unit.fakes import Crash


def test_a_transaction_with_one_failed_condition_writes_nothing(state, shop):
    shop.book(ALICE, "2026-12-02T11:00:00Z")
    rows_before = dict(state.slot_rows[shop.pid])
    # A hold over 10:00-11:15 finds 11:00 booked: none of its slots is taken, and no hold is written
    with pytest.raises(SlotUnavailable):
        shop.hold(ALICE, "2026-12-02T10:00:00Z")
    assert state.slot_rows[shop.pid] == rows_before and state.holds == {}
    assert statuses(state, shop, "2026-12-02T10:00", "2026-12-02T11:00") == [FREE] * 4 + [BOOKED]


def test_a_lookup_reads_the_cards_dated_in_its_range_beside_the_slots(state, shop):
    cards, slots = slot_store.read_availability(shop.pid, at("2026-12-01T10:00"), at("2026-12-03T00:00"))
    # A card sorts just before its date's first slot: the 2nd's is in, the 1st's (before 10:00) and the 3rd's out
    assert [day.isoformat() for day, _ in cards] == ["2026-12-02"]
    assert all(isinstance(s, SlotState) for s in slots) and slots[0].start == at("2026-12-01T10:00")
    assert slots[-1].start == at("2026-12-02T16:45")


def test_a_slot_write_of_superseded_hours_is_refused(state, shop):
    version = provider_store.get_schedule(shop.pid).version
    start = at("2026-12-02T09:00")
    existing = slot_store.slot_states(slot_store.query_slots(shop.pid, start, start + timedelta(minutes=15)))
    with pytest.raises(StaleRead):
        slot_store.write_working_time(shop.pid, {start: False}, existing, version - 1)
    assert slot_store.write_working_time(shop.pid, {start: False}, existing, version) == 1
    assert state.slot(shop.pid, start).in_hours is False


def test_faults_run_before_the_named_call_after_the_calls_spared(state, shop):
    seen, state.calls[:] = [], []
    state.before("get_hold", lambda: seen.append(len(state.calls)), times=2, after=1)
    state.fail("get_booking", after=1)
    for _ in range(4):
        booking_store.get_hold("h")
    assert seen == [2, 3]  # the 2nd and 3rd calls, each just after it was recorded
    assert booking_store.get_booking("b") is None
    with pytest.raises(Crash):
        booking_store.get_booking("b")
    assert booking_store.get_booking("b") is None


def test_a_held_slot_is_bookable_again_from_its_expiry(state, shop, fixed_clock):
    hold = shop.hold(ALICE, "2026-12-02T10:00:00Z")
    held = state.slot(shop.pid, at("2026-12-02T10:00"))
    assert (held.status, held.hold_id) == (HELD, hold["hold_id"])
    epoch = int(fixed_clock.now.timestamp())
    assert not held.bookable(epoch + 299) and held.bookable(epoch + 300)
