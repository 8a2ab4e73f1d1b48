"""Slot items: reading a range, and the conditions and changes every slot transition uses."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Optional, Tuple

from chalicelib.adapters import dynamo
from chalicelib.adapters.models import CardItem, ScheduleItem, SlotItem
from chalicelib.adapters.providers import card_from_item
from chalicelib.adapters.transaction import MAX_ITEMS, Transaction, TransactionFailed
from chalicelib.domain.card import BookingCard
from chalicelib.domain.entities import BLOCKED, BOOKED, FREE, HELD, SlotState
from chalicelib.domain.errors import StaleRead, TryAgain
from chalicelib.domain.sync import slot_writes
from chalicelib.domain.timegrid import parse_instant

# Past slots are only history: let DynamoDB drop them a while after they end.
SLOT_RETENTION = timedelta(days=30)


def _epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def _state(raw: Dict[str, Any]) -> SlotState:
    """A slot item's state from its raw attributes (a PynamoDB instance per slot cost more than the lookup)."""
    expires = raw.get("hold_expires")
    return SlotState(
        start=parse_instant(raw["sk"]["S"][len(SlotItem.PREFIX):], "slot"), status=raw["status"]["S"],
        in_hours=bool(raw.get("in_hours", {}).get("BOOL", False)), hold_id=_text(raw, "hold_id"),
        hold_expires=None if expires is None or "N" not in expires else int(Decimal(expires["N"])),
        booking_id=_text(raw, "booking_id"), block_id=_text(raw, "block_id"))


def _text(raw: Dict[str, Any], name: str) -> Optional[str]:
    value = raw.get(name)
    return None if value is None else value.get("S")


def _range(provider_id: str, start: datetime, end: datetime) -> Tuple[str, str, str]:
    pk, low = SlotItem.key(provider_id, start)
    _, high = SlotItem.key(provider_id, end - timedelta(seconds=1))
    return pk, low, high


def query_slots(provider_id: str, start: datetime, end: datetime) -> List[SlotState]:
    """Every slot item of the provider whose start is in [start, end), one strongly consistent Query."""
    pk, low, high = _range(provider_id, start, end)
    return [_state(raw) for raw in dynamo.query_range(pk, low, high)
            if not CardItem.is_card_key(raw["sk"]["S"])]


def query_held_slots(provider_id: str, start: datetime, end: datetime) -> List[SlotState]:
    """The HELD slot items of the provider whose start is in [start, end), lapsed or not: one strongly consistent
    Query of the range, filtered by status (cards have none)."""
    pk, low, high = _range(provider_id, start, end)
    return [_state(raw)
            for raw in dynamo.query_range(pk, low, high, filter_condition=SlotItem.status == HELD)]


def read_availability(provider_id: str, start: datetime, end: datetime
                      ) -> Tuple[List[Tuple[date, BookingCard]], List[SlotState]]:
    """The cards and the slots of the provider in [start, end): one strongly consistent Query."""
    pk, low, high = _range(provider_id, start, end)
    cards, states = [], []
    for raw in dynamo.query_range(pk, low, high):
        if CardItem.is_card_key(raw["sk"]["S"]):
            cards.append(card_from_item(raw, provider_id))
        else:
            states.append(_state(raw))
    return cards, states


def slot_states(states: Iterable[SlotState]) -> Dict[datetime, SlotState]:
    """Slot states by start."""
    return {state.start: state for state in states}


def _item(provider_id: str, start: datetime) -> SlotItem:
    return SlotItem(*SlotItem.key(provider_id, start))


def _bookable(now: datetime):
    return (SlotItem.in_hours == True) & (  # noqa: E712 (a condition expression, not a comparison)
        (SlotItem.status == FREE) | ((SlotItem.status == HELD) & (SlotItem.hold_expires <= _epoch(now))))


def hold(tx: Transaction, provider_id: str, start: datetime, hold_id: str, expires: datetime, now: datetime):
    """Take a bookable slot for a hold."""
    tx.update(f"slot:{start.isoformat()}", _item(provider_id, start), [
        SlotItem.status.set(HELD), SlotItem.hold_id.set(hold_id), SlotItem.hold_expires.set(_epoch(expires)),
        SlotItem.booking_id.remove(), SlotItem.block_id.remove()], condition=_bookable(now))


def book(tx: Transaction, provider_id: str, start: datetime, booking_id: str, now: datetime,
         hold_id: Optional[str] = None):
    """Take a slot for a booking: a bookable one, or one still held by the given hold."""
    # A held slot is booked only while still in working hours: hours closed during checkout win.
    condition = _bookable(now) if hold_id is None else (
        (SlotItem.status == HELD) & (SlotItem.hold_id == hold_id) & (SlotItem.hold_expires > _epoch(now))
        & (SlotItem.in_hours == True))  # noqa: E712 (a condition expression, not a comparison)
    tx.update(f"slot:{start.isoformat()}", _item(provider_id, start), [
        SlotItem.status.set(BOOKED), SlotItem.booking_id.set(booking_id), SlotItem.hold_id.remove(),
        SlotItem.hold_expires.remove()], condition=condition)


def keep_booked(tx: Transaction, provider_id: str, start: datetime, booking_id: str):
    """Check a slot is still this booking's (a reschedule's overlap)."""
    pk, sk = SlotItem.key(provider_id, start)
    tx.check(f"slot:{start.isoformat()}", SlotItem, pk, sk,
             (SlotItem.status == BOOKED) & (SlotItem.booking_id == booking_id))


def block(tx: Transaction, provider_id: str, start: datetime, block_id: str, in_hours: bool, now: datetime):
    """Take a slot for a block, creating the item outside working hours so the block outlives hours changes."""
    tx.update(f"slot:{start.isoformat()}", _item(provider_id, start), [
        SlotItem.status.set(BLOCKED), SlotItem.block_id.set(block_id),
        SlotItem.in_hours.set(SlotItem.in_hours | in_hours), SlotItem.hold_id.remove(),
        SlotItem.hold_expires.remove(), SlotItem.booking_id.remove(),
        SlotItem.ttl.set(_epoch(start + SLOT_RETENTION))],
        condition=SlotItem.pk.does_not_exist() | (SlotItem.status == FREE) | (
            (SlotItem.status == HELD) & (SlotItem.hold_expires <= _epoch(now))))


def release(tx: Transaction, provider_id: str, start: datetime, *, booking_id: Optional[str] = None,
            hold_id: Optional[str] = None, block_id: Optional[str] = None):
    """Give a slot back (FREE) if it is still taken by the named booking, hold or block."""
    if booking_id is not None:
        condition = (SlotItem.status == BOOKED) & (SlotItem.booking_id == booking_id)
    elif hold_id is not None:
        condition = (SlotItem.status == HELD) & (SlotItem.hold_id == hold_id)
    elif block_id is not None:
        condition = (SlotItem.status == BLOCKED) & (SlotItem.block_id == block_id)
    else:
        raise ValueError("release needs the booking, hold or block that holds the slot")
    tx.update(f"slot:{start.isoformat()}", _item(provider_id, start), [
        SlotItem.status.set(FREE), SlotItem.hold_id.remove(), SlotItem.hold_expires.remove(),
        SlotItem.booking_id.remove(), SlotItem.block_id.remove()], condition=condition)


def write_working_time(provider_id: str, desired: Dict[datetime, bool], existing: Dict[datetime, SlotState],
                       schedule_version: int) -> int:
    """Make the slots' in_hours match `desired` while the hours are at `schedule_version`.

    New working time gets FREE items; on existing items only the flag is written, so HELD, BOOKED and
    BLOCKED slots keep their status. Writes go in transactions of up to 99 slots, each checking that the
    hours are still at that version: a sync of hours that are no longer current writes nothing.
    Returns the items written; StaleRead when the hours changed.
    """
    pending = slot_writes(desired, existing)
    written = 0
    starts = sorted(pending)
    # Two syncs of one version (a request's and the job's) write different chunks: each call is its own change.
    call_id = uuid.uuid4().hex[:12]
    for offset in range(0, len(starts), MAX_ITEMS - 1):
        chunk = {start: pending[start] for start in starts[offset:offset + MAX_ITEMS - 1]}
        written += _write_chunk(provider_id, chunk, desired, schedule_version, f"{call_id}:{offset}")
    return written


def _write_chunk(provider_id: str, chunk: Dict[datetime, str], desired: Dict[datetime, bool],
                 schedule_version: int, chunk_id: str) -> int:
    schedule_key = ScheduleItem.key(provider_id)
    for attempt in range(3):
        tx = Transaction(f"hours:{provider_id}:v{schedule_version}:{chunk_id}:{attempt}")
        tx.check("schedule", ScheduleItem, *schedule_key, ScheduleItem.version == schedule_version)
        for start, how in chunk.items():
            item = _item(provider_id, start)
            label = f"slot:{start.isoformat()}"
            if how == "create":
                item.status, item.in_hours, item.ttl = FREE, True, _epoch(start + SLOT_RETENTION)
                tx.put(label, item, condition=SlotItem.pk.does_not_exist())
            else:
                tx.update(label, item, [SlotItem.in_hours.set(desired[start])], condition=SlotItem.pk.exists())
        try:
            tx.commit()
            return len(chunk)
        except TransactionFailed as failed:
            if "schedule" in failed.failure.failed():
                raise StaleRead("the working hours changed while their slots were written") from failed
            # Someone created or took a slot meanwhile: switch those to the other kind of write.
            for label in failed.failure.failed("slot:"):
                start = parse_instant(label[len("slot:"):], "slot")
                chunk[start] = "flag" if chunk[start] == "create" else "create"
    raise TryAgain()
