"""Short holds on time during checkout."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Dict, Optional
from zoneinfo import ZoneInfo

from chalicelib.config import get_settings
from chalicelib.domain.availability import live_holds
from chalicelib.domain.entities import HELD, HOLD_RELEASED, HOLD_USED, Caller, Hold
from chalicelib.domain.errors import NotFound, StaleRead, TooManyHolds
from chalicelib.domain.timegrid import format_utc, local_day_bounds
from chalicelib.domain.views import held_time_view, hold_view
from chalicelib.observability import count, logger
from chalicelib.service import clock, timing
from chalicelib.service.access import owned_provider
from chalicelib.service.availability import LONGEST_SPAN, local_date_range
from chalicelib.service.catalog import bookable
from chalicelib.service.concurrency import retry_on_stale
from chalicelib.service.stores import booking_store, slot_store

if TYPE_CHECKING:  # commands are parsed by the API; a function that only takes them needs no pydantic
    from chalicelib.domain.model import PlaceHold


def place_hold(caller: Caller, command: PlaceHold) -> Dict[str, Any]:
    """Take the time from everybody else until the hold expires."""
    provider, service = bookable(command.provider_id, command.service_id)
    now = clock.now()
    span = timing.plan(provider, service, command.start, now)
    hold = Hold(hold_id=str(uuid.uuid4()), provider_id=provider.provider_id, service_id=service.service_id,
                customer_id=caller.user_id, start=span.start, end=span.end, occupied_until=span.occupied_until,
                expires_at=(now + timedelta(minutes=provider.rules.hold_minutes)).replace(microsecond=0), created_at=format_utc(now))
    cap, now_epoch = get_settings().max_active_holds, int(now.timestamp())

    def attempt() -> None:
        # The cap is decided on the ledger as read; the hold's transaction commits only if it is still so.
        ledger = booking_store.get_hold_ledger(caller.user_id)
        if len(ledger.live(now_epoch)) >= cap:
            logger.info("Hold refused at the cap", provider_id=hold.provider_id, customer_id=caller.user_id, cap=cap)
            count("HoldRefusedAtCap")
            raise TooManyHolds(f"you hold {cap} times already; book or release one first",
                               retry_after=ledger.seconds_to_first_lapse(now_epoch))
        booking_store.commit_hold(hold, now, ledger)

    retry_on_stale(attempt, "the list of your holds")
    logger.info("Hold placed", provider_id=hold.provider_id, hold_id=hold.hold_id)
    count("HoldPlaced")
    return hold_view(hold)


def list_for_provider(caller: Caller, provider_id: str, date_from: Optional[str],
                      date_to: Optional[str]) -> Dict[str, Any]:
    """The customers' live holds starting on the provider's local dates from..to, by start, for its owner."""
    provider = owned_provider(caller, provider_id)
    first, last = local_date_range(date_from, date_to)
    tz = ZoneInfo(provider.timezone)
    start, end = local_day_bounds(first, tz)[0], local_day_bounds(last, tz)[1]
    # A hold spans at most the longest service with its buffer: reading that much more on either side finds
    # every slot of the holds that start in the range, and the first slot of those that start before it.
    slots = slot_store.query_held_slots(provider_id, start - LONGEST_SPAN, end + LONGEST_SPAN)
    held = [h for h in live_holds(slots, int(clock.now().timestamp())) if start <= h.start < end]
    return {"provider_id": provider_id, "timezone": provider.timezone,
            "holds": [held_time_view(h, tz) for h in held]}


def _release(hold: Hold) -> None:
    states = slot_store.query_slots(hold.provider_id, hold.start, hold.occupied_until)
    still_held = [s.start for s in states if s.status == HELD and s.hold_id == hold.hold_id]
    booking_store.commit_hold_release(hold, still_held, clock.now())


def release_hold(caller: Caller, hold_id: str) -> None:
    """Give the held time back at once; only its holder may."""
    hold = booking_store.get_hold(hold_id)
    if hold is None or hold.customer_id != caller.user_id or hold.state == HOLD_USED:
        raise NotFound(f"no hold {hold_id}")
    if hold.state == HOLD_RELEASED:
        return
    try:
        _release(hold)
    except StaleRead:
        # Booked or released at the same moment: answer as if this call came second.
        return release_hold(caller, hold_id)
    logger.info("Hold released", provider_id=hold.provider_id, hold_id=hold_id)
    count("HoldReleased")


def release_lapsed_holds() -> int:
    """Free the slots of holds whose time has passed (reads already treat them as free)."""
    now = clock.now()
    released = 0
    for hold in booking_store.list_lapsed_holds(now):
        try:
            _release(hold)
            released += 1
        except Exception:  # one stuck hold must not stop the others
            logger.exception("Lapsed hold release failed", hold_id=hold.hold_id)
    if released:
        logger.info("Lapsed holds released", count=released)
        count("LapsedHoldReleased", released)
    return released
