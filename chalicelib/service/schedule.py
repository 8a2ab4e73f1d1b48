"""Working hours and the precomputed slots that follow them."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional
from zoneinfo import ZoneInfo

from chalicelib.adapters import providers as provider_store
from chalicelib.adapters import slots as slot_store
from chalicelib.config import get_settings
from chalicelib.domain.model import Caller, Provider
from chalicelib.domain.schedule import WorkingHours, days_changed, working_slots
from chalicelib.domain.timegrid import local_date, local_day_bounds
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.access import owned_provider


def horizon(tz: ZoneInfo, now: datetime) -> List[date]:
    """The local dates whose slots are kept: today and the next 60 days."""
    today = local_date(now, tz)
    return [today + timedelta(days=n) for n in range(get_settings().slot_horizon_days + 1)]


def get_working_hours(caller: Caller, provider_id: str) -> Dict[str, Any]:
    """The owner's working hours document."""
    owned_provider(caller, provider_id)
    hours, _ = provider_store.get_schedule(provider_id)
    return hours.to_document()


def put_working_hours(caller: Caller, provider_id: str, document: Any) -> Dict[str, Any]:
    """Replace the working hours; when this returns, slots obey them."""
    new = WorkingHours.parse(document)
    provider = owned_provider(caller, provider_id)
    old, version = provider_store.get_schedule(provider_id)
    now = clock.now()
    provider_store.replace_schedule(provider_id, new, version, now)
    tz = ZoneInfo(provider.timezone)
    days = horizon(tz, now)
    # The same hours sent again resync the whole horizon: a change that stopped halfway is repaired.
    sync_slots(provider, tz, days_changed(old, new, days) or days)
    provider_store.set_horizon_end(provider_id, days[-1].isoformat())
    logger.info("Working hours changed", provider_id=provider_id)
    count("WorkingHoursChanged")
    return new.to_document()


def sync_slots(provider: Provider, tz: ZoneInfo, days: Iterable[date], old_tz: Optional[ZoneInfo] = None) -> int:
    """Make the slots of these local days follow the stored hours; again if the hours change meanwhile."""
    days = sorted(set(days))
    written = 0
    while days:
        hours, version = provider_store.get_schedule(provider.provider_id)
        written += _write_days(provider.provider_id, tz, hours, days, old_tz)
        _, after = provider_store.get_schedule(provider.provider_id)
        if after == version:
            break
    return written


def _write_days(provider_id: str, tz: ZoneInfo, hours: WorkingHours, days: List[date],
                old_tz: Optional[ZoneInfo]) -> int:
    written = 0
    for run in _runs(days):
        start, _ = local_day_bounds(run[0], tz)
        _, end = local_day_bounds(run[-1], tz)
        if old_tz is not None:
            start = min(start, local_day_bounds(run[0], old_tz)[0])
            end = max(end, local_day_bounds(run[-1], old_tz)[1])
        existing = slot_store.slot_states(slot_store.query_slots(provider_id, start, end))
        desired = {slot: False for slot in existing}
        for day in run:
            desired.update({slot: True for slot in working_slots(hours, day, tz)})
        written += slot_store.write_working_time(provider_id, desired, existing)
    return written


def _runs(days: List[date]) -> List[List[date]]:
    """Consecutive days grouped, at most a week each, so each query stays small."""
    runs: List[List[date]] = []
    for day in days:
        if runs and runs[-1][-1] + timedelta(days=1) == day and len(runs[-1]) < 7:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def roll_horizon(provider_id: str) -> int:
    """Write slots for the local days that entered the 60-day horizon since the last run."""
    provider = provider_store.get_provider(provider_id)
    if provider is None:
        return 0
    tz = ZoneInfo(provider.timezone)
    days = horizon(tz, clock.now())
    last = date.fromisoformat(provider.horizon_end) if provider.horizon_end else days[0] - timedelta(days=1)
    new_days = [day for day in days if day > last]
    if not new_days:
        return 0
    written = sync_slots(provider, tz, new_days)
    provider_store.set_horizon_end(provider_id, new_days[-1].isoformat())
    logger.info("Slot horizon rolled", provider_id=provider_id, days=len(new_days), slots=written)
    return written


def roll_all_horizons() -> Dict[str, int]:
    """Roll every provider's horizon; one failure does not stop the others."""
    rolled = failed = 0
    for provider_id in provider_store.iter_provider_ids():
        try:
            roll_horizon(provider_id)
            rolled += 1
        except Exception:  # the next provider must still get its day
            failed += 1
            logger.exception("Slot horizon roll failed", provider_id=provider_id)
    return {"providers": rolled, "failed": failed}
