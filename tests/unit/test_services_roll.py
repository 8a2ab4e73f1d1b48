"""The horizon roll from the sharded listing: one read and one write a provider, else the slower path."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from typing import Set
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.entities import SlotState
from chalicelib.domain.schedule import WEEKDAYS as EVERY_DAY
from chalicelib.domain.schedule import WorkingHours, working_slots
from chalicelib.domain.timegrid import local_day_bounds
from chalicelib.service import schedule
from tests.unit.conftest import OWNER, open_shop, weekly

ALL_DAY = weekly("00:00", "24:00", EVERY_DAY)
SLOW_PATH = {"get_provider", "get_schedule", "mark_pending", "extend_cards", "set_horizon_end"}


def day_slots(state, pid: str, day: date, tz: ZoneInfo) -> Set[datetime]:
    first, end = local_day_bounds(day, tz)
    return {row.start for row in state.slot_rows[pid].values()
            if isinstance(row, SlotState) and row.in_hours and first <= row.start < end}


def roll(state) -> dict:
    state.calls.clear()
    return schedule.roll_all_horizons()


def test_a_day_later_each_provider_gets_its_one_new_day_in_one_read_and_one_write(state, fixed_clock):
    # Given providers in zones around the world, open every day
    zones = ("Europe/London", "America/New_York", "Asia/Kathmandu", "Pacific/Kiritimati", "America/St_Johns")
    shops = {open_shop(weekly("09:00", "17:00", EVERY_DAY), zone).pid: ZoneInfo(zone) for zone in zones}
    before = {pid: state.providers[pid] for pid in shops}
    # When a day passes and the roll runs
    fixed_clock.advance(days=1)
    outcome = roll(state)
    # Then every provider was rolled on the fast path: one read and one write each, no per-provider lookups
    assert outcome == {"providers": 5, "failed": 0, "fell_back": 0, "failed_shards": 0}
    assert state.calls.count("read_availability") == 5 and state.calls.count("commit_roll") == 5
    assert not SLOW_PATH & set(state.calls)
    for pid, tz in shops.items():
        # And exactly the new local day was laid out, with its working hours, and the horizon moved a day
        new_day = date.fromisoformat(before[pid].horizon_end) + timedelta(days=1)
        assert state.providers[pid].horizon_end == new_day.isoformat()
        assert day_slots(state, pid, new_day, tz) == set(working_slots(
            WorkingHours.parse(weekly("09:00", "17:00", EVERY_DAY)), new_day, tz))
        # And the card reached the UTC date that entered, at the provider's card version
        cards_through = date.fromisoformat(state.providers[pid].cards_through)
        assert cards_through == date.fromisoformat(before[pid].cards_through) + timedelta(days=1)
        assert state.slot_rows[pid][cards_through.isoformat()].version == state.providers[pid].card_version
    # And a second run finds nothing to do and calls nothing per provider
    assert roll(state)["fell_back"] == 0
    assert set(state.calls) == {"listing_shards", "iter_listed"}


def test_a_listing_behind_the_table_falls_back_and_writes_the_day_once(state, fixed_clock):
    shop = open_shop(weekly("09:00", "17:00", EVERY_DAY))
    listed = state.providers[shop.pid]
    fixed_clock.advance(days=1)
    assert roll(state)["fell_back"] == 0
    # When a lagging index still shows the provider as it was before that roll
    state.calls.clear()
    assert schedule.roll_listed(listed, schedule.provider_store.get_schedule(shop.pid)) is False
    # Then the write's conditions refused it, the slower path read afresh and found nothing new
    assert "commit_roll" in state.calls and "get_provider" in state.calls
    assert state.providers[shop.pid].horizon_end == (date.fromisoformat(listed.horizon_end)
                                                      + timedelta(days=1)).isoformat()


def test_hours_changed_between_the_listing_and_the_write_are_the_ones_laid_out(state, fixed_clock):
    # Given a provider open 09:00-17:00; the roll lists it, then the owner saves 12:00-20:00 before its write
    shop = open_shop(weekly("09:00", "17:00", EVERY_DAY))
    new_day = date.fromisoformat(state.providers[shop.pid].horizon_end) + timedelta(days=1)
    fixed_clock.advance(days=1)
    state.before("commit_roll", lambda: schedule.put_working_hours(OWNER, shop.pid, weekly("12:00", "20:00",
                                                                                           EVERY_DAY)))
    outcome = roll(state)
    # Then the stale write wrote nothing; the day follows the saved hours whoever laid it out
    assert outcome["failed"] == 0
    london = ZoneInfo("Europe/London")
    assert day_slots(state, shop.pid, new_day, london) == set(working_slots(
        WorkingHours.parse(weekly("12:00", "20:00", EVERY_DAY)), new_day, london))
    assert not state.schedules[shop.pid].pending


def test_days_pending_take_the_slower_path(state, fixed_clock):
    shop = open_shop(weekly("09:00", "17:00", EVERY_DAY))
    state.schedules[shop.pid].add_pending([date(2026, 12, 10)])  # a change that stopped half-way
    fixed_clock.advance(days=1)
    assert roll(state)["fell_back"] == 1
    assert not state.schedules[shop.pid].pending  # the slower path finished them too


@pytest.mark.parametrize("zone, new_day, slots", [
    ("Europe/London", date(2027, 3, 28), 92),  # clocks go forward: a 23-hour day
    ("America/St_Johns", date(2027, 3, 14), 92),  # forward at 02:00, at -03:30
])
def test_a_short_dst_day_is_laid_out_on_the_fast_path(state, fixed_clock, zone, new_day, slots):
    tz = ZoneInfo(zone)
    fixed_clock.now = datetime.combine(new_day - timedelta(days=61), datetime.min.time(), tz).replace(
        hour=12).astimezone(timezone.utc)
    shop = open_shop(ALL_DAY, zone)
    fixed_clock.advance(days=1)
    assert roll(state) == {"providers": 1, "failed": 0, "fell_back": 0, "failed_shards": 0}
    assert state.providers[shop.pid].horizon_end == new_day.isoformat()
    assert len(day_slots(state, shop.pid, new_day, tz)) == slots
    assert day_slots(state, shop.pid, new_day, tz) == set(working_slots(WorkingHours.parse(ALL_DAY), new_day, tz))


def test_a_long_dst_day_too_big_for_one_transaction_takes_the_slower_path(state, fixed_clock):
    # Given a London provider open all day; 31 October 2027 has 25 hours: 100 slots, more than a transaction holds
    london, new_day = ZoneInfo("Europe/London"), date(2027, 10, 31)
    fixed_clock.now = datetime(2027, 8, 31, 12, 0, tzinfo=timezone.utc)
    shop = open_shop(ALL_DAY)
    fixed_clock.advance(days=1)
    assert roll(state)["fell_back"] == 1
    assert len(day_slots(state, shop.pid, new_day, london)) == 100
    assert state.providers[shop.pid].horizon_end == new_day.isoformat()


def test_at_plus_fourteen_the_day_and_the_utc_date_enter_at_different_hours(state, fixed_clock):
    # Given a provider at Kiritimati (UTC+14), created at 08:00 UTC on 1 December (22:00 there)
    tz = ZoneInfo("Pacific/Kiritimati")
    shop = open_shop(weekly("07:00", "15:00", EVERY_DAY), "Pacific/Kiritimati")
    first = state.providers[shop.pid]
    # When its next local day begins (10:00 UTC) but the UTC date has not changed: only slots are written
    fixed_clock.now = datetime(2026, 12, 1, 10, 30, tzinfo=timezone.utc)
    assert roll(state)["fell_back"] == 0
    new_day = date.fromisoformat(first.horizon_end) + timedelta(days=1)
    assert state.providers[shop.pid].horizon_end == new_day.isoformat()
    assert state.providers[shop.pid].cards_through == first.cards_through
    assert day_slots(state, shop.pid, new_day, tz) == set(working_slots(
        WorkingHours.parse(weekly("07:00", "15:00", EVERY_DAY)), new_day, tz))
    # And when the UTC date changes: only the card, again one read and one write
    fixed_clock.now = datetime(2026, 12, 2, 0, 30, tzinfo=timezone.utc)
    assert roll(state)["fell_back"] == 0
    assert state.calls.count("read_availability") == 1 and state.calls.count("commit_roll") == 1
    assert state.providers[shop.pid].horizon_end == new_day.isoformat()
    assert state.providers[shop.pid].cards_through == "2027-02-02"


def test_a_blocked_slot_in_the_new_day_keeps_its_status(state, fixed_clock):
    shop = open_shop(weekly("09:00", "17:00", EVERY_DAY))
    new_day = date.fromisoformat(state.providers[shop.pid].horizon_end) + timedelta(days=1)
    blocked = datetime.combine(new_day, datetime.min.time(), timezone.utc).replace(hour=20)  # after hours
    state.put_slot(shop.pid, SlotState(blocked, "BLOCKED", True, block_id="b1"))
    fixed_clock.advance(days=1)
    assert roll(state)["fell_back"] == 0
    # Then the block stays, and the slot no longer says working time (the hours close 20:00)
    assert state.slot(shop.pid, blocked) == SlotState(blocked, "BLOCKED", False, block_id="b1")


def test_one_provider_failing_does_not_stop_the_others(state, fixed_clock):
    pids = [open_shop(weekly("09:00", "17:00", EVERY_DAY)).pid for _ in range(3)]
    fixed_clock.advance(days=1)
    state.fail("commit_roll")
    assert roll(state) == {"providers": 2, "failed": 1, "fell_back": 0, "failed_shards": 0}
    assert sorted(state.providers[pid].horizon_end for pid in pids).count("2027-01-31") == 2
    # And the next run rolls the one left behind
    assert roll(state)["providers"] == 3
    assert {state.providers[pid].horizon_end for pid in pids} == {"2027-01-31"}


def test_a_provider_not_yet_rolled_is_listed_without_its_schedule_and_rolled_slowly(state, fixed_clock):
    shop = open_shop(weekly("09:00", "17:00", EVERY_DAY))
    fixed_clock.advance(days=1)
    assert schedule.roll_listed(dataclasses.replace(state.providers[shop.pid]), None) is False
    assert state.providers[shop.pid].horizon_end == "2027-01-31"


@pytest.mark.parametrize("path", ["fast", "slower"])
def test_a_change_that_read_the_hours_before_the_day_entered_still_lays_that_day_out(state, fixed_clock, path):
    # Given a provider open 09:00-17:00; an owner saves 12:00-20:00 just before midnight, and between reading the
    # hours and marking its days the clock passes midnight and the roll lays the new day out in the old hours
    fixed_clock.now = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)
    shop = open_shop(weekly("09:00", "17:00", EVERY_DAY))
    new_day = date.fromisoformat(state.providers[shop.pid].horizon_end) + timedelta(days=1)

    def midnight_and_the_roll() -> None:
        fixed_clock.now = datetime(2026, 12, 2, 0, 1, tzinfo=timezone.utc)
        schedule.roll_all_horizons() if path == "fast" else schedule.roll_horizon(shop.pid)

    state.before("mark_pending", midnight_and_the_roll)
    schedule.put_working_hours(OWNER, shop.pid, weekly("12:00", "20:00", EVERY_DAY))
    # Then the roll's new version sent the change back to read again, and the new day follows the saved hours
    london = ZoneInfo("Europe/London")
    assert state.providers[shop.pid].horizon_end == new_day.isoformat()
    assert day_slots(state, shop.pid, new_day, london) == set(working_slots(
        WorkingHours.parse(weekly("12:00", "20:00", EVERY_DAY)), new_day, london))
