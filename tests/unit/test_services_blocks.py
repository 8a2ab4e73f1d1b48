"""Blocks: time a provider takes out of the schedule, against the in-memory repositories."""
from __future__ import annotations

import pytest

from chalicelib.domain.entities import BLOCKED, FREE
from chalicelib.domain.errors import ConflictsWithBookings, Forbidden, SlotUnavailable
from chalicelib.domain.model import CreateBlock
from chalicelib.service import blocks
from tests.unit.conftest import ALICE, BOB, OWNER, slot, statuses


def block(shop, start, end, caller=OWNER):
    return blocks.create_block(caller, shop.pid, CreateBlock(start=start, end=end, reason="repairs"))


def test_a_block_over_bookings_is_refused_with_their_ids(state, shop):
    first = shop.book(ALICE, "2026-12-02T10:00:00Z").body["booking_id"]
    second = shop.book(BOB, "2026-12-02T12:00:00Z").body["booking_id"]
    slots_before = dict(state.slot_rows[shop.pid])
    # When the owner blocks 09:00-13:00
    with pytest.raises(ConflictsWithBookings) as refused:
        block(shop, "2026-12-02T09:00:00Z", "2026-12-02T13:00:00Z")
    # Then the refusal names both bookings, and nothing is written
    assert refused.value.details == {"booking_ids": [first, second]}
    assert state.slot_rows[shop.pid] == slots_before
    assert blocks.list_blocks(OWNER, shop.pid, 10, None)["blocks"] == []


def test_a_block_over_a_live_hold_is_refused_but_not_over_a_lapsed_one(state, shop, fixed_clock):
    shop.hold(ALICE, "2026-12-02T10:00:00Z")
    with pytest.raises(SlotUnavailable):
        block(shop, "2026-12-02T10:30:00Z", "2026-12-02T11:00:00Z")
    fixed_clock.advance(minutes=5)
    block(shop, "2026-12-02T10:30:00Z", "2026-12-02T11:00:00Z")
    assert statuses(state, shop, "2026-12-02T10:30", "2026-12-02T10:45") == [BLOCKED, BLOCKED]


def test_blocked_time_is_not_offered_until_the_block_is_deleted(state, shop):
    created = block(shop, "2026-12-02T12:00:00Z", "2026-12-02T13:00:00Z")
    # Then no start whose span touches 12:00-13:00 is offered (10:45 + 75 minutes = 12:00 still is)
    starts = shop.starts("2026-12-02")
    assert "2026-12-02T10:45:00Z" in starts and "2026-12-02T13:00:00Z" in starts
    assert not any("T11:00" <= s[10:] < "T13:00" for s in starts)
    with pytest.raises(Forbidden):
        blocks.delete_block(ALICE, shop.pid, created["block_id"])
    # When it is deleted, the time is offered again
    blocks.delete_block(OWNER, shop.pid, created["block_id"])
    assert "2026-12-02T12:00:00Z" in shop.starts("2026-12-02")
    assert blocks.list_blocks(OWNER, shop.pid, 10, None)["blocks"] == []


def test_a_block_outside_working_hours_leaves_that_time_closed(state, shop):
    # Given a block on a Saturday, where no slot exists yet
    created = block(shop, "2026-12-05T10:00:00Z", "2026-12-05T11:00:00Z")
    assert slot(state, shop, "2026-12-05T10:00").in_hours is False
    # When it is deleted, the time is free but still outside the hours: not offered
    blocks.delete_block(OWNER, shop.pid, created["block_id"])
    assert slot(state, shop, "2026-12-05T10:00").status == FREE
    assert shop.starts("2026-12-05") == []
