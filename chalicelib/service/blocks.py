"""Time a provider takes out of the schedule."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Dict, Optional
from zoneinfo import ZoneInfo

from chalicelib.domain.entities import BLOCKED, MAX_BLOCK_HOURS, Block, Caller
from chalicelib.domain.errors import InvalidRequest, NotFound, SlotUnavailable
from chalicelib.domain.schedule import working_slots
from chalicelib.domain.timegrid import format_utc, is_on_grid, local_date, parse_instant, slot_starts
from chalicelib.domain.views import block_view
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.access import owned_provider
from chalicelib.service.concurrency import retry_on_stale
from chalicelib.service.stores import booking_store, provider_store, slot_store

if TYPE_CHECKING:  # commands are parsed by the API; a function that only takes them needs no pydantic
    from chalicelib.domain.model import CreateBlock


def create_block(caller: Caller, provider_id: str, command: CreateBlock) -> Dict[str, Any]:
    """Block time; refused with the booking ids when it overlaps pending or confirmed bookings."""
    provider = owned_provider(caller, provider_id)
    tz = ZoneInfo(provider.timezone)
    start, end = parse_instant(command.start, "start"), parse_instant(command.end, "end")
    if not is_on_grid(start, tz) or not is_on_grid(end, tz):
        raise InvalidRequest("start and end: must be on the 15-minute grid, e.g. 12:00 or 12:15")
    if end <= start:
        raise InvalidRequest("end: must be after start")
    if end - start > timedelta(hours=MAX_BLOCK_HOURS):
        raise InvalidRequest(f"end: a block spans at most {MAX_BLOCK_HOURS} hours; "
                             "for whole days off, use working-hours overrides")
    now = clock.now()
    if end <= now:
        raise InvalidRequest("end: must be in the future")
    hours = provider_store.get_schedule(provider_id).hours
    working = set()
    for day in {local_date(start, tz), local_date(end - timedelta(minutes=15), tz)}:
        working.update(working_slots(hours, day, tz))
    block = Block(block_id=str(uuid.uuid4()), provider_id=provider_id, start=start, end=end,
                  reason=command.reason, created_at=format_utc(now), created_by=caller.user_id)
    try:
        booking_store.commit_block(block, {s: s in working for s in slot_starts(start, end)}, now)
    except SlotUnavailable as taken:
        raise SlotUnavailable("the block overlaps a customer's hold or another block; try again later") from taken
    logger.info("Block created", provider_id=provider_id, block_id=block.block_id)
    count("BlockCreated")
    return block_view(block)


def list_blocks(caller: Caller, provider_id: str, limit: int, cursor: Optional[str]) -> Dict[str, Any]:
    """The owner's blocks."""
    owned_provider(caller, provider_id)
    blocks, next_cursor = provider_store.list_blocks(provider_id, limit, cursor)
    return {"blocks": [block_view(b) for b in blocks], "next_cursor": next_cursor}


def delete_block(caller: Caller, provider_id: str, block_id: str) -> None:
    """Remove a block; its time is free again where it is working time."""
    owned_provider(caller, provider_id)

    def delete() -> None:
        block = provider_store.get_block(provider_id, block_id)
        if block is None:
            raise NotFound(f"no block {block_id}")
        states = slot_store.query_slots(provider_id, block.start, block.end)
        still_blocked = [s.start for s in states if s.status == BLOCKED and s.block_id == block_id]
        booking_store.commit_block_delete(block, still_blocked)

    retry_on_stale(delete, "the block")
    logger.info("Block deleted", provider_id=provider_id, block_id=block_id)
    count("BlockDeleted")
