"""How slots follow working hours: the schedule's sync state and what each day's slots should say (pure).

A change of hours is applied in steps that each commit on their own (docs/decisions/0006): the days it
touches are first recorded as pending; slots the new hours close are closed; the hours commit; slots they
open are opened; the days leave the pending set. A crash between steps leaves the days pending, and
whoever syncs next (the next request, or the scheduled job) finishes them. Slots are never open where the
committed hours say closed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo

from chalicelib.domain.entities import SlotState
from chalicelib.domain.schedule import WorkingHours, working_slots
from chalicelib.domain.timegrid import local_date, local_day_bounds

MAX_RUN_DAYS = 7


@dataclass(frozen=True)
class ScheduleState:
    """The stored working hours, their version, and the local days whose slots may still disagree."""

    hours: WorkingHours
    version: int
    pending: FrozenSet[date] = field(default_factory=frozenset)
    # The zone the slots are laid out in (None on schedules stored before it was kept: the provider's).
    timezone: Optional[str] = None
    previous_timezone: Optional[str] = None


def runs(days: Iterable[date]) -> List[List[date]]:
    """Consecutive days grouped, at most a week each, so each slot query stays small."""
    grouped: List[List[date]] = []
    for day in sorted(set(days)):
        if grouped and grouped[-1][-1] + timedelta(days=1) == day and len(grouped[-1]) < MAX_RUN_DAYS:
            grouped[-1].append(day)
        else:
            grouped.append([day])
    return grouped


def run_range(run: List[date], tz: ZoneInfo, previous_tz: Optional[ZoneInfo] = None) -> Tuple[datetime, datetime]:
    """The UTC range holding the run's slots, in the zone and (during a zone change) the previous one."""
    start, end = local_day_bounds(run[0], tz)[0], local_day_bounds(run[-1], tz)[1]
    if previous_tz is not None:
        start = min(start, local_day_bounds(run[0], previous_tz)[0])
        end = max(end, local_day_bounds(run[-1], previous_tz)[1])
    return start, end


def desired(hours: WorkingHours, run: List[date], tz: ZoneInfo, existing: Iterable[datetime]) -> Dict[datetime, bool]:
    """Whether each slot read for the run should be in working hours: existing ones off unless working.

    During a zone change the range read is widened to the run's days in the previous zone too, so it also
    holds slots of the local days next to the run: those follow their own day's hours. (Taken as the run's,
    they were closed: after a move west, the evening before each week's run lost its working time.)
    """
    existing = set(existing)
    wanted: Dict[datetime, bool] = {start: False for start in existing}
    for day in run:
        wanted.update({slot: True for slot in working_slots(hours, day, tz)})
    for day in {local_date(start, tz) for start in existing} - set(run):
        wanted.update({start: True for start in working_slots(hours, day, tz) if start in existing})
    return wanted


def closing_only(wanted: Dict[datetime, bool]) -> Dict[datetime, bool]:
    """Only the slots to close: what may be written before the hours that close them commit."""
    return {start: flag for start, flag in wanted.items() if not flag}


def slot_writes(wanted: Dict[datetime, bool], existing: Mapping[datetime, SlotState]) -> Dict[datetime, str]:
    """What making the slots say `wanted` takes: "create" a FREE item for new working time, "flag" an
    existing one whose in_hours differs; nothing where they already agree."""
    writes: Dict[datetime, str] = {}
    for start, in_hours in wanted.items():
        state = existing.get(start)
        if state is None:
            if in_hours:
                writes[start] = "create"
        elif state.in_hours != in_hours:
            writes[start] = "flag"
    return writes
