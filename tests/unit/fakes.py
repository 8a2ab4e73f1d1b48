"""In-memory fakes of the four repositories, for unit tests of the services (test code, not product code).

`FakeProviders`, `FakeBookings`, `FakeSlots` and `FakeReviews` have the function names, signatures and
semantics of chalicelib/adapters/providers.py, bookings.py, slots.py and reviews.py, over one `FakeState` whose
dicts are keyed like the table's items. A conditional write checks all its conditions first and writes nothing
when one fails (all or nothing, as a transaction), then raises what the adapter raises (StaleRead,
SlotUnavailable, HoldExpired, IdempotencyRace, ConflictsWithBookings, AlreadyReviewed, BookingNotReviewable,
TryAgain). Slot rules come from the domain
(`SlotState.bookable`), not re-implemented here.

Every call of a repository function is recorded in `state.calls`. Faults, for tests:
    state.before("commit_booking_change", competitor)   # run a competitor just before the next call
    state.fail("write_working_time", after=3)           # the 4th call from now dies (raises Crash)
"""
from __future__ import annotations

import dataclasses
import functools
import json
import zlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Union

from chalicelib.domain.card import BookingCard
from chalicelib.domain.errors import (
    AlreadyReviewed, BookingNotReviewable, ConflictsWithBookings, HoldExpired, IdempotencyRace, InvalidRequest,
    NotFound, SlotUnavailable, StaleRead, TryAgain)
from chalicelib.domain.idempotency import IdempotentAnswer
from chalicelib.domain.limits import HoldLedger
from chalicelib.domain.notices import reminder_due
from chalicelib.domain.entities import ACTIVE_STATUSES, BLOCKED, BOOKED, CONFIRMED, FREE, HELD, HOLD_ACTIVE, HOLD_RELEASED, HOLD_USED, Block, Booking, Hold, Provider, Review, Service, SlotState
from chalicelib.domain.schedule import WorkingHours
from chalicelib.domain.sync import ScheduleState, slot_writes
from chalicelib.domain.timegrid import format_utc, slot_starts

CHUNK = 99  # slots per working-time transaction (the adapter's MAX_ITEMS - 1)
LISTING_SHARDS = 4  # the providers' listing (the adapter has 16)


def _listing_shard(provider_id: str) -> int:
    return zlib.crc32(provider_id.encode()) % LISTING_SHARDS


class Crash(Exception):
    """A function dying mid-request (a Lambda timing out): what `fail` raises by default."""


class TransactionFailed(Exception):
    """A transaction the adapter lets fail unconverted (create_provider, commit_block_delete)."""


@dataclasses.dataclass
class ScheduleRecord:
    """The SCHEDULE item; `syncing` is its presence on the sparse index of schedules with pending days."""

    hours: WorkingHours
    version: int
    timezone: Optional[str]
    updated_at: str
    pending: Set[date] = dataclasses.field(default_factory=set)
    previous_timezone: Optional[str] = None
    syncing: bool = False

    def add_pending(self, days: Iterable[date]) -> None:
        self.pending |= set(days)
        self.syncing = True


@dataclasses.dataclass
class _Hook:
    action: Callable[[], Any]
    after: int
    times: int


class FakeState:
    """What the table holds, by partition (provider, booking, hold, idempotency key) and sort key."""

    def __init__(self) -> None:
        self.providers: Dict[str, Provider] = {}                       # PROVIDER#p / PROFILE
        self.schedules: Dict[str, ScheduleRecord] = {}                 # PROVIDER#p / SCHEDULE
        self.services: Dict[str, Dict[str, Service]] = defaultdict(dict)   # PROVIDER#p / SERVICE#s
        self.blocks: Dict[str, Dict[str, Block]] = defaultdict(dict)       # PROVIDER#p / BLOCK#b
        # PROVIDER#p / SLOT#...: cards under a UTC date ("2026-12-01"), slots under a start ("...T09:00:00Z"),
        # so they sort together as in the table and one range read finds both.
        self.slot_rows: Dict[str, Dict[str, Union[SlotState, BookingCard]]] = defaultdict(dict)
        self.holds: Dict[str, Hold] = {}                               # HOLD#h
        self.bookings: Dict[str, Booking] = {}                         # BOOKING#b
        self.answers: Dict[Tuple[str, str], IdempotentAnswer] = {}     # IDEMPOTENCY#user#key
        self.reviews: Dict[str, Review] = {}                           # BOOKING#b / REVIEW
        self.rating_sums: Dict[str, int] = defaultdict(int)            # PROVIDER#p / PROFILE rating_sum
        self.ledgers: Dict[str, HoldLedger] = {}                       # CUSTOMER#c / HOLDS
        self.write_counts: Dict[Tuple[str, str], int] = {}             # USER#u / RATE#minute
        self.calls: List[str] = []
        self._hooks: Dict[str, List[_Hook]] = defaultdict(list)

    def repositories(self) -> Dict[str, Any]:
        """The fakes to put behind the repository names: `stores.using(**state.repositories())`."""
        return {"providers": FakeProviders(self), "bookings": FakeBookings(self), "slots": FakeSlots(self),
                "reviews": FakeReviews(self), "limits": FakeLimits(self)}

    # --- faults ---------------------------------------------------------------------------------

    def before(self, name: str, action: Callable[[], Any], times: int = 1, after: int = 0) -> None:
        """Run `action()` just before `times` calls of repository function `name`, the first `after` calls spared."""
        self._hooks[name].append(_Hook(action, after, times))

    def fail(self, name: str, error: Union[BaseException, type, None] = None, times: int = 1, after: int = 0) -> None:
        """Make `times` calls of `name` raise `error` (default Crash) instead of running, after `after` calls."""
        def crash() -> None:
            if error is None:
                raise Crash(f"{name} died here")
            raise error() if isinstance(error, type) else error
        self.before(name, crash, times, after)

    def enter(self, name: str) -> None:
        self.calls.append(name)
        for hook in list(self._hooks[name]):
            if hook.after:
                hook.after -= 1
            elif hook.times:
                hook.times -= 1  # spent before it runs: a competitor may call the same function
                hook.action()

    # --- slot rows ------------------------------------------------------------------------------

    def slot(self, provider_id: str, start: datetime) -> Optional[SlotState]:
        return self.slot_rows[provider_id].get(_slot_key(start))

    def put_slot(self, provider_id: str, state: SlotState) -> None:
        self.slot_rows[provider_id][_slot_key(state.start)] = state

    def rows_between(self, provider_id: str, start: datetime, end: datetime
                     ) -> List[Tuple[str, Union[SlotState, BookingCard]]]:
        """The SLOT# rows (key, row) whose key is in [SLOT#start, SLOT#(end - 1 s)], in key order, as the adapters
        query them: a card, keyed by its date, sorts just before that date's first slot."""
        low, high = format_utc(start), format_utc(end - timedelta(seconds=1))
        rows = self.slot_rows[provider_id]
        return [(key, rows[key]) for key in sorted(rows) if low <= key <= high]

    def write_cards(self, card: BookingCard, dates: Sequence[date]) -> None:
        for day in dates:
            self.slot_rows[card.provider_id][day.isoformat()] = card


@functools.lru_cache(maxsize=1 << 16)
def _slot_key(start: datetime) -> str:
    return format_utc(start)


def _recorded(method):
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        self.state.enter(method.__name__)
        return method(self, *args, **kwargs)
    return run


class _Transaction:
    """Conditions first, then every write: all or nothing. `failed` names the items whose condition failed."""

    def __init__(self) -> None:
        self.failed: List[str] = []
        self._writes: List[Callable[[], None]] = []

    def require(self, label: str, holds: bool, write: Optional[Callable[[], None]] = None) -> None:
        if not holds:
            self.failed.append(label)
        if write is not None:
            self._writes.append(write)

    def commit(self) -> bool:
        """Apply the writes if every condition held; whether it did."""
        if self.failed:
            return False
        for write in self._writes:
            write()
        return True


def _epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def _copy_answer(answer: IdempotentAnswer) -> IdempotentAnswer:
    return dataclasses.replace(answer, body=json.loads(json.dumps(answer.body)))  # stored as JSON text


def _page(items: List[Any], key: Callable[[Any], str], limit: int, cursor: Optional[str], listing: str,
          keep: Callable[[Any], bool] = lambda item: True) -> Tuple[List[Any], Optional[str]]:
    """A Query page: `limit` items read after the cursor's key, then filtered; a cursor when the page filled."""
    after = ""
    if cursor:
        prefix = f"{listing}:"
        if not cursor.startswith(prefix):
            raise InvalidRequest("cursor: not a cursor from a previous answer; start again without it")
        after = cursor[len(prefix):]
    read = [item for item in sorted(items, key=key) if key(item) > after][:limit]
    next_cursor = f"{listing}:{key(read[-1])}" if len(read) == limit else None
    return [item for item in read if keep(item)], next_cursor


# --- slot transitions (chalicelib/adapters/slots.py): a condition and the row it writes ---------

def _take_bookable(tx: _Transaction, state: FakeState, provider_id: str, start: datetime, now: datetime,
                   **changes: Any) -> None:
    slot = state.slot(provider_id, start)
    tx.require(f"slot:{start.isoformat()}", slot is not None and slot.bookable(_epoch(now)),
               lambda: state.put_slot(provider_id, dataclasses.replace(slot, **changes)))


def _release(tx: _Transaction, state: FakeState, provider_id: str, start: datetime, *, status: str,
             **taken_by: str) -> None:
    """Give a slot back (FREE) if still taken (`status`) by the named booking, hold or block."""
    slot = state.slot(provider_id, start)
    (field, owner), = taken_by.items()
    tx.require(f"slot:{start.isoformat()}",
               slot is not None and slot.status == status and getattr(slot, field) == owner,
               lambda: state.put_slot(provider_id, dataclasses.replace(
                   slot, status=FREE, hold_id=None, hold_expires=None, booking_id=None, block_id=None)))


def _book(tx: _Transaction, state: FakeState, provider_id: str, start: datetime, booking_id: str, now: datetime,
          hold_id: Optional[str] = None) -> None:
    """Take a slot for a booking: a bookable one, or one still held (not lapsed) by the given hold."""
    booked = dict(status=BOOKED, booking_id=booking_id, hold_id=None, hold_expires=None)
    if hold_id is None:
        return _take_bookable(tx, state, provider_id, start, now, **booked)
    slot = state.slot(provider_id, start)
    held = (slot is not None and slot.status == HELD and slot.hold_id == hold_id
            and (slot.hold_expires or 0) > _epoch(now) and slot.in_hours)
    tx.require(f"slot:{start.isoformat()}", held,
               lambda: state.put_slot(provider_id, dataclasses.replace(slot, **booked)))


def _occupied(booking_or_hold: Union[Booking, Hold]) -> List[datetime]:
    return slot_starts(booking_or_hold.start, booking_or_hold.occupied_until)


class FakeProviders:
    """chalicelib/adapters/providers.py in memory."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    @_recorded
    def get_provider(self, provider_id: str) -> Optional[Provider]:
        return self.state.providers.get(provider_id)

    @_recorded
    def get_provider_with_services(self, provider_id: str) -> Optional[Tuple[Provider, List[Service]]]:
        provider = self.state.providers.get(provider_id)
        if provider is None:
            return None
        return provider, sorted(self.state.services[provider_id].values(), key=lambda s: (s.created_at, s.service_id))

    @_recorded
    def get_providers(self, provider_ids: Iterable[str]) -> List[Provider]:
        return [self.state.providers[p] for p in sorted(set(provider_ids)) if p in self.state.providers]

    @_recorded
    def create_provider(self, provider: Provider, hours: WorkingHours, card: BookingCard, card_dates: Sequence[date],
                        now: datetime) -> None:
        pid = provider.provider_id
        if pid in self.state.providers or pid in self.state.schedules:
            raise TransactionFailed(f"provider {pid} exists")
        self.state.providers[pid] = provider
        self.state.schedules[pid] = ScheduleRecord(hours, 1, provider.timezone, format_utc(now))
        self.state.write_cards(card, card_dates)

    @_recorded
    def replace_provider(self, after: Provider, before: Provider, card: Optional[BookingCard] = None,
                         card_dates: Sequence[date] = (), zone_change: Optional[Tuple[int, Sequence[date]]] = None,
                         now: Optional[datetime] = None) -> None:
        current = self.state.providers.get(after.provider_id)
        tx = _Transaction()
        # The profile's own fields as `after` has them, on condition of the version read; its rating and review
        # count stay as they are now (the adapter updates fields, it does not put the item).
        same = current is not None and current.version == before.version and (
            card is None or current.card_version == before.card_version)
        tx.require("profile", same, lambda: self.state.providers.__setitem__(after.provider_id, dataclasses.replace(
            after, rating=current.rating, review_count=current.review_count)))
        if zone_change is not None:
            version, days = zone_change
            schedule = self.state.schedules.get(after.provider_id)

            def move() -> None:
                schedule.version, schedule.timezone, schedule.updated_at = version + 1, after.timezone, format_utc(now)
                schedule.add_pending(days)
            tx.require("schedule", schedule is not None and schedule.version == version, move)
        if card is not None:
            tx.require("cards", True, lambda: self.state.write_cards(card, card_dates))
        if not tx.commit():
            raise StaleRead("the provider changed since it was read")

    @_recorded
    def extend_cards(self, provider: Provider, card: BookingCard, dates: Sequence[date]) -> None:
        current = self.state.providers.get(provider.provider_id)
        if current is None or current.card_version != card.version:
            raise StaleRead("the provider's card changed since it was read")
        self.state.providers[provider.provider_id] = dataclasses.replace(current, cards_through=dates[-1].isoformat())
        self.state.write_cards(card, dates)

    @_recorded
    def set_horizon_end(self, provider_id: str, horizon_end: str) -> None:
        current = self.state.providers.get(provider_id)
        if current is not None and (current.horizon_end is None or current.horizon_end < horizon_end):
            self.state.providers[provider_id] = dataclasses.replace(current, horizon_end=horizon_end)

    @_recorded
    def list_owned_provider_ids(self, owner_id: str, limit: int, cursor: Optional[str]
                                ) -> Tuple[List[str], Optional[str]]:
        """By `<created_at>#<provider_id>`, the owner's index partition (gsi2 `OWNER#<owner_id>`)."""
        mine = [p for p in self.state.providers.values() if p.owner_id == owner_id]
        page, next_cursor = _page(mine, lambda p: f"{p.created_at}#{p.provider_id}", limit, cursor, "gsi2")
        return [p.provider_id for p in page], next_cursor

    @_recorded
    def listing_shards(self) -> Sequence[int]:
        return range(LISTING_SHARDS)

    @_recorded
    def iter_provider_ids(self) -> Iterator[str]:
        return iter([pid for shard in range(LISTING_SHARDS) for pid in sorted(self.state.providers)
                     if _listing_shard(pid) == shard])

    @_recorded
    def iter_listed(self, shard: int) -> Iterator[Tuple[Provider, Optional[ScheduleState]]]:
        """The shard's profiles with their schedules (the adapter's two index queries), as they are now."""
        for pid in sorted(p for p in self.state.providers if _listing_shard(p) == shard):
            yield self.state.providers[pid], (self._schedule_state(pid) if pid in self.state.schedules else None)

    @_recorded
    def commit_roll(self, provider: Provider, schedule_version: Optional[int], horizon_end: Optional[date],
                    slots: Dict[datetime, str], in_hours: Dict[datetime, bool], card: Optional[BookingCard],
                    card_dates: Sequence[date]) -> bool:
        """One transaction: the profile as listed, the hours at the version and settled (bumped), each slot
        absent to create or present to flag, the cards; False (nothing written) when one does not hold."""
        pid, items = provider.provider_id, 1 + (horizon_end is not None) + len(slots) + len(card_dates)
        current, record = self.state.providers.get(pid), self.state.schedules.get(pid)
        holds = items <= CHUNK + 1 and current is not None and (current.card_version, current.horizon_end,
                                                               current.cards_through) == (
            provider.card_version, provider.horizon_end, provider.cards_through)
        if horizon_end is not None:
            holds = holds and record is not None and record.version == schedule_version and not record.pending
        holds = holds and all((self.state.slot(pid, s) is None) == (how == "create") for s, how in slots.items())
        if not holds:
            return False
        for start, how in slots.items():
            slot = self.state.slot(pid, start)
            self.state.put_slot(pid, SlotState(start, FREE, True) if how == "create"
                                else dataclasses.replace(slot, in_hours=in_hours[start]))
        if horizon_end is not None:
            record.version += 1
            current = dataclasses.replace(current, horizon_end=horizon_end.isoformat())
        if card is not None and card_dates:
            current = dataclasses.replace(current, cards_through=card_dates[-1].isoformat())
            self.state.write_cards(card, card_dates)
        self.state.providers[pid] = current
        return True

    # --- working hours ------------------------------------------------------------------------

    @_recorded
    def get_schedule(self, provider_id: str) -> ScheduleState:
        return self._schedule_state(provider_id)

    def _schedule_state(self, provider_id: str) -> ScheduleState:
        record = self.state.schedules.get(provider_id)
        if record is None:
            return ScheduleState(WorkingHours.closed(), 0)
        return ScheduleState(hours=record.hours, version=record.version, pending=frozenset(record.pending),
                             timezone=record.timezone, previous_timezone=record.previous_timezone)

    def _at_version(self, provider_id: str, version: int) -> ScheduleRecord:
        record = self.state.schedules.get(provider_id)
        if record is None or record.version != version:
            raise StaleRead("the working hours changed since they were read")
        return record

    @_recorded
    def mark_pending(self, provider_id: str, days: Iterable[date], version: int,
                     previous_timezone: Optional[str] = None, bump_version: bool = False) -> None:
        days = list(days)
        if not days:
            return
        record = self._at_version(provider_id, version)
        record.add_pending(days)
        if previous_timezone is not None:
            record.previous_timezone = previous_timezone
        if bump_version:
            record.version += 1

    @_recorded
    def commit_schedule(self, provider_id: str, hours: WorkingHours, expected_version: int, days: Iterable[date],
                        now: datetime, changed_by: Optional[str] = None) -> int:
        days = list(days)
        record = self._at_version(provider_id, expected_version)
        record.hours, record.version, record.updated_at = hours, expected_version + 1, format_utc(now)
        if days:
            record.add_pending(days)
        return record.version

    @_recorded
    def settle_pending(self, provider_id: str, days: Iterable[date], version: int) -> bool:
        record = self.state.schedules.get(provider_id)
        if record is None or record.version != version:
            return False
        record.pending -= set(days)
        if record.pending:
            return False  # as the adapter: its second update (on an emptied set) finds days left
        record.syncing, record.previous_timezone = False, None
        return True

    @_recorded
    def list_syncing_provider_ids(self) -> List[str]:
        return [pid for pid, record in sorted(self.state.schedules.items()) if record.syncing]

    # --- services -----------------------------------------------------------------------------

    @_recorded
    def save_service(self, service: Service, card: BookingCard, card_dates: Sequence[date]) -> None:
        current = self.state.providers.get(service.provider_id)
        if current is None or current.card_version != card.version - 1:
            raise StaleRead("the provider's services changed since they were read")
        self.state.services[service.provider_id][service.service_id] = service
        self.state.providers[service.provider_id] = dataclasses.replace(
            current, card_version=card.version, cards_through=card_dates[-1].isoformat())
        self.state.write_cards(card, card_dates)

    @_recorded
    def get_service(self, provider_id: str, service_id: str) -> Optional[Service]:
        return self.state.services[provider_id].get(service_id)

    # --- blocks -------------------------------------------------------------------------------

    @_recorded
    def get_block(self, provider_id: str, block_id: str) -> Optional[Block]:
        return self.state.blocks[provider_id].get(block_id)

    @_recorded
    def list_blocks(self, provider_id: str, limit: int, cursor: Optional[str]) -> Tuple[List[Block], Optional[str]]:
        return _page(list(self.state.blocks[provider_id].values()), lambda b: b.block_id, limit, cursor, "blocks")


class FakeBookings:
    """chalicelib/adapters/bookings.py in memory."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    @_recorded
    def get_booking(self, booking_id: str) -> Optional[Booking]:
        return self.state.bookings.get(booking_id)

    def _list(self, keep: Callable[[Booking], bool], start: datetime, end: datetime, status: Optional[str],
              limit: int, cursor: Optional[str], listing: str) -> Tuple[List[Booking], Optional[str]]:
        low, high = format_utc(start), format_utc(end) + "~"
        chosen = [b for b in self.state.bookings.values() if keep(b) and low <= format_utc(b.start) <= high]
        return _page(chosen, lambda b: f"{format_utc(b.start)}#{b.booking_id}", limit, cursor, listing,
                     keep=lambda b: status is None or b.status == status)

    @_recorded
    def list_customer_bookings(self, customer_id: str, start: datetime, end: datetime, status: Optional[str],
                               limit: int, cursor: Optional[str]) -> Tuple[List[Booking], Optional[str]]:
        return self._list(lambda b: b.customer_id == customer_id, start, end, status, limit, cursor, "gsi1")

    @_recorded
    def list_provider_bookings(self, provider_id: str, start: datetime, end: datetime, status: Optional[str],
                               limit: int, cursor: Optional[str]) -> Tuple[List[Booking], Optional[str]]:
        return self._list(lambda b: b.provider_id == provider_id, start, end, status, limit, cursor, "gsi2")

    @_recorded
    def list_due_reminders(self, now: datetime, lookback: timedelta) -> List[Booking]:
        # The adapter's sparse index holds exactly the bookings whose reminder_due is set.
        due = [(reminder_due(b), b) for b in self.state.bookings.values()]
        return [b for when, b in sorted(due, key=lambda pair: (pair[0] or now, pair[1].booking_id))
                if when is not None and now - lookback <= when <= now]

    @_recorded
    def mark_reminded(self, booking: Booking) -> bool:
        current = self.state.bookings.get(booking.booking_id)
        if current is None or current.start != booking.start or current.status not in ACTIVE_STATUSES:
            return False
        self.state.bookings[booking.booking_id] = dataclasses.replace(current, reminded_start=format_utc(current.start))
        return True

    # --- holds --------------------------------------------------------------------------------

    @_recorded
    def get_hold(self, hold_id: str) -> Optional[Hold]:
        return self.state.holds.get(hold_id)

    @_recorded
    def list_lapsed_holds(self, now: datetime) -> List[Hold]:
        return [h for h in self.state.holds.values()
                if h.state == HOLD_ACTIVE and f"{format_utc(h.expires_at)}#{h.hold_id}" < format_utc(now)]

    @_recorded
    def get_hold_ledger(self, customer_id: str) -> HoldLedger:
        ledger = self.state.ledgers.get(customer_id, HoldLedger())
        return HoldLedger(ledger.version, dict(ledger.entries))

    def _drop_from_ledger(self, tx: _Transaction, hold: Hold) -> None:
        """The unconditional REMOVE of the hold's entry (a no-op when absent)."""
        def drop() -> None:
            ledger = self.state.ledgers.get(hold.customer_id, HoldLedger())
            entries = {h: e for h, e in ledger.entries.items() if h != hold.hold_id}
            self.state.ledgers[hold.customer_id] = HoldLedger(ledger.version, entries)
        tx.require("ledger", True, drop)

    @_recorded
    def commit_hold(self, hold: Hold, now: datetime, ledger: HoldLedger) -> None:
        tx = _Transaction()
        for start in _occupied(hold):
            _take_bookable(tx, self.state, hold.provider_id, start, now, status=HELD, hold_id=hold.hold_id,
                           hold_expires=_epoch(hold.expires_at), booking_id=None, block_id=None)
        tx.require("hold", hold.hold_id not in self.state.holds,
                   lambda: self.state.holds.__setitem__(hold.hold_id, dataclasses.replace(hold, state=HOLD_ACTIVE)))
        current = self.state.ledgers.get(hold.customer_id, HoldLedger())
        lapsed = set(ledger.lapsed(_epoch(now)))

        def enter() -> None:
            # As the adapter's update: REMOVE the lapsed read, SET the new entry, version + 1 (others kept).
            entries = {h: e for h, e in current.entries.items() if h not in lapsed}
            entries[hold.hold_id] = _epoch(hold.expires_at)
            self.state.ledgers[hold.customer_id] = HoldLedger(ledger.version + 1, entries)
        tx.require("ledger", current.version == ledger.version, enter)
        if tx.commit():
            return
        if "ledger" in tx.failed:
            raise StaleRead("the customer's holds changed since they were read")
        raise SlotUnavailable()

    @_recorded
    def commit_hold_release(self, hold: Hold, still_held: Iterable[datetime], now: datetime) -> None:
        tx = _Transaction()
        for start in still_held:
            _release(tx, self.state, hold.provider_id, start, status=HELD, hold_id=hold.hold_id)
        self._drop_from_ledger(tx, hold)
        current = self.state.holds.get(hold.hold_id)
        tx.require("hold", current is not None and current.state == HOLD_ACTIVE, lambda: self.state.holds.__setitem__(
            hold.hold_id, dataclasses.replace(current, state=HOLD_RELEASED)))
        if not tx.commit():
            raise StaleRead("the hold was booked or released meanwhile")

    # --- idempotency and bookings' transactions -----------------------------------------------

    @_recorded
    def get_idempotent_answer(self, user_id: str, key: str) -> Optional[IdempotentAnswer]:
        stored = self.state.answers.get((user_id, key))
        return None if stored is None else _copy_answer(stored)

    @_recorded
    def commit_booking(self, booking: Booking, answer: IdempotentAnswer, hold: Optional[Hold], now: datetime) -> None:
        tx, now_epoch = _Transaction(), _epoch(now)
        for start in _occupied(booking):
            _book(tx, self.state, booking.provider_id, start, booking.booking_id, now,
                  hold_id=hold.hold_id if hold else None)
        tx.require("booking", booking.booking_id not in self.state.bookings,
                   lambda: self.state.bookings.__setitem__(booking.booking_id, booking))
        stored = self.state.answers.get((answer.user_id, answer.key))
        tx.require("idempotency", stored is None or stored.expires_at < now_epoch,
                   lambda: self.state.answers.__setitem__((answer.user_id, answer.key), _copy_answer(answer)))
        if hold is not None:
            current = self.state.holds.get(hold.hold_id)
            usable = (current is not None and current.customer_id == booking.customer_id
                      and current.state == HOLD_ACTIVE and _epoch(current.expires_at) > now_epoch)
            tx.require("hold", usable, lambda: self.state.holds.__setitem__(
                hold.hold_id, dataclasses.replace(current, state=HOLD_USED)))
            self._drop_from_ledger(tx, hold)
        if tx.commit():
            return
        if "idempotency" in tx.failed:
            raise IdempotencyRace(in_progress=False)
        raise HoldExpired() if "hold" in tx.failed else SlotUnavailable()

    def _booking_as_read(self, tx: _Transaction, before: Booking, write: Callable[[], None]) -> None:
        current = self.state.bookings.get(before.booking_id)
        as_read = current is not None and (current.version, current.status) == (before.version, before.status)
        tx.require("booking", as_read, write)

    @_recorded
    def commit_booking_change(self, before: Booking, after: Booking, release: bool) -> None:
        tx = _Transaction()
        if release:
            self._booking_as_read(tx, before, lambda: self.state.bookings.__setitem__(before.booking_id, after))
            for start in _occupied(before):
                _release(tx, self.state, before.provider_id, start, status=BOOKED, booking_id=before.booking_id)
        else:  # one update of these fields only, not a put of the whole booking
            self._booking_as_read(tx, before, lambda: self.state.bookings.__setitem__(
                before.booking_id, dataclasses.replace(
                    self.state.bookings[before.booking_id], status=after.status, reason=after.reason,
                    updated_at=after.updated_at, version=after.version)))
        if not tx.commit():
            raise StaleRead("the booking changed since it was read")

    @_recorded
    def commit_reschedule(self, before: Booking, after: Booking, now: datetime) -> None:
        old, new = set(_occupied(before)), set(_occupied(after))
        tx = _Transaction()
        for start in sorted(old - new):
            _release(tx, self.state, before.provider_id, start, status=BOOKED, booking_id=before.booking_id)
        for start in sorted(new - old):
            _book(tx, self.state, after.provider_id, start, after.booking_id, now)
        for start in sorted(old & new):
            slot = self.state.slot(before.provider_id, start)
            tx.require(f"slot:{start.isoformat()}",
                       slot is not None and slot.status == BOOKED and slot.booking_id == before.booking_id)
        self._booking_as_read(tx, before, lambda: self.state.bookings.__setitem__(before.booking_id, after))
        if tx.commit():
            return
        if set(tx.failed) & {f"slot:{start.isoformat()}" for start in new - old}:
            raise SlotUnavailable()
        raise StaleRead("the booking changed since it was read")

    # --- blocks -------------------------------------------------------------------------------

    @_recorded
    def commit_block(self, block: Block, in_hours: Dict[datetime, bool], now: datetime) -> None:
        tx, booking_ids = _Transaction(), []
        for start in slot_starts(block.start, block.end):
            slot = self.state.slot(block.provider_id, start)
            free = slot is None or slot.status == FREE or (
                slot.status == HELD and (slot.hold_expires or 0) <= _epoch(now))
            # A new item takes the flag given; an existing one keeps its own (if_not_exists in the adapter).
            blocked = SlotState(start=start, status=BLOCKED, block_id=block.block_id,
                                in_hours=slot.in_hours if slot is not None else in_hours[start])
            tx.require(f"slot:{start.isoformat()}", free,
                       functools.partial(self.state.put_slot, block.provider_id, blocked))
            if not free and slot.status == BOOKED and slot.booking_id not in booking_ids:
                booking_ids.append(slot.booking_id)
        tx.require("block", True, lambda: self.state.blocks[block.provider_id].__setitem__(block.block_id, block))
        if tx.commit():
            return
        if booking_ids:
            raise ConflictsWithBookings(details={"booking_ids": booking_ids})
        raise SlotUnavailable()

    @_recorded
    def commit_block_delete(self, block: Block, still_blocked: Iterable[datetime]) -> None:
        tx = _Transaction()
        for start in still_blocked:
            _release(tx, self.state, block.provider_id, start, status=BLOCKED, block_id=block.block_id)
        tx.require("block", True, lambda: self.state.blocks[block.provider_id].pop(block.block_id, None))
        if not tx.commit():
            raise StaleRead(f"block {block.block_id} changed since it was read")


class FakeLimits:
    """chalicelib/adapters/limits.py in memory: ADD 1 on condition the count is below the limit."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    @_recorded
    def charge_write(self, user_id: str, window: str, limit: int, ttl: int) -> bool:
        counted = self.state.write_counts.get((user_id, window), 0)
        if counted >= limit:
            return False
        self.state.write_counts[(user_id, window)] = counted + 1
        return True

    def arm(self, user_id: str, window: str, limit: int, ttl: int, refusal: Exception) -> None:
        # The fakes commit no transactions: an armed charge is never carried, so it is counted on its own.
        self.state.armed_charge = (user_id, window)

    def disarm(self) -> bool:
        armed, self.state.armed_charge = getattr(self.state, "armed_charge", None), None
        return armed is not None


class FakeSlots:
    """chalicelib/adapters/slots.py in memory."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    @_recorded
    def query_slots(self, provider_id: str, start: datetime, end: datetime) -> List[SlotState]:
        return [row for _, row in self.state.rows_between(provider_id, start, end) if isinstance(row, SlotState)]

    @_recorded
    def query_held_slots(self, provider_id: str, start: datetime, end: datetime) -> List[SlotState]:
        return [row for _, row in self.state.rows_between(provider_id, start, end)
                if isinstance(row, SlotState) and row.status == HELD]

    @_recorded
    def read_availability(self, provider_id: str, start: datetime, end: datetime
                          ) -> Tuple[List[Tuple[date, BookingCard]], List[SlotState]]:
        cards, states = [], []
        for key, row in self.state.rows_between(provider_id, start, end):
            if isinstance(row, SlotState):
                states.append(row)
            else:
                cards.append((date.fromisoformat(key), row))
        return cards, states

    @staticmethod
    def slot_states(states: Iterable[SlotState]) -> Dict[datetime, SlotState]:
        return {state.start: state for state in states}

    @_recorded
    def write_working_time(self, provider_id: str, desired: Dict[datetime, bool], existing: Dict[datetime, SlotState],
                           schedule_version: int) -> int:
        """Create FREE slots for new working time and flip `in_hours` of existing ones, per chunk, while the
        hours are at `schedule_version` (StaleRead when they are not); statuses never change."""
        pending = slot_writes(desired, existing)
        starts, written = sorted(pending), 0
        for offset in range(0, len(starts), CHUNK):
            chunk = {start: pending[start] for start in starts[offset:offset + CHUNK]}
            written += self._write_chunk(provider_id, chunk, desired, schedule_version)
        return written

    def _write_chunk(self, provider_id: str, chunk: Dict[datetime, str], desired: Dict[datetime, bool],
                     schedule_version: int) -> int:
        for _ in range(3):
            record = self.state.schedules.get(provider_id)
            if record is None or record.version != schedule_version:
                raise StaleRead("the working hours changed while their slots were written")
            # A create needs the slot absent, a flag needs it present; else switch kinds and try again.
            wrong = [s for s, how in chunk.items() if (self.state.slot(provider_id, s) is None) != (how == "create")]
            if not wrong:
                for start, how in chunk.items():
                    slot = self.state.slot(provider_id, start)
                    self.state.put_slot(provider_id, SlotState(start, FREE, True) if how == "create"
                                        else dataclasses.replace(slot, in_hours=desired[start]))
                return len(chunk)
            for start in wrong:
                chunk[start] = "flag" if chunk[start] == "create" else "create"
        raise TryAgain()


class FakeReviews:
    """chalicelib/adapters/reviews.py in memory: the review, the check of its booking and the provider's rating
    sum and count, all or nothing."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    @_recorded
    def post_review(self, review: Review) -> None:
        tx = _Transaction()
        booking = self.state.bookings.get(review.booking_id)
        tx.require("booking", booking is not None and booking.status == CONFIRMED
                   and booking.customer_id == review.customer_id and format_utc(booking.end) <= review.created_at)
        tx.require("review", review.booking_id not in self.state.reviews,
                   lambda: self.state.reviews.__setitem__(review.booking_id, review))

        def add() -> None:
            current = self.state.providers[review.provider_id]
            self.state.rating_sums[review.provider_id] += review.rating
            count = current.review_count + 1
            self.state.providers[review.provider_id] = dataclasses.replace(
                current, review_count=count, rating=round(self.state.rating_sums[review.provider_id] / count, 2))
        tx.require("provider", review.provider_id in self.state.providers, add)
        if tx.commit():
            return
        if "review" in tx.failed:
            raise AlreadyReviewed()
        if "booking" in tx.failed:
            raise BookingNotReviewable("the booking changed meanwhile and can no longer be reviewed")
        raise NotFound(f"no provider {review.provider_id}")

    @_recorded
    def get_review(self, booking_id: str) -> Optional[Review]:
        return self.state.reviews.get(booking_id)

    @_recorded
    def list_reviews(self, provider_id: str, limit: int, cursor: Optional[str]
                     ) -> Tuple[List[Review], Optional[str]]:
        """Newest first by `<created_at>#<booking_id>`, read backwards from the cursor's key."""
        def key(review: Review) -> str:
            return f"{review.created_at}#{review.booking_id}"
        before = None
        if cursor:
            if not cursor.startswith("reviews:"):
                raise InvalidRequest("cursor: not a cursor from a previous answer; start again without it")
            before = cursor[len("reviews:"):]
        mine = sorted((r for r in self.state.reviews.values() if r.provider_id == provider_id), key=key, reverse=True)
        read = [r for r in mine if before is None or key(r) < before][:limit]
        return read, f"reviews:{key(read[-1])}" if len(read) == limit else None
