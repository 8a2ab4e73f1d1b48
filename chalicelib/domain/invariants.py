"""What must hold between the table's slots, holds, bookings and the records that follow a commit (pure, no I/O).

`check` is given the table's items deserialised to plain Python, as boto3's TypeDeserializer gives them
(strings, `Decimal` or `int` numbers, booleans): all of them, or only those `relevant` keeps, with at least
the attributes in `ATTRIBUTES`. It names every violation of these rules:

  slot_without_owner    a BOOKED slot, or a HELD one whose hold has not lapsed, that no live booking or hold of
                        its provider covers (the booking is gone, canceled or elsewhere; the hold released or used)
  missing_slot          a PENDING or CONFIRMED booking, or a live hold, one of whose slots is not taken by it
                        (absent, FREE, BLOCKED or held by a lapsed hold)
  slot_claimed_twice    two live bookings or holds covering one slot, or a slot of one taken by another
  hold_past_expiry      a booking made from a hold and committed at or after the hold's expiry, or a slot kept
                        HELD (unbookable) after its hold's expiry
  missing_audit         a booking event committed more than `settle_seconds` ago without its audit record
  missing_notification  the same, without the inbox entry of someone the event tells (customer, owner)

A HELD slot whose `hold_expires` has passed is free for everyone (`SlotState.bookable`): it breaks nothing,
whatever its hold says. Slot items expire 30 days after their start and inbox entries 180 days after their
event (the adapters' TTLs), so older ones are not required. The booking events looked for are those the
items show: every booking's creation, the cancel or decline that ended it, and any event an audit record
or an inbox entry names; a change in between that left no record anywhere cannot be seen. Events newer
than `settle_seconds` are skipped (the stream may not have caught up) and counted.

The item keys are recognised and built here as `chalicelib/adapters/models.py` builds them (a unit test
holds the two together): this module must not import the adapters.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from chalicelib.domain import events, notices
from chalicelib.domain.entities import ACTIVE_STATUSES, BOOKED, CANCELED, DECLINED, FREE, HELD, HOLD_ACTIVE, HOLD_USED
from chalicelib.domain.timegrid import format_utc, parse_instant, slot_starts

SLOT_WITHOUT_OWNER = "slot_without_owner"
MISSING_SLOT = "missing_slot"
SLOT_CLAIMED_TWICE = "slot_claimed_twice"
HOLD_PAST_EXPIRY = "hold_past_expiry"
MISSING_AUDIT = "missing_audit"
MISSING_NOTIFICATION = "missing_notification"
KINDS = (SLOT_WITHOUT_OWNER, MISSING_SLOT, SLOT_CLAIMED_TWICE, HOLD_PAST_EXPIRY, MISSING_AUDIT, MISSING_NOTIFICATION)

DEFAULT_SETTLE_SECONDS = 300
#: How long slot items and inbox entries are kept (adapters/slots.py, adapters/inbox.py): older ones may be gone.
SLOT_RETENTION = timedelta(days=30)
INBOX_RETENTION = timedelta(days=180)

#: The attributes the rules read (a scan may project the items to these).
ATTRIBUTES = ("pk", "sk", "status", "hold_id", "hold_expires", "booking_id", "block_id", "owner_id", "provider_id",
              "customer_id", "start", "occupied_until", "created_at", "updated_at", "version", "state",
              "expires_at", "event_id", "type", "at", "user_id")

#: Who hears of each booking event (notices.notices_of, by role; a unit test holds the two together).
NOTIFIED: Dict[str, Tuple[str, ...]] = {
    events.BOOKING_CREATED: (notices.CUSTOMER, notices.OWNER),
    events.BOOKING_CONFIRMED: (notices.CUSTOMER,),
    events.BOOKING_DECLINED: (notices.CUSTOMER,),
    events.BOOKING_CANCELED: (notices.CUSTOMER, notices.OWNER),
    events.BOOKING_RESCHEDULED: (notices.CUSTOMER, notices.OWNER),
}
# The event a later version's inbox entry comes from, by its notification type (a first version's is a creation).
_EVENT_OF_NOTICE = {notices.BOOKING_CONFIRMED: events.BOOKING_CONFIRMED,
                    notices.BOOKING_DECLINED: events.BOOKING_DECLINED,
                    notices.BOOKING_CANCELED: events.BOOKING_CANCELED,
                    notices.BOOKING_RESCHEDULED: events.BOOKING_RESCHEDULED}

Key = Tuple[str, str]
SLOT, BOOKING, HOLD, PROFILE, AUDIT, NOTIFICATION = "slot", "booking", "hold", "profile", "audit", "notification"
_SLOT_PREFIX = "SLOT#"
_CARD_KEY_LENGTH = len(_SLOT_PREFIX) + 10  # SLOT#yyyy-mm-dd: an availability card, not a slot


@dataclass(frozen=True)
class Violation:
    """One broken rule: its kind, the provider it concerns, the keys (pk, sk) of the items involved, present or
    expected (for a missing inbox entry, the user's partition and the inbox's prefix), and what is wrong."""

    kind: str
    provider_id: str
    keys: Tuple[Key, ...]
    message: str

    def as_dict(self) -> Dict[str, Any]:
        """A JSON-ready form."""
        return {"kind": self.kind, "provider_id": self.provider_id, "keys": [list(key) for key in self.keys],
                "message": self.message}


@dataclass(frozen=True)
class Report:
    """What a check found: the items it looked at, the violations, and the events too recent to judge."""

    items: int
    violations: Tuple[Violation, ...]
    skipped_recent: int = 0
    checked_events: int = 0

    def counts(self) -> Dict[str, int]:
        """Violations by kind, every kind listed."""
        found = Counter(violation.kind for violation in self.violations)
        return {kind: found.get(kind, 0) for kind in KINDS}


# --- keys ---------------------------------------------------------------------------------------

def slot_key(provider_id: str, start: datetime) -> Key:
    return f"PROVIDER#{provider_id}", f"{_SLOT_PREFIX}{format_utc(start)}"


def booking_key(booking_id: str) -> Key:
    return f"BOOKING#{booking_id}", "BOOKING"


def hold_key(hold_id: str) -> Key:
    return f"HOLD#{hold_id}", "HOLD"


def audit_key(provider_id: str, at: str, event_id: str) -> Key:
    return f"PROVIDER#{provider_id}#AUDIT", f"{at}#{event_id}"


def entity_of(item: Mapping[str, Any]) -> Optional[str]:
    """Which of the entities the rules read an item is (slot, booking, hold, profile, audit, notification), or None."""
    pk, sk = str(item.get("pk", "")), str(item.get("sk", ""))
    if pk.startswith("BOOKING#") and sk == "BOOKING":
        return BOOKING
    if pk.startswith("HOLD#") and sk == "HOLD":
        return HOLD
    if pk.startswith("PROVIDER#"):
        if pk.endswith("#AUDIT"):
            return AUDIT
        if sk == "PROFILE":
            return PROFILE
        if sk.startswith(_SLOT_PREFIX) and len(sk) > _CARD_KEY_LENGTH:
            return SLOT
    if pk.startswith("USER#") and sk.startswith("NOTIFICATION#"):
        return NOTIFICATION
    return None


def relevant(item: Mapping[str, Any]) -> bool:
    """Whether the rules need the item: a FREE slot, a card or a service (most of a table) can be dropped as read."""
    entity = entity_of(item)
    if entity == SLOT:
        return item.get("status") != FREE
    if entity in (AUDIT, NOTIFICATION):
        return str(item.get("event_id", "")).startswith("booking:")
    return entity is not None


# --- the check ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Owner:
    """A live booking or hold: what takes slots."""

    entity: str  # booking | hold
    identifier: str
    provider_id: str
    starts: Tuple[datetime, ...]

    @property
    def key(self) -> Key:
        return booking_key(self.identifier) if self.entity == BOOKING else hold_key(self.identifier)

    def __str__(self) -> str:
        return f"{self.entity} {self.identifier}"


@dataclass
class _Tables:
    slots: Dict[Key, Mapping[str, Any]] = field(default_factory=dict)
    bookings: Dict[str, Mapping[str, Any]] = field(default_factory=dict)
    holds: Dict[str, Mapping[str, Any]] = field(default_factory=dict)
    owners: Dict[str, str] = field(default_factory=dict)  # provider -> its owner's user id
    audits: Dict[str, Mapping[str, Any]] = field(default_factory=dict)  # event id -> record
    inbox: Dict[str, Dict[str, Mapping[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    count: int = 0

    @classmethod
    def of(cls, items: Iterable[Mapping[str, Any]]) -> _Tables:
        tables = cls()
        for item in items:
            tables.count += 1
            entity = entity_of(item)
            if entity == SLOT:
                tables.slots[(item["pk"], item["sk"])] = item
            elif entity == BOOKING:
                tables.bookings[str(item.get("booking_id") or item["pk"][len("BOOKING#"):])] = item
            elif entity == HOLD:
                tables.holds[str(item.get("hold_id") or item["pk"][len("HOLD#"):])] = item
            elif entity == PROFILE:
                tables.owners[item["pk"][len("PROVIDER#"):]] = str(item.get("owner_id", ""))
            elif entity == AUDIT and item.get("event_id"):
                tables.audits[str(item["event_id"])] = item
            elif entity == NOTIFICATION and item.get("event_id"):
                tables.inbox[str(item["event_id"])][str(item.get("user_id", ""))] = item
        return tables


def check(items: Iterable[Mapping[str, Any]], now: datetime, settle_seconds: int = DEFAULT_SETTLE_SECONDS,
          after_commit: bool = True) -> Report:
    """Every violation the items show at `now`; with after_commit False, audit records and inboxes are not looked at."""
    tables = _Tables.of(items)
    now_epoch = int(now.timestamp())
    found: List[Violation] = []
    owners = _live_owners(tables, now_epoch)
    claims: Dict[Key, List[_Owner]] = defaultdict(list)
    for owner in owners:
        for start in owner.starts:
            claims[slot_key(owner.provider_id, start)].append(owner)
    found += _claimed_twice(claims)
    for owner in owners:
        found += _owner_slots(owner, tables, claims, now)
    for key, slot in sorted(tables.slots.items()):
        found += _slot_owner(key, slot, tables, claims, now_epoch)
    found += _holds_used_late(tables)
    skipped = checked = 0
    if after_commit:
        skipped, checked, late = _after_commit(tables, now, settle_seconds)
        found += late
    return Report(items=tables.count, violations=tuple(found), skipped_recent=skipped, checked_events=checked)


def _epoch(value: Any) -> Optional[int]:
    return None if value is None else int(value)


def _span(item: Mapping[str, Any]) -> Tuple[datetime, ...]:
    return tuple(slot_starts(parse_instant(item["start"], "start"), parse_instant(item["occupied_until"], "until")))


def _live_owners(tables: _Tables, now_epoch: int) -> List[_Owner]:
    owners = [_Owner(BOOKING, booking_id, str(item["provider_id"]), _span(item))
              for booking_id, item in sorted(tables.bookings.items()) if item.get("status") in ACTIVE_STATUSES]
    owners += [_Owner(HOLD, hold_id, str(item["provider_id"]), _span(item))
               for hold_id, item in sorted(tables.holds.items())
               if item.get("state") == HOLD_ACTIVE and (_epoch(item.get("expires_at")) or 0) > now_epoch]
    return owners


def _taker(slot: Optional[Mapping[str, Any]], now_epoch: int) -> Optional[Tuple[str, str]]:
    """Who a slot says takes it now: (booking, id), (hold, id) while the hold has not lapsed, or None."""
    if slot is None:
        return None
    if slot.get("status") == BOOKED:
        return BOOKING, str(slot.get("booking_id"))
    if slot.get("status") == HELD and (_epoch(slot.get("hold_expires")) or 0) > now_epoch:
        return HOLD, str(slot.get("hold_id"))
    return None


def _claimed_twice(claims: Dict[Key, List[_Owner]]) -> List[Violation]:
    return [Violation(SLOT_CLAIMED_TWICE, owners[0].provider_id, (key,) + tuple(o.key for o in owners),
                      f"slot {key[1][len(_SLOT_PREFIX):]} is covered by {' and '.join(map(str, owners))}")
            for key, owners in sorted(claims.items()) if len(owners) > 1]


def _describe(slot: Optional[Mapping[str, Any]]) -> str:
    if slot is None:
        return "absent"
    status = slot.get("status")
    if status == "BLOCKED":
        return f"BLOCKED by block {slot.get('block_id')}"
    if status == HELD:
        return f"HELD by lapsed hold {slot.get('hold_id')}"
    return str(status)


def _owner_slots(owner: _Owner, tables: _Tables, claims: Dict[Key, List[_Owner]], now: datetime) -> List[Violation]:
    """An owner's slots must each be taken by it (those past their retention may be gone)."""
    found = []
    now_epoch = int(now.timestamp())
    for start in owner.starts:
        key = slot_key(owner.provider_id, start)
        slot = tables.slots.get(key)
        taker = _taker(slot, now_epoch)
        if taker == (owner.entity, owner.identifier):
            if owner.entity == HOLD and slot is not None:
                slot_expires = _epoch(slot.get("hold_expires")) or 0
                hold_expires = _epoch(tables.holds[owner.identifier].get("expires_at")) or 0
                if slot_expires < hold_expires:
                    found.append(Violation(MISSING_SLOT, owner.provider_id, (owner.key, key),
                                           f"{owner}: slot {format_utc(start)} lapses before the hold does"))
                elif slot_expires > hold_expires:
                    found.append(Violation(HOLD_PAST_EXPIRY, owner.provider_id, (key, owner.key),
                                           f"slot {format_utc(start)} stays HELD until {slot_expires}, after "
                                           f"{owner} expires at {hold_expires}"))
            continue
        if taker is None:
            if slot is None and start + SLOT_RETENTION <= now:
                continue
            found.append(Violation(MISSING_SLOT, owner.provider_id, (owner.key, key),
                                   f"{owner}: slot {format_utc(start)} is {_describe(slot)}"))
        elif len(claims[key]) == 1:  # two claims are reported once, as such
            found.append(Violation(SLOT_CLAIMED_TWICE, owner.provider_id, (owner.key, key),
                                   f"{owner}: slot {format_utc(start)} is taken by {taker[0]} {taker[1]}"))
    return found


def _slot_owner(key: Key, slot: Mapping[str, Any], tables: _Tables, claims: Dict[Key, List[_Owner]],
                now_epoch: int) -> List[Violation]:
    """A taken slot must be covered by the live booking or hold it names."""
    taker = _taker(slot, now_epoch)
    if taker is None or any((o.entity, o.identifier) == taker for o in claims.get(key, [])):
        return []
    provider_id = key[0][len("PROVIDER#"):]
    start = key[1][len(_SLOT_PREFIX):]
    entity, identifier = taker
    if entity == HOLD:
        hold = tables.holds.get(identifier)
        if hold is not None and hold.get("state") == HOLD_ACTIVE and _covers(hold, key):
            # The hold itself has lapsed (else it would claim the slot): the slot outlives it.
            return [Violation(HOLD_PAST_EXPIRY, provider_id, (key, hold_key(identifier)),
                              f"slot {start} stays HELD until {_epoch(slot.get('hold_expires'))}, after hold "
                              f"{identifier} expired at {_epoch(hold.get('expires_at'))}")]
        why = ("absent" if hold is None else f"{str(hold.get('state')).lower()}" if hold.get("state") != HOLD_ACTIVE
               else "elsewhere")
        return [Violation(SLOT_WITHOUT_OWNER, provider_id, (key, hold_key(identifier)),
                          f"slot {start} is HELD by hold {identifier}, which is {why}")]
    booking = tables.bookings.get(identifier)
    why = ("absent" if booking is None else str(booking.get("status")) if booking.get("status") not in ACTIVE_STATUSES
           else "at other times")
    return [Violation(SLOT_WITHOUT_OWNER, provider_id, (key, booking_key(identifier)),
                      f"slot {start} is BOOKED by booking {identifier}, which is {why}")]


def _covers(item: Mapping[str, Any], key: Key) -> bool:
    return any(slot_key(str(item["provider_id"]), start) == key for start in _span(item))


def _holds_used_late(tables: _Tables) -> List[Violation]:
    """A booking made from a hold committed while the hold was live: before its expiry."""
    found = []
    for hold_id, hold in sorted(tables.holds.items()):
        booking = tables.bookings.get(str(hold.get("booking_id")))
        if hold.get("state") != HOLD_USED or booking is None:
            continue
        committed = int(parse_instant(booking["created_at"], "created_at").timestamp())
        expires = _epoch(hold.get("expires_at")) or 0
        if committed >= expires:
            found.append(Violation(HOLD_PAST_EXPIRY, str(hold["provider_id"]),
                                   (hold_key(hold_id), booking_key(str(hold["booking_id"]))),
                                   f"booking {hold['booking_id']} was made from hold {hold_id} at "
                                   f"{booking['created_at']}, {committed - expires} s after it expired"))
    return found


# --- what follows a commit ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Event:
    event_id: str
    booking_id: str
    type: str
    at: str


def _version_of(event_id: str) -> Optional[int]:
    tail = event_id.rsplit(":", 1)[-1]
    return int(tail[1:]) if tail.startswith("v") and tail[1:].isdigit() else None


def _booking_events(tables: _Tables) -> Dict[str, _Event]:
    """The booking events the items show: creations, endings, and those named by audit records or inboxes."""
    found: Dict[str, _Event] = {}
    for booking_id, booking in tables.bookings.items():
        created = f"booking:{booking_id}:v{1:06d}"
        found[created] = _Event(created, booking_id, events.BOOKING_CREATED, str(booking["created_at"]))
        version = _epoch(booking.get("version")) or 1
        ended = {CANCELED: events.BOOKING_CANCELED, DECLINED: events.BOOKING_DECLINED}.get(booking.get("status"))
        if ended and version > 1:
            event_id = f"booking:{booking_id}:v{version:06d}"
            found[event_id] = _Event(event_id, booking_id, ended, str(booking["updated_at"]))
    for event_id, record in tables.audits.items():
        if event_id not in found and record.get("type") in NOTIFIED and record.get("booking_id"):
            found[event_id] = _Event(event_id, str(record["booking_id"]), str(record["type"]), str(record["at"]))
    for event_id, entries in tables.inbox.items():
        entry = next(iter(entries.values()))
        version = _version_of(event_id)
        kind = events.BOOKING_CREATED if version == 1 else _EVENT_OF_NOTICE.get(str(entry.get("type")))
        if event_id not in found and kind and version and entry.get("booking_id"):
            found[event_id] = _Event(event_id, str(entry["booking_id"]), kind, str(entry["created_at"]))
    return found


def _after_commit(tables: _Tables, now: datetime, settle_seconds: int) -> Tuple[int, int, List[Violation]]:
    settled = now - timedelta(seconds=settle_seconds)
    skipped = checked = 0
    found = []
    for event in sorted(_booking_events(tables).values(), key=lambda e: (e.at, e.event_id)):
        booking = tables.bookings.get(event.booking_id)
        if booking is None:
            continue  # bookings are never deleted: nothing to say whose event it is
        at = parse_instant(event.at, "at")
        if at > settled:
            skipped += 1
            continue
        checked += 1
        provider_id = str(booking["provider_id"])
        if event.event_id not in tables.audits:
            found.append(Violation(MISSING_AUDIT, provider_id,
                                   (audit_key(provider_id, event.at, event.event_id), booking_key(event.booking_id)),
                                   f"{event.type} of booking {event.booking_id} at {event.at} has no audit record"))
        if at + INBOX_RETENTION <= now:
            continue
        users = {notices.CUSTOMER: str(booking["customer_id"]), notices.OWNER: tables.owners.get(provider_id)}
        for role in NOTIFIED[event.type]:
            user_id = users[role]
            if user_id and user_id not in tables.inbox.get(event.event_id, {}):
                found.append(Violation(MISSING_NOTIFICATION, provider_id,
                                       (booking_key(event.booking_id), (f"USER#{user_id}", "NOTIFICATION#")),
                                       f"{event.type} of booking {event.booking_id} at {event.at} is not in the "
                                       f"{role}'s inbox ({user_id})"))
    return skipped, checked, found


def identities(report: Report) -> Set[Tuple[str, Tuple[Key, ...]]]:
    """What tells violations apart across two checks: kind and keys."""
    return {(violation.kind, violation.keys) for violation in report.violations}
