"""Working hours and the slots that follow them (decision 6), against the in-memory repositories."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Set
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.entities import SlotState
from chalicelib.domain.errors import SlotUnavailable
from chalicelib.domain.model import PatchProvider
from chalicelib.domain.schedule import WEEKDAYS as EVERY_DAY
from chalicelib.domain.schedule import WorkingHours, days_changed, working_slots
from chalicelib.domain.sync import runs
from chalicelib.domain.timegrid import local_date, local_day_bounds
from chalicelib.service import providers, schedule
from tests.unit.conftest import ALICE, NOW, OWNER, at, open_shop, quarter_hours, weekly
from tests.unit.fakes import Crash

LONDON = ZoneInfo("Europe/London")
NINE_TO_FIVE, NOON_TO_EIGHT = weekly("09:00", "17:00"), weekly("12:00", "20:00")


def open_slots(state, shop) -> Set[datetime]:
    return {row.start for row in state.slot_rows[shop.pid].values() if isinstance(row, SlotState) and row.in_hours}


def working(hours: WorkingHours, tz: ZoneInfo = LONDON) -> Set[datetime]:
    """The slots the hours open over the horizon."""
    return {s for day in schedule.horizon(tz, NOW) for s in working_slots(hours, day, tz)}


def within_horizon(slots: Set[datetime], tz: ZoneInfo) -> Set[datetime]:
    days = schedule.horizon(tz, NOW)
    first, end = local_day_bounds(days[0], tz)[0], local_day_bounds(days[-1], tz)[1]
    return {s for s in slots if first <= s < end}


def each_in_its_days_hours(slots: Set[datetime], hours: WorkingHours, tz: ZoneInfo) -> bool:
    """Whether every slot is working time of its own local day."""
    days = {local_date(s, tz) for s in slots}
    return slots <= {s for day in days for s in working_slots(hours, day, tz)}


def saved_hours(shop) -> WorkingHours:
    return WorkingHours.parse(schedule.get_working_hours(OWNER, shop.pid))


def test_slots_follow_the_saved_hours(state, shop):
    assert open_slots(state, shop) == working(WorkingHours.parse(NINE_TO_FIVE))
    schedule.put_working_hours(OWNER, shop.pid, NOON_TO_EIGHT)
    assert open_slots(state, shop) == working(WorkingHours.parse(NOON_TO_EIGHT))
    assert shop.starts("2026-12-02") == quarter_hours("2026-12-02T12:00", "2026-12-02T18:45")
    assert not state.schedules[shop.pid].pending and schedule.finish_all_syncs() == {"finished": 0, "failed": 0}


@pytest.mark.parametrize("phase, after", [("closing", 0), ("closing", 3), ("opening", 0), ("opening", 2)])
def test_an_hours_change_that_dies_midway_never_opens_time_outside_the_saved_hours(state, shop, phase, after):
    # Given 09:00-17:00 saved; a change to 12:00-20:00 closes mornings, then (once saved) opens evenings,
    # one slot write per run of changed days in each phase
    old, new = WorkingHours.parse(NINE_TO_FIVE), WorkingHours.parse(NOON_TO_EIGHT)
    closing_writes = len(runs(days_changed(old, new, schedule.horizon(LONDON, NOW))))
    # When the request dies at a slot write of that phase
    state.fail("write_working_time", after=after if phase == "closing" else closing_writes + after)
    with pytest.raises(Crash):
        schedule.put_working_hours(OWNER, shop.pid, NOON_TO_EIGHT)
    # Then the hours saved are the old ones if it died before saving, else the new ones
    saved = saved_hours(shop)
    assert saved == (old if phase == "closing" else new)
    # And no slot is open outside them (some inside may still be closed), and the days are left pending
    assert open_slots(state, shop) <= working(saved)
    assert state.schedules[shop.pid].pending
    # And no booking lands outside them
    for start in ("2026-12-02T09:00:00Z", "2026-12-29T09:00:00Z", "2027-01-20T18:00:00Z", "2027-01-27T18:45:00Z"):
        span = [at(start[:-1]) + timedelta(minutes=15 * n) for n in range(5)]
        try:
            shop.book(ALICE, start)
        except SlotUnavailable:
            continue
        assert set(span) <= working(saved), start
    # When the scheduled job runs, the slots converge to the saved hours
    assert schedule.finish_all_syncs() == {"finished": 1, "failed": 0}
    assert open_slots(state, shop) == working(saved)
    assert not state.schedules[shop.pid].pending and schedule.finish_all_syncs() == {"finished": 0, "failed": 0}


def test_a_provider_whose_sync_fails_does_not_stop_the_others(state, fixed_clock):
    first, second = open_shop(), open_shop()
    old, new = WorkingHours.parse(NINE_TO_FIVE), WorkingHours.parse(NOON_TO_EIGHT)
    closing_writes = len(runs(days_changed(old, new, schedule.horizon(LONDON, NOW))))
    for shop in (first, second):
        # Given both save new hours, and both requests die when they start opening slots
        state.fail("write_working_time", after=closing_writes)
        with pytest.raises(Crash):
            schedule.put_working_hours(OWNER, shop.pid, NOON_TO_EIGHT)
    # When the job's first slot write dies, the other provider is still synced; the next run does the first
    state.fail("write_working_time")  # the job's first write dies
    assert schedule.finish_all_syncs() == {"finished": 1, "failed": 1}
    assert schedule.finish_all_syncs() == {"finished": 1, "failed": 0}
    for shop in (first, second):
        assert open_slots(state, shop) == working(WorkingHours.parse(NOON_TO_EIGHT))


def test_hours_saved_at_once_last_writer_wins(state, shop):
    # Given another session saves 10:00-14:00 just before this one commits 12:00-20:00
    state.before("commit_schedule", lambda: schedule.put_working_hours(OWNER, shop.pid, weekly("10:00", "14:00")))
    schedule.put_working_hours(OWNER, shop.pid, NOON_TO_EIGHT)
    # Then this one, committed last, stands, and the slots follow it
    assert saved_hours(shop) == WorkingHours.parse(NOON_TO_EIGHT)
    assert open_slots(state, shop) == working(WorkingHours.parse(NOON_TO_EIGHT))
    assert state.schedules[shop.pid].version == 4


def test_rolling_the_horizon_opens_the_days_that_entered_it(state, shop, fixed_clock):
    # Given the horizon ends on Saturday 30 January; three days later it ends on Tuesday 2 February
    fixed_clock.advance(days=3)
    written = schedule.roll_horizon(shop.pid)
    assert written == 2 * 32  # Monday's and Tuesday's 09:00-17:00
    assert state.providers[shop.pid].horizon_end == "2027-02-02"
    assert shop.starts("2027-02-02") == quarter_hours("2027-02-02T09:00", "2027-02-02T15:45")
    assert schedule.roll_horizon(shop.pid) == 0


@pytest.mark.parametrize("zone, hours", [
    ("America/New_York", weekly("18:00", "23:00", EVERY_DAY)),  # the evening before a run, seen from London
    ("America/New_York", weekly("09:00", "17:00")),
    ("Asia/Tokyo", weekly("00:00", "24:00", EVERY_DAY)),  # the morning after a run, seen from London
    ("Asia/Tokyo", weekly("15:00", "23:00", EVERY_DAY)),  # London's last evening is Tokyo's day after the horizon
])
def test_a_zone_change_lays_the_hours_out_in_the_new_zone(state, zone, hours):
    # Given a London provider with these hours
    shop = open_shop(hours)
    # When it moves to another zone
    providers.patch_provider(OWNER, shop.pid, PatchProvider(timezone=zone))
    # Then its slots are exactly the hours on the new zone's clock over the horizon, and none is open
    # outside the hours of its own local day there
    tz, saved = ZoneInfo(zone), WorkingHours.parse(hours)
    assert within_horizon(open_slots(state, shop), tz) == working(saved, tz)
    assert each_in_its_days_hours(open_slots(state, shop), saved, tz)
    assert not state.schedules[shop.pid].pending and state.schedules[shop.pid].previous_timezone is None


@pytest.mark.parametrize("phase, after", [("closing", 2), ("opening", 1)])
def test_a_zone_change_that_dies_midway_never_opens_time_outside_the_saved_hours(state, phase, after):
    hours = weekly("18:00", "23:00", EVERY_DAY)
    shop, saved = open_shop(hours), WorkingHours.parse(hours)
    new_york = ZoneInfo("America/New_York")
    zone_change_writes = len(runs(set(schedule.horizon(LONDON, NOW)) | set(schedule.horizon(new_york, NOW))))
    # When the move to New York dies at a slot write before, or after, the zone is saved
    state.fail("write_working_time", after=after if phase == "closing" else zone_change_writes + after)
    with pytest.raises(Crash):
        providers.patch_provider(OWNER, shop.pid, PatchProvider(timezone="America/New_York"))
    # Then no slot is open outside the hours on the clock of the zone saved
    tz = ZoneInfo(state.schedules[shop.pid].timezone)
    assert tz == (LONDON if phase == "closing" else new_york)
    assert state.providers[shop.pid].timezone == tz.key
    assert each_in_its_days_hours(open_slots(state, shop), saved, tz)
    # And the job makes them converge
    assert schedule.finish_all_syncs() == {"finished": 1, "failed": 0}
    assert within_horizon(open_slots(state, shop), tz) == working(saved, tz)
    assert each_in_its_days_hours(open_slots(state, shop), saved, tz)
