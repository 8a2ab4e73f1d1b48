"""Bookings, holds and idempotency records, and the transactions that move slots between them."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterable, List, Optional, Tuple

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.adapters import slots
from chalicelib.adapters.models import BlockItem, BookingItem, HoldItem, HoldLedgerItem, IdempotencyItem
from chalicelib.adapters.pagination import decode_cursor, read_page
from chalicelib.adapters.providers import block_item
from chalicelib.adapters.transaction import Failure, Transaction, TransactionFailed
from chalicelib.domain.idempotency import IdempotentAnswer
from chalicelib.domain.errors import (
    ConflictsWithBookings,
    HoldExpired,
    IdempotencyRace,
    SlotUnavailable,
    StaleRead,
    TryAgain,
)
from chalicelib.domain.limits import HoldLedger
from chalicelib.domain.notices import reminder_due
from chalicelib.domain.entities import ACTIVE_STATUSES, BOOKED, HOLD_ACTIVE, HOLD_RELEASED, HOLD_USED, Block, Booking, Hold
from chalicelib.domain.timegrid import format_utc, parse_instant, slot_starts

IDEMPOTENCY_LABEL = "idempotency"
HOLD_LABEL = "hold"
LEDGER_LABEL = "ledger"
# How long a customer's hold ledger outlives its last hold (then TTL deletes it).
LEDGER_KEPT_SECONDS = 86400
BOOKING_LABEL = "booking"


# --- bookings -------------------------------------------------------------------------------

def booking_from_item(item: BookingItem) -> Booking:
    """A booking from its stored form."""
    return Booking(
        booking_id=item.booking_id, status=item.status, provider_id=item.provider_id,
        service_id=item.service_id, customer_id=item.customer_id, start=parse_instant(item.start, "start"),
        end=parse_instant(item.end, "end"), occupied_until=parse_instant(item.occupied_until, "occupied_until"),
        timezone=item.timezone, note=item.note, reason=item.reason, created_at=item.created_at,
        updated_at=item.updated_at, version=int(item.version), changed_by=item.changed_by,
        reminded_start=item.reminded_start)


def _booking_item(booking: Booking) -> BookingItem:
    start = format_utc(booking.start)
    due = reminder_due(booking)
    return BookingItem(
        *BookingItem.key(booking.booking_id), booking_id=booking.booking_id, status=booking.status,
        provider_id=booking.provider_id, service_id=booking.service_id, customer_id=booking.customer_id,
        start=start, end=format_utc(booking.end), occupied_until=format_utc(booking.occupied_until),
        timezone=booking.timezone, note=booking.note, reason=booking.reason, created_at=booking.created_at,
        updated_at=booking.updated_at, version=booking.version, changed_by=booking.changed_by,
        reminded_start=booking.reminded_start,
        gsi3pk=BookingItem.reminder_partition(due, booking.booking_id) if due else None,
        gsi3sk=BookingItem.time_sort_key(format_utc(due), booking.booking_id) if due else None,
        gsi1pk=BookingItem.customer_partition(booking.customer_id),
        gsi1sk=BookingItem.time_sort_key(start, booking.booking_id),
        gsi2pk=BookingItem.provider_partition(booking.provider_id),
        gsi2sk=BookingItem.time_sort_key(start, booking.booking_id))


def get_booking(booking_id: str) -> Optional[Booking]:
    """The booking, or None."""
    try:
        return booking_from_item(BookingItem.get(*BookingItem.key(booking_id), consistent_read=True))
    except DoesNotExist:
        return None


def _list(index, partition: str, start: datetime, end: datetime, status: Optional[str], limit: int,
          cursor: Optional[str]) -> Tuple[List[Booking], Optional[str]]:
    sort_key = index.Meta.index_name + "sk"
    low, high = format_utc(start), format_utc(end)
    condition = getattr(BookingItem, sort_key).between(low, high + "~")
    result = index.query(partition, condition, filter_condition=(BookingItem.status == status) if status else None,
                         limit=limit, last_evaluated_key=decode_cursor(cursor, index.Meta.index_name, partition))
    return read_page(result, booking_from_item, cursor, index.Meta.index_name)


def list_customer_bookings(customer_id: str, start: datetime, end: datetime, status: Optional[str], limit: int,
                           cursor: Optional[str]) -> Tuple[List[Booking], Optional[str]]:
    """A page of one customer's bookings that start in [start, end], by start."""
    return _list(BookingItem.by_customer, BookingItem.customer_partition(customer_id), start, end, status, limit,
                 cursor)


def list_provider_bookings(provider_id: str, start: datetime, end: datetime, status: Optional[str], limit: int,
                           cursor: Optional[str]) -> Tuple[List[Booking], Optional[str]]:
    """A page of one provider's bookings that start in [start, end], by start."""
    return _list(BookingItem.by_provider, BookingItem.provider_partition(provider_id), start, end, status, limit,
                 cursor)


def list_due_reminders(now: datetime, lookback: timedelta) -> List[Booking]:
    """Bookings whose reminder fell due in (now - lookback, now] and has not gone out (the index may lag)."""
    high = format_utc(now) + "~"
    low = format_utc(now - lookback)
    hour = (now - lookback).replace(minute=0, second=0, microsecond=0)
    found = []
    while hour <= now:
        for shard in range(BookingItem.REMINDER_SHARDS):
            partition = BookingItem.reminder_partition_of(hour.strftime("%Y-%m-%dT%H"), shard)
            found += [booking_from_item(item) for item in
                      BookingItem.by_reminder.query(partition, BookingItem.gsi3sk.between(low, high))]
        hour += timedelta(hours=1)
    return found


def mark_reminded(booking: Booking) -> bool:
    """Record that the reminder for the booking's current start went out; False if it moved or ended meanwhile."""
    start = format_utc(booking.start)
    try:
        BookingItem(*BookingItem.key(booking.booking_id)).update(
            actions=[BookingItem.reminded_start.set(start), BookingItem.gsi3pk.remove(), BookingItem.gsi3sk.remove()],
            condition=(BookingItem.start == start) & BookingItem.status.is_in(*ACTIVE_STATUSES))
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _occupied(booking_or_hold) -> List[datetime]:
    return slot_starts(booking_or_hold.start, booking_or_hold.occupied_until)


# --- holds ------------------------------------------------------------------------------------

def _hold(item: HoldItem) -> Hold:
    return Hold(hold_id=item.hold_id, provider_id=item.provider_id, service_id=item.service_id,
                customer_id=item.customer_id, start=parse_instant(item.start, "start"),
                end=parse_instant(item.end, "end"),
                occupied_until=parse_instant(item.occupied_until, "occupied_until"),
                expires_at=datetime.fromtimestamp(int(item.expires_at), tz=timezone.utc),
                created_at=item.created_at, state=item.state)


def get_hold(hold_id: str) -> Optional[Hold]:
    """The hold, lapsed or not, while its item exists."""
    try:
        return _hold(HoldItem.get(*HoldItem.key(hold_id), consistent_read=True))
    except DoesNotExist:
        return None


def list_lapsed_holds(now: datetime) -> List[Hold]:
    """Holds whose time has passed, from every expiry shard."""
    condition = HoldItem.gsi1sk < format_utc(now)
    return [_hold(item) for shard in HoldItem.expiry_partitions()
            for item in HoldItem.by_expiry.query(shard, condition)]


def get_hold_ledger(customer_id: str) -> HoldLedger:
    """The customer's ledger of holds as stored (strongly consistent); version 0 when there is none."""
    data = HoldLedgerItem._get_connection().get_item(*HoldLedgerItem.key(customer_id), consistent_read=True)
    item = data.get("Item") or {}
    prefix = HoldLedgerItem.ENTRY_PREFIX
    entries = {name[len(prefix):]: int(value["N"]) for name, value in item.items()
               if name.startswith(prefix) and "N" in value}
    return HoldLedger(version=int(item["version"]["N"]) if "version" in item else 0, entries=entries)


def _ledger_entry_removed(tx: Transaction, hold: Hold, now: datetime) -> None:
    """Drop the hold from its customer's ledger (a no-op when it is not there); a missing ledger gets a TTL."""
    tx.update(LEDGER_LABEL, HoldLedgerItem(*HoldLedgerItem.key(hold.customer_id)),
              [HoldLedgerItem.entry(hold.hold_id).remove(),
               HoldLedgerItem.ttl.set(HoldLedgerItem.ttl | int(now.timestamp()) + LEDGER_KEPT_SECONDS)])


def commit_hold(hold: Hold, now: datetime, ledger: HoldLedger) -> None:
    """Take every slot the hold spans, write the hold and enter it in its customer's ledger (if the ledger is
    still as read), all or nothing: StaleRead when the ledger changed, SlotUnavailable when the time is taken."""
    expires = int(hold.expires_at.timestamp())
    now_epoch = int(now.timestamp())
    # The ledger's version is in the intent: a retry after a lost race on the ledger is another change.
    tx = Transaction(f"hold:{hold.hold_id}:ledger-v{ledger.version}")
    for start in _occupied(hold):
        slots.hold(tx, hold.provider_id, start, hold.hold_id, hold.expires_at, now)
    tx.put(HOLD_LABEL, HoldItem(
        *HoldItem.key(hold.hold_id), hold_id=hold.hold_id, provider_id=hold.provider_id,
        service_id=hold.service_id, customer_id=hold.customer_id, start=format_utc(hold.start),
        end=format_utc(hold.end), occupied_until=format_utc(hold.occupied_until), expires_at=expires,
        created_at=hold.created_at, state=HOLD_ACTIVE, ttl=expires + 86400, gsi1pk=HoldItem.expiry_partition(hold.hold_id),
        gsi1sk=f"{format_utc(hold.expires_at)}#{hold.hold_id}"), condition=HoldItem.pk.does_not_exist())
    last = max([expires, *ledger.live(now_epoch).values()])
    tx.update(LEDGER_LABEL, HoldLedgerItem(*HoldLedgerItem.key(hold.customer_id)),
              [*(HoldLedgerItem.entry(lapsed).remove() for lapsed in ledger.lapsed(now_epoch)),
               HoldLedgerItem.entry(hold.hold_id).set({"N": str(expires)}),
               HoldLedgerItem.version.set(ledger.version + 1), HoldLedgerItem.ttl.set(last + LEDGER_KEPT_SECONDS)],
              condition=(HoldLedgerItem.version == ledger.version) if ledger.version
              else HoldLedgerItem.version.does_not_exist())
    try:
        tx.commit()
    except TransactionFailed as failed:
        if LEDGER_LABEL in failed.failure.failed() or LEDGER_LABEL in failed.failure.conflicted():
            raise StaleRead("the customer's holds changed since they were read") from failed
        raise SlotUnavailable()


def commit_hold_release(hold: Hold, still_held: Iterable[datetime], now: datetime) -> None:
    """Free the slots the hold still has, mark it released (it stays, so using it says it lapsed) and drop it
    from its customer's ledger."""
    tx = Transaction(f"release-hold:{hold.hold_id}")
    for start in still_held:
        slots.release(tx, hold.provider_id, start, hold_id=hold.hold_id)
    _ledger_entry_removed(tx, hold, now)
    tx.update(HOLD_LABEL, HoldItem(*HoldItem.key(hold.hold_id)),
              [HoldItem.state.set(HOLD_RELEASED), HoldItem.gsi1pk.remove(), HoldItem.gsi1sk.remove()],
              condition=HoldItem.state == HOLD_ACTIVE)
    try:
        tx.commit()
    except TransactionFailed as failed:
        raise StaleRead("the hold was booked or released meanwhile") from failed


# --- idempotency ------------------------------------------------------------------------------

def get_idempotent_answer(user_id: str, key: str) -> Optional[IdempotentAnswer]:
    """The stored first answer for this user and key, expired or not."""
    try:
        item = IdempotencyItem.get(*IdempotencyItem.key(user_id, key), consistent_read=True)
    except DoesNotExist:
        return None
    return IdempotentAnswer(user_id=user_id, key=key, request_hash=item.request_hash,
                            status_code=int(item.status_code), body=json.loads(item.body),
                            expires_at=int(item.expires_at))


# --- bookings' transactions -------------------------------------------------------------------

def commit_booking(booking: Booking, answer: IdempotentAnswer, hold: Optional[Hold], now: datetime) -> None:
    """Take the slots (from the hold, if any), write the booking and its idempotent answer: one write call."""
    tx = Transaction(f"book:{booking.booking_id}")
    for start in _occupied(booking):
        slots.book(tx, booking.provider_id, start, booking.booking_id, now,
                   hold_id=hold.hold_id if hold else None)
    tx.put(BOOKING_LABEL, _booking_item(booking), condition=BookingItem.pk.does_not_exist())
    now_epoch = int(now.timestamp())
    tx.put(IDEMPOTENCY_LABEL, IdempotencyItem(
        *IdempotencyItem.key(answer.user_id, answer.key), request_hash=answer.request_hash,
        status_code=answer.status_code, body=json.dumps(answer.body), booking_id=booking.booking_id,
        expires_at=answer.expires_at, ttl=answer.expires_at),
        condition=IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.expires_at < now_epoch))
    if hold is not None:
        tx.update(HOLD_LABEL, HoldItem(*HoldItem.key(hold.hold_id)),
                  [HoldItem.state.set(HOLD_USED), HoldItem.booking_id.set(booking.booking_id),
                   HoldItem.gsi1pk.remove(), HoldItem.gsi1sk.remove()],
                  condition=(HoldItem.customer_id == booking.customer_id) & (HoldItem.state == HOLD_ACTIVE)
                  & (HoldItem.expires_at > now_epoch))
        _ledger_entry_removed(tx, hold, now)
    try:
        tx.commit()
    except TransactionFailed as failed:
        reasons = failed.failure
        if IDEMPOTENCY_LABEL in reasons.failed():
            raise IdempotencyRace(in_progress=False)
        if IDEMPOTENCY_LABEL in reasons.conflicted():
            raise IdempotencyRace(in_progress=True)
        if HOLD_LABEL in reasons.failed():
            raise HoldExpired()
        if LEDGER_LABEL in reasons.conflicted():
            raise TryAgain("your holds are being changed right now; try again shortly")
        raise SlotUnavailable()


def commit_booking_change(before: Booking, after: Booking, release: bool) -> None:
    """Write a status change if the booking is as read; free its time too when it stops taking it."""
    condition = (BookingItem.version == before.version) & (BookingItem.status == before.status)
    if not release:
        # Nothing but the booking changes: one conditional update, not a transaction (half the write cost). It
        # has no request token, so its own resend after a lost response must pass too: the item is then exactly
        # this change (a fault-injection test found the resend refused, and a committed confirm answered 409).
        already = ((BookingItem.version == after.version) & (BookingItem.status == after.status)
                   & (BookingItem.changed_by == after.changed_by) & (BookingItem.updated_at == after.updated_at))
        try:
            BookingItem(*BookingItem.key(before.booking_id)).update(actions=[
                BookingItem.status.set(after.status), BookingItem.reason.set(after.reason),
                BookingItem.updated_at.set(after.updated_at), BookingItem.version.set(after.version),
                BookingItem.changed_by.set(after.changed_by)],
                condition=condition | already)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise StaleRead("the booking changed since it was read") from error
            raise
        return
    tx = Transaction(f"{after.status.lower()}:{before.booking_id}:v{before.version}")
    tx.put(BOOKING_LABEL, _booking_item(after), condition=condition)
    for start in _occupied(before):
        slots.release(tx, before.provider_id, start, booking_id=before.booking_id)
    try:
        tx.commit()
    except TransactionFailed as failed:
        raise StaleRead("the booking changed since it was read") from failed


def commit_reschedule(before: Booking, after: Booking, now: datetime) -> None:
    """Move a booking: free old slots, take new ones, keep the overlap — one transaction."""
    old, new = set(_occupied(before)), set(_occupied(after))
    tx = Transaction(f"reschedule:{before.booking_id}:v{before.version}")
    for start in sorted(old - new):
        slots.release(tx, before.provider_id, start, booking_id=before.booking_id)
    for start in sorted(new - old):
        slots.book(tx, after.provider_id, start, after.booking_id, now)
    for start in sorted(old & new):
        slots.keep_booked(tx, before.provider_id, start, before.booking_id)
    tx.put(BOOKING_LABEL, _booking_item(after),
           condition=(BookingItem.version == before.version) & (BookingItem.status == before.status))
    try:
        tx.commit()
    except TransactionFailed as failed:
        labels = set(failed.failure.failed()) | set(failed.failure.conflicted())
        new_labels = {f"slot:{start.isoformat()}" for start in new - old}
        if labels & new_labels:
            raise SlotUnavailable()
        raise StaleRead("the booking changed since it was read") from failed


# --- blocks -----------------------------------------------------------------------------------

def commit_block(block: Block, in_hours: Dict[datetime, bool], now: datetime) -> None:
    """Take every slot of the block's time and write the block, or say what is in the way."""
    tx = Transaction(f"block:{block.block_id}")
    for start in slot_starts(block.start, block.end):
        slots.block(tx, block.provider_id, start, block.block_id, in_hours[start], now)
    tx.put("block", block_item(block))
    try:
        tx.commit()
    except TransactionFailed as failed:
        booking_ids = _booking_ids(failed.failure)
        if booking_ids:
            raise ConflictsWithBookings(details={"booking_ids": booking_ids})
        raise SlotUnavailable()


def _booking_ids(failure: Failure) -> List[str]:
    ids = []
    for label in failure.failed("slot:"):
        item = failure.old_item(label) or {}
        if item.get("status", {}).get("S") == BOOKED:
            booking_id = item.get("booking_id", {}).get("S")
            if booking_id and booking_id not in ids:
                ids.append(booking_id)
    return ids


def commit_block_delete(block: Block, still_blocked: Iterable[datetime]) -> None:
    """Free the block's slots and delete it, if both are as read."""
    tx = Transaction(f"unblock:{block.block_id}")
    for start in still_blocked:
        slots.release(tx, block.provider_id, start, block_id=block.block_id)
    tx.delete("block", block_item(block), condition=BlockItem.pk.exists())
    try:
        tx.commit()
    except TransactionFailed as failed:
        raise StaleRead("the block changed since it was read") from failed

