"""What happened: the events that follow a committed change, named and shaped once (pure, no I/O).

The table's stream is the outbox; `adapters/stream.py` turns its records into the entities below, and
`changes_of_*` here turn a before/after pair into events. Every event has an identity that is the same
however often its record is delivered (a retry, a bisected batch, a replay from the dead-letter queue),
so each side effect can be made to happen once by that identity.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, Dict, List, Optional, Union

from chalicelib.domain import entities
from chalicelib.domain.views import block_view, booking_view, review_view, service_view

CUSTOMER, OWNER, SYSTEM = "customer", "owner", "system"

BOOKING_CREATED = "booking.created"
BOOKING_CONFIRMED = "booking.confirmed"
BOOKING_DECLINED = "booking.declined"
BOOKING_CANCELED = "booking.canceled"
BOOKING_RESCHEDULED = "booking.rescheduled"
BOOKING_REMINDER_DUE = "booking.reminder_due"
BLOCK_CREATED = "block.created"
BLOCK_DELETED = "block.deleted"
SCHEDULE_CHANGED = "schedule.changed"
SCHEDULE_SETTLED = "schedule.settled"
SERVICE_CHANGED = "service.changed"
PROFILE_CHANGED = "profile.changed"
REVIEW_POSTED = "review.posted"

#: The types the audit trail records (all but reminders, which change nothing).
AUDITED_TYPES = (BOOKING_CREATED, BOOKING_CONFIRMED, BOOKING_DECLINED, BOOKING_CANCELED, BOOKING_RESCHEDULED,
                 BLOCK_CREATED, BLOCK_DELETED, SCHEDULE_CHANGED, SERVICE_CHANGED, PROFILE_CHANGED, REVIEW_POSTED)


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a customer, a provider's owner, or the system (a scheduled job)."""

    role: str  # customer | owner | system
    user_id: Optional[str] = None


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened to a provider's data; `before` and `after` are public views.

    Each kind below is a plain subclass that names its `type` (`class BlockCreated(Event, kind=...)`): only
    kinds with fields of their own are dataclasses, so importing the kinds costs next to nothing.
    """

    event_id: str
    at: str  # UTC, when it committed
    provider_id: str
    actor: Actor
    type: str = ""  # the kind's, unless given (a stored record read back as an Event)
    booking_id: Optional[str] = None
    before: Optional[Dict[str, Any]] = None
    after: Optional[Dict[str, Any]] = None

    KIND: ClassVar[str] = ""

    def __init_subclass__(cls, kind: str = "", **rest: Any) -> None:
        super().__init_subclass__(**rest)
        if kind:
            cls.KIND = kind

    def __post_init__(self) -> None:
        if not self.type:
            object.__setattr__(self, "type", self.KIND)


@dataclass(frozen=True, kw_only=True)
class BookingEvent(Event):
    """An event of one booking; `customer_id` says whose it is (views do not show it)."""

    booking_id: str
    customer_id: str
    # The booking's version after the change: an .ics's SEQUENCE.
    version: int


class BookingCreated(BookingEvent, kind=BOOKING_CREATED):
    pass


class BookingConfirmed(BookingEvent, kind=BOOKING_CONFIRMED):
    pass


class BookingDeclined(BookingEvent, kind=BOOKING_DECLINED):
    pass


class BookingCanceled(BookingEvent, kind=BOOKING_CANCELED):
    pass


class BookingRescheduled(BookingEvent, kind=BOOKING_RESCHEDULED):
    pass


class BookingReminderDue(BookingEvent, kind=BOOKING_REMINDER_DUE):
    """The time to remind a customer of a booking came (produced by the reminders job, not the stream)."""


class BlockCreated(Event, kind=BLOCK_CREATED):
    pass


class BlockDeleted(Event, kind=BLOCK_DELETED):
    pass


class ScheduleChanged(Event, kind=SCHEDULE_CHANGED):
    pass


class ScheduleSettled(Event, kind=SCHEDULE_SETTLED):
    """Slots of days that were still being laid out after a change of working hours now agree with it.

    Bookkeeping, not audited: it tells readers of availability (the search index) that free time changed.
    `after` holds the days still pending.
    """


class ServiceChanged(Event, kind=SERVICE_CHANGED):
    pass


class ProfileChanged(Event, kind=PROFILE_CHANGED):
    pass


@dataclass(frozen=True, kw_only=True)
class ReviewPosted(Event, kind=REVIEW_POSTED):
    """A customer reviewed a booking: the provider's rating and review count changed with it."""

    booking_id: str
    customer_id: str
    rating: int


AnyEvent = Union[BookingCreated, BookingConfirmed, BookingDeclined, BookingCanceled, BookingRescheduled,
                 BookingReminderDue, BlockCreated, BlockDeleted, ScheduleChanged, ScheduleSettled, ServiceChanged,
                 ProfileChanged, ReviewPosted]


def _version(number: int) -> str:
    # Zero-padded: identities of one entity sort in the order of its changes.
    return f"v{number:06d}"


def _booking_actor(booking: entities.Booking) -> Actor:
    if booking.changed_by is None:
        return Actor(role=SYSTEM)
    return Actor(user_id=booking.changed_by, role=CUSTOMER if booking.changed_by == booking.customer_id else OWNER)


def changes_of_booking(before: Optional[entities.Booking], after: Optional[entities.Booking]) -> List[BookingEvent]:
    """The events between two states of a booking (none for changes nobody needs to hear of)."""
    if after is None:
        return []  # bookings are never deleted
    common = dict(event_id=f"booking:{after.booking_id}:{_version(after.version)}", at=after.updated_at,
                  provider_id=after.provider_id, actor=_booking_actor(after), booking_id=after.booking_id,
                  customer_id=after.customer_id, version=after.version, after=booking_view(after),
                  before=None if before is None else booking_view(before))
    if before is None:
        return [BookingCreated(**common)]
    if before.version == after.version:
        return []  # bookkeeping, e.g. a reminder marked as sent
    if after.status == entities.CANCELED and before.status != entities.CANCELED:
        return [BookingCanceled(**common)]
    if after.status == entities.DECLINED and before.status != entities.DECLINED:
        return [BookingDeclined(**common)]
    if after.start != before.start:
        return [BookingRescheduled(**common)]
    if after.status == entities.CONFIRMED and before.status == entities.PENDING:
        return [BookingConfirmed(**common)]
    return []


def reminder_of(booking: entities.Booking, at: str) -> BookingReminderDue:
    """The reminder event of a booking at its current start (a moved booking gets another); `at` is when it
    fell due, so that every attempt to send it is the same event."""
    return BookingReminderDue(
        event_id=f"reminder:{booking.booking_id}:{booking_view(booking)['start']}", at=at,
        provider_id=booking.provider_id, actor=Actor(role=SYSTEM), booking_id=booking.booking_id,
        customer_id=booking.customer_id, version=booking.version, after=booking_view(booking))


def changes_of_block(before: Optional[entities.Block], after: Optional[entities.Block], at: str) -> List[Event]:
    """A block is created or deleted, never changed; `at` is when the change committed (a deletion leaves
    no item to say so). Only the owner may do either."""
    if before is None and after is not None:
        return [BlockCreated(event_id=f"block:{after.block_id}:created", at=after.created_at,
                             provider_id=after.provider_id, actor=_owner_or_system(after.created_by),
                             after=block_view(after))]
    if before is not None and after is None:
        return [BlockDeleted(event_id=f"block:{before.block_id}:deleted", at=at, provider_id=before.provider_id,
                             actor=_owner_or_system(before.created_by), before=block_view(before))]
    return []


def schedule_changed(provider_id: str, before: Optional[Dict[str, Any]], after: Dict[str, Any], version: int,
                     at: str, changed_by: Optional[str]) -> List[ScheduleChanged]:
    """Working hours that changed (the same document written again, or a sync's bookkeeping, is no event)."""
    if before is None or json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True):
        return []
    return [ScheduleChanged(event_id=f"schedule:{provider_id}:{_version(version)}", at=at, provider_id=provider_id,
                            actor=_owner_or_system(changed_by), before=before, after=after)]


def schedule_settled(provider_id: str, pending_before: List[str], pending_after: List[str], version: int,
                     at: str) -> List[ScheduleSettled]:
    """Days whose slots were laid out since the last write of the schedule (none settled: no event)."""
    settled = sorted(set(pending_before) - set(pending_after))
    if not settled:
        return []
    remaining = sorted(pending_after)
    event_id = f"schedule:{provider_id}:{_version(version)}:settled:{settled[0]}:{len(remaining)}"
    return [ScheduleSettled(event_id=event_id, at=at, provider_id=provider_id, actor=Actor(role=SYSTEM),
                            before={"pending": sorted(pending_before)}, after={"pending": remaining})]


def _owner_or_system(user_id: Optional[str]) -> Actor:
    return Actor(user_id=user_id, role=OWNER) if user_id else Actor(role=SYSTEM)


def changes_of_service(before: Optional[entities.Service], after: Optional[entities.Service]) -> List[ServiceChanged]:
    """A service added, changed or withdrawn (its public view changed)."""
    if after is None:
        return []
    old = None if before is None else _service_public(before)
    new = _service_public(after)
    if old == new:
        return []
    return [ServiceChanged(event_id=f"service:{after.service_id}:{after.updated_at}", at=after.updated_at,
                           provider_id=after.provider_id, actor=_owner_or_system(after.changed_by),
                           before=old, after=new)]


def _service_public(service: entities.Service) -> Dict[str, Any]:
    return {**service_view(service), "active": service.active}


PROFILE_FIELDS = ("name", "description", "categories", "lat", "lon", "address", "timezone")


def _profile_public(provider: entities.Provider) -> Dict[str, Any]:
    return {**{name: getattr(provider, name) for name in PROFILE_FIELDS},
            "booking_rules": provider.rules.as_dict()}


def changes_of_profile(before: Optional[entities.Provider], after: Optional[entities.Provider]) -> List[ProfileChanged]:
    """A profile created or changed in what the public sees (ratings and bookkeeping are no event)."""
    if after is None:
        return []
    old = None if before is None else _profile_public(before)
    new = _profile_public(after)
    if old == new:
        return []
    return [ProfileChanged(event_id=f"profile:{after.provider_id}:{_version(after.version)}", at=after.updated_at,
                           provider_id=after.provider_id, actor=_owner_or_system(after.changed_by),
                           before=old, after=new)]


def changes_of_review(before: Optional[entities.Review], after: Optional[entities.Review]) -> List[ReviewPosted]:
    """A review is written once and never changed or deleted: its creation is the one event."""
    if before is not None or after is None:
        return []
    return [ReviewPosted(event_id=f"review:{after.booking_id}", at=after.created_at, provider_id=after.provider_id,
                         actor=Actor(user_id=after.customer_id, role=CUSTOMER), booking_id=after.booking_id,
                         customer_id=after.customer_id, rating=after.rating, after=review_view(after))]
