"""Working hours and the precomputed slots that follow them."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Set, Tuple
from zoneinfo import ZoneInfo

from chalicelib.config import get_settings
from chalicelib.domain.card import card_dates
from chalicelib.domain.entities import Caller, Provider
from chalicelib.domain.errors import StaleRead
from chalicelib.domain.schedule import WorkingHours, days_changed
from chalicelib.domain.sync import ScheduleState, closing_only, desired, run_range, runs, slot_writes
from chalicelib.domain.timegrid import SLOT, local_date, local_day_bounds
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.access import owned_provider
from chalicelib.service.catalog import extend_cards
from chalicelib.service.concurrency import retry_on_stale
from chalicelib.service.stores import provider_store, slot_store

# Threads of the horizon roll, each walking one shard of the providers' listing at a time.
ROLL_WORKERS = 4


def horizon(tz: ZoneInfo, now: datetime) -> List[date]:
    """The local dates whose slots are kept: today and the next 60 days."""
    today = local_date(now, tz)
    return [today + timedelta(days=n) for n in range(get_settings().slot_horizon_days + 1)]


def sync_deadline() -> float:
    """The monotonic time by which a request stops laying out slots."""
    return time.monotonic() + get_settings().schedule_sync_seconds


def get_working_hours(caller: Caller, provider_id: str) -> Dict[str, Any]:
    """The owner's working hours document."""
    owned_provider(caller, provider_id)
    return provider_store.get_schedule(provider_id).hours.to_document()


def put_working_hours(caller: Caller, provider_id: str, document: Any) -> Dict[str, Any]:
    """Replace the working hours (the last writer wins); when this returns no slot is open beyond them.

    What they open is laid out within the request's time budget, the rest by the finish_syncs job.
    """
    new = WorkingHours.parse(document)
    provider = owned_provider(caller, provider_id)
    deadline = sync_deadline()

    def replace() -> None:
        state = provider_store.get_schedule(provider_id)
        tz = ZoneInfo(state.timezone or provider.timezone)
        days = horizon(tz, clock.now())
        # The same hours sent again resync the whole horizon: a change that stopped halfway is repaired.
        touched = set(days_changed(state.hours, new, days) or days) | state.pending
        prepare_change(provider_id, state, new, touched, tz)
        provider_store.commit_schedule(provider_id, new, state.version, touched, clock.now(), caller.user_id)

    retry_on_stale(replace, "the working hours")
    finish_sync(provider_id, deadline)
    provider_store.set_horizon_end(provider_id, horizon(ZoneInfo(provider.timezone), clock.now())[-1].isoformat())
    logger.info("Working hours changed", provider_id=provider_id)
    count("WorkingHoursChanged")
    return new.to_document()


def prepare_change(provider_id: str, state: ScheduleState, new: WorkingHours, days: Set[date], tz: ZoneInfo,
                   previous_tz: Optional[ZoneInfo] = None) -> None:
    """Before new hours (or a new zone) commit: mark the days pending, and close what the change closes.

    So no slot is ever open where committed hours say closed. The work is bounded by the horizon (a query
    and at most a few flag writes per week of days). Should it die half-way, nothing is committed and the
    pending days are brought back in line with the stored hours by the next sync.
    """
    provider_store.mark_pending(provider_id, days, state.version,
                                previous_timezone=previous_tz.key if previous_tz else None)
    for run in runs(days):
        existing = slot_store.slot_states(slot_store.query_slots(provider_id, *run_range(run, tz, previous_tz)))
        wanted = closing_only(desired(new, run, tz, existing))
        slot_store.write_working_time(provider_id, wanted, existing, state.version)


def _profile_zone(provider_id: str) -> Optional[str]:
    provider = provider_store.get_provider(provider_id)
    return provider.timezone if provider else None


@dataclass(frozen=True)
class SyncOutcome:
    """What one sync did: slot items written, and whether no day is left pending."""

    written: int
    complete: bool


def finish_sync(provider_id: str, deadline: Optional[float] = None) -> SyncOutcome:
    """Make the slots of the pending days follow the stored hours.

    Stops at the deadline (the scheduled job finishes the rest) or when newer hours commit meanwhile
    (their own sync takes over the days).
    """
    state = provider_store.get_schedule(provider_id)
    if not state.pending:
        return SyncOutcome(0, True)
    zone = state.timezone or _profile_zone(provider_id)  # schedules stored before the zone was kept on them
    if zone is None:
        return SyncOutcome(0, True)
    tz = ZoneInfo(zone)
    previous_tz = ZoneInfo(state.previous_timezone) if state.previous_timezone else None
    written = 0
    try:
        for run in runs(state.pending):
            if deadline is not None and time.monotonic() > deadline:
                logger.info("Slot sync continues later", provider_id=provider_id, days=len(state.pending))
                return SyncOutcome(written, False)
            existing = slot_store.slot_states(slot_store.query_slots(provider_id, *run_range(run, tz, previous_tz)))
            written += slot_store.write_working_time(provider_id, desired(state.hours, run, tz, existing), existing,
                                                     state.version)
            provider_store.settle_pending(provider_id, run, state.version)
    except StaleRead:
        return SyncOutcome(written, False)
    return SyncOutcome(written, True)


def finish_all_syncs() -> Dict[str, int]:
    """Finish every provider's pending slot sync (the scheduled job); one failure does not stop the others."""
    finished = failed = 0
    for provider_id in provider_store.list_syncing_provider_ids():
        try:
            finished += finish_sync(provider_id, sync_deadline()).complete
        except Exception:  # the next provider must still get its slots
            failed += 1
            logger.exception("Slot sync failed", provider_id=provider_id)
    return {"finished": finished, "failed": failed}


def roll_horizon(provider_id: str) -> int:
    """Lay out slots for the local days that entered the 60-day horizon (the slots written); extend the card."""
    provider = provider_store.get_provider(provider_id)
    if provider is None:
        return 0
    tz = ZoneInfo(provider.timezone)
    days = horizon(tz, clock.now())
    last = date.fromisoformat(provider.horizon_end) if provider.horizon_end else days[0] - timedelta(days=1)
    new_days = [day for day in days if day > last]
    written = 0
    if new_days:
        def open_new_days() -> None:
            # A new version too: a change of hours that read the old one before these days entered the horizon
            # would otherwise commit without them, and leave them laid out in the hours it replaced.
            provider_store.mark_pending(provider_id, new_days, provider_store.get_schedule(provider_id).version,
                                        bump_version=True)

        retry_on_stale(open_new_days, "the working hours")
        written = finish_sync(provider_id, sync_deadline()).written
        provider_store.set_horizon_end(provider_id, new_days[-1].isoformat())
        logger.info("Slot horizon rolled", provider_id=provider_id, days=len(new_days), slots=written)
    extend_cards(provider_id)
    return written


def roll_listed(provider: Provider, state: Optional[ScheduleState]) -> bool:
    """Roll one provider from what the listing shows: one read and one write, or none when nothing entered.

    Falls back to `roll_horizon` (which reads everything afresh) when the listing cannot be trusted to be
    current or complete: no schedule listed, days still pending, a zone change under way, the card not found
    at its version, more than one transaction's worth of items, or any condition failing at the write.
    Whether the fast path did it.
    """
    if not provider.horizon_end or not provider.cards_through:
        return _roll_slowly(provider.provider_id, "the profile has no horizon or cards yet")
    now, tz = clock.now(), ZoneInfo(provider.timezone)
    cards_after = date.fromisoformat(provider.cards_through)
    new_days = [day for day in horizon(tz, now) if day > date.fromisoformat(provider.horizon_end)]
    new_dates = card_dates(now, after=cards_after)
    if not new_days and not new_dates:
        return True  # nothing entered since the last roll: no call at all
    if state is None or state.pending or state.previous_timezone or state.timezone != provider.timezone:
        return _roll_slowly(provider.provider_id, "the hours are not listed, or not settled")
    days_span = (local_day_bounds(new_days[0], tz)[0], local_day_bounds(new_days[-1], tz)[1]) if new_days else None
    spans = [*(days_span or ()), *(_card_span(cards_after) if new_dates else ())]
    cards, states = slot_store.read_availability(provider.provider_id, min(spans), max(spans))
    card = next((c for day, c in cards if day == cards_after and c.version == provider.card_version), None)
    if new_dates and card is None:
        return _roll_slowly(provider.provider_id, "the card is not where the profile says")
    wanted: Dict[datetime, bool] = {}
    writes: Dict[datetime, str] = {}
    if days_span is not None:
        existing = slot_store.slot_states(s for s in states if days_span[0] <= s.start < days_span[1])
        wanted = desired(state.hours, new_days, tz, existing)
        writes = slot_writes(wanted, existing)
    if not provider_store.commit_roll(provider, state.version, new_days[-1] if new_days else None, writes, wanted,
                                      card, new_dates):
        return _roll_slowly(provider.provider_id, "the one transaction did not go through")
    if new_days:
        logger.info("Slot horizon rolled", provider_id=provider.provider_id, days=len(new_days), slots=len(writes))
    return True


def _card_span(day: date) -> Tuple[datetime, datetime]:
    """An instant range whose slot keys take in the card of UTC date `day` (it sorts just before the date's slots)."""
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc)
    return midnight - SLOT, midnight + timedelta(seconds=1)


def _roll_slowly(provider_id: str, why: str) -> bool:
    logger.info("Slot horizon roll fell back", provider_id=provider_id, why=why)
    roll_horizon(provider_id)
    return False


@dataclass
class _ShardOutcome:
    rolled: int = 0
    fell_back: int = 0
    failed: int = 0
    listing_failed: bool = False


def _roll_shard(shard: int) -> _ShardOutcome:
    """Roll every provider of one shard of the listing; one failure does not stop the others."""
    outcome = _ShardOutcome()
    try:
        for provider, state in provider_store.iter_listed(shard):
            try:
                if roll_listed(provider, state):
                    outcome.rolled += 1
                else:
                    outcome.fell_back += 1
            except Exception:  # the next provider must still get its day
                outcome.failed += 1
                logger.exception("Slot horizon roll failed", provider_id=provider.provider_id)
    except Exception:  # the listing itself: the other shards still roll, the next run does this one
        outcome.listing_failed = True
        logger.exception("Slot horizon listing failed", shard=shard)
    return outcome


def roll_all_horizons() -> Dict[str, int]:
    """Roll every provider's horizon, the listing's shards in parallel; one failure does not stop the others."""
    shards = list(provider_store.listing_shards())
    with ThreadPoolExecutor(max_workers=min(ROLL_WORKERS, len(shards)) or 1,
                            thread_name_prefix="roll") as pool:
        outcomes = list(pool.map(_roll_shard, shards))
    rolled, fell_back = sum(o.rolled for o in outcomes), sum(o.fell_back for o in outcomes)
    failed = sum(o.failed for o in outcomes)
    count("SlotHorizonsRolled", rolled + fell_back)
    if fell_back:
        count("SlotHorizonRollsFellBack", fell_back)
    return {"providers": rolled + fell_back, "failed": failed, "fell_back": fell_back,
            "failed_shards": sum(o.listing_failed for o in outcomes)}
