"""Booking, and what customers and providers do with bookings afterwards."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple
from zoneinfo import ZoneInfo

from chalicelib.config import get_settings
from chalicelib.domain.entities import (
    ACTIVE_STATUSES,
    BOOKING_STATUSES,
    CANCELED,
    CONFIRMED,
    DECLINED,
    PENDING,
    Booking,
    Caller,
    Provider,
)
from chalicelib.domain.errors import (
    BookingNotModifiable,
    CancelWindowClosed,
    Forbidden,
    HoldExpired,
    IdempotencyKeyReused,
    IdempotencyRace,
    InvalidRequest,
    NotFound,
    RequestInProgress,
    SlotUnavailable,
)
from chalicelib.domain.idempotency import IdempotentAnswer
from chalicelib.domain.timegrid import EARLIEST, LATEST, format_utc, parse_bound
from chalicelib.domain.views import booking_view
from chalicelib.observability import count, logger
from chalicelib.service import clock, timing
from chalicelib.service.access import find_provider, owned_provider
from chalicelib.service.catalog import bookable
from chalicelib.service.concurrency import retry_on_stale
from chalicelib.service.stores import booking_store, provider_store

if TYPE_CHECKING:  # commands are parsed by the API; a function that only takes them needs no pydantic
    from chalicelib.domain.model import BookSlot, CancelBooking, RescheduleBooking

MAX_KEY_LENGTH = 255


@dataclasses.dataclass(frozen=True)
class Answer:
    """What the API sends back: status, body, and whether it is a replay of the first answer."""

    status_code: int
    body: Dict[str, Any]
    replayed: bool = False


def _request_hash(command: BookSlot) -> str:
    canonical = json.dumps(command.model_dump(exclude_none=True), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(stored: IdempotentAnswer, request_hash: str) -> Answer:
    if stored.request_hash != request_hash:
        raise IdempotencyKeyReused("this Idempotency-Key came with a different request; use a new key")
    return Answer(stored.status_code, stored.body, replayed=True)


def book(caller: Caller, idempotency_key: Optional[str], command: BookSlot) -> Answer:
    """Book the time (directly or from a hold); the same key and body give the first answer again."""
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"Idempotency-Key header: required, 1 to {MAX_KEY_LENGTH} characters")
    if not idempotency_key.isascii() or not idempotency_key.isprintable():
        raise InvalidRequest("Idempotency-Key header: printable ASCII only, e.g. a UUID")
    request_hash = _request_hash(command)
    now = clock.now()
    stored = booking_store.get_idempotent_answer(caller.user_id, idempotency_key)
    if stored is not None and stored.expires_at >= int(now.timestamp()):
        return _replay(stored, request_hash)

    provider, booking, hold = _new_booking(caller, command, now)
    body = booking_view(booking)
    expires = int((now + timedelta(hours=get_settings().idempotency_ttl_hours)).timestamp())
    answer = IdempotentAnswer(user_id=caller.user_id, key=idempotency_key, request_hash=request_hash,
                              status_code=201, body=body, expires_at=expires)
    try:
        booking_store.commit_booking(booking, answer, hold, now)
    except IdempotencyRace as race:
        stored = booking_store.get_idempotent_answer(caller.user_id, idempotency_key)
        if race.in_progress or stored is None:
            raise RequestInProgress("a request with this Idempotency-Key is in progress; retry shortly")
        return _replay(stored, request_hash)
    logger.info("Booking created", booking_id=booking.booking_id, provider_id=booking.provider_id,
                status=booking.status)
    count("BookingConfirmed" if booking.status == CONFIRMED else "BookingRequested")
    return Answer(201, body)


def _new_booking(caller: Caller, command: BookSlot, now: datetime):
    hold = None
    if command.hold_id is not None:
        hold = booking_store.get_hold(command.hold_id)
        if hold is None or hold.customer_id != caller.user_id:
            raise NotFound(f"no hold {command.hold_id}")
        if not hold.usable(now):
            raise HoldExpired("the hold has expired or was used; hold the time again")
        provider = find_provider(hold.provider_id)
        service_id = hold.service_id
        start, end, occupied_until = hold.start, hold.end, hold.occupied_until
    else:
        provider, service = bookable(command.provider_id, command.service_id)
        span = timing.plan(provider, service, command.start, now)
        service_id = service.service_id
        start, end, occupied_until = span.start, span.end, span.occupied_until
    stamp = format_utc(now)
    booking = Booking(
        booking_id=str(uuid.uuid4()), status=CONFIRMED if provider.rules.auto_confirm else PENDING,
        provider_id=provider.provider_id, service_id=service_id, customer_id=caller.user_id, start=start,
        end=end, occupied_until=occupied_until, timezone=provider.timezone, note=command.note, reason=None,
        created_at=stamp, updated_at=stamp, version=1, changed_by=caller.user_id)
    return provider, booking, hold


def visible_booking(caller: Caller, booking_id: str) -> Tuple[Booking, Provider, bool]:
    """The booking, its provider, and whether the caller is the provider's owner; 404 for strangers."""
    booking = booking_store.get_booking(booking_id)
    if booking is None:
        raise NotFound(f"no booking {booking_id}")
    provider = find_provider(booking.provider_id)
    is_owner = provider.owner_id == caller.user_id
    if booking.customer_id != caller.user_id and not is_owner:
        raise NotFound(f"no booking {booking_id}")
    return _in_zone(booking, provider.timezone), provider, is_owner


def _in_zone(booking: Booking, timezone_name: str) -> Booking:
    """The booking shown in its provider's current zone (it is stored in UTC)."""
    return booking if booking.timezone == timezone_name else dataclasses.replace(booking, timezone=timezone_name)


def get_booking(caller: Caller, booking_id: str) -> Dict[str, Any]:
    """A booking its customer or its provider's owner may see."""
    booking, _, _ = visible_booking(caller, booking_id)
    return booking_view(booking)


def _changed(booking: Booking, now: datetime, by: str, **changes) -> Booking:
    return dataclasses.replace(booking, **changes, updated_at=format_utc(now), version=booking.version + 1,
                               changed_by=by)


def cancel(caller: Caller, booking_id: str, command: CancelBooking) -> Dict[str, Any]:
    """Cancel; the time is free again at once. Canceling twice (or at once) answers the canceled booking."""
    def attempt() -> Booking:
        booking, provider, is_owner = visible_booking(caller, booking_id)
        if booking.status == CANCELED:
            return booking
        now = clock.now()
        if booking.status not in ACTIVE_STATUSES:
            raise BookingNotModifiable(f"a {booking.status.lower()} booking cannot be canceled")
        if booking.start <= now:
            raise BookingNotModifiable("the booking has started; it can no longer be canceled")
        if booking.customer_id == caller.user_id and not is_owner:
            cutoff = provider.rules.cancel_cutoff_minutes
            if booking.start - timedelta(minutes=cutoff) < now:
                raise CancelWindowClosed(f"the provider accepts cancellations up to {cutoff} minutes before the start")
        after = _changed(booking, now, caller.user_id, status=CANCELED, reason=command.reason)
        booking_store.commit_booking_change(booking, after, release=True)
        logger.info("Booking canceled", booking_id=booking_id, provider_id=booking.provider_id)
        count("BookingCanceled")
        return after

    return booking_view(retry_on_stale(attempt, "the booking"))


def reschedule(caller: Caller, booking_id: str, command: RescheduleBooking) -> Dict[str, Any]:
    """Move the booking to a new start, all or nothing; only its customer may."""
    def attempt() -> Booking:
        booking, provider, _ = visible_booking(caller, booking_id)
        if booking.customer_id != caller.user_id:
            raise Forbidden("only the booking's customer may reschedule it")
        now = clock.now()
        if booking.status not in ACTIVE_STATUSES or booking.start <= now:
            raise BookingNotModifiable("only a pending or confirmed booking that has not started can be moved")
        if booking.start - timedelta(minutes=provider.rules.cancel_cutoff_minutes) < now:
            raise CancelWindowClosed(f"the provider accepts changes up to {provider.rules.cancel_cutoff_minutes} "
                                     "minutes before the start")
        service = provider_store.get_service(booking.provider_id, booking.service_id)
        if service is None or not service.active:
            raise BookingNotModifiable("the service is no longer offered; cancel and book another")
        span = timing.plan(provider, service, command.start, now)
        after = _changed(booking, now, caller.user_id, start=span.start, end=span.end, occupied_until=span.occupied_until,
                         status=CONFIRMED if provider.rules.auto_confirm else PENDING, timezone=provider.timezone)
        try:
            booking_store.commit_reschedule(booking, after, now)
        except SlotUnavailable as taken:
            raise SlotUnavailable("some of the new time is already taken; the booking keeps its time") from taken
        logger.info("Booking rescheduled", booking_id=booking_id, provider_id=booking.provider_id)
        count("BookingRescheduled")
        return after

    return booking_view(retry_on_stale(attempt, "the booking"))


def _owner_decides(caller: Caller, booking_id: str, status: str, reason: Optional[str]) -> Dict[str, Any]:
    def attempt() -> Booking:
        booking, _, is_owner = visible_booking(caller, booking_id)
        if not is_owner:
            raise Forbidden("only the provider's owner may confirm or decline")
        if booking.status != PENDING:
            raise BookingNotModifiable(f"only a pending booking can be {status.lower()}; this one is "
                                       f"{booking.status.lower()}")
        after = _changed(booking, clock.now(), caller.user_id, status=status, reason=reason)
        booking_store.commit_booking_change(booking, after, release=status == DECLINED)
        logger.info(f"Booking {status.lower()}", booking_id=booking_id, provider_id=booking.provider_id)
        count("BookingConfirmed" if status == CONFIRMED else "BookingDeclined")
        return after

    return booking_view(retry_on_stale(attempt, "the booking"))


def confirm(caller: Caller, booking_id: str) -> Dict[str, Any]:
    """The owner confirms a pending booking."""
    return _owner_decides(caller, booking_id, CONFIRMED, None)


def decline(caller: Caller, booking_id: str, command: CancelBooking) -> Dict[str, Any]:
    """The owner declines a pending booking; its time is free again."""
    return _owner_decides(caller, booking_id, DECLINED, command.reason)


def _range(value_from: Optional[str], value_to: Optional[str], tz: ZoneInfo) -> Tuple[datetime, datetime]:
    """A list's time range from dates (in tz) or instants; open ends default wide."""
    start = parse_bound(value_from, "from", tz, end=False) or EARLIEST
    end = parse_bound(value_to, "to", tz, end=True) or LATEST
    if end < start:
        raise InvalidRequest("to: must not be before from")
    return start, end


def _status(status: Optional[str]) -> Optional[str]:
    if status and status not in BOOKING_STATUSES:
        raise InvalidRequest(f"status: one of {', '.join(BOOKING_STATUSES)}")
    return status or None


def list_mine(caller: Caller, status: Optional[str], date_from: Optional[str], date_to: Optional[str],
              limit: int, cursor: Optional[str]) -> Dict[str, Any]:
    """The caller's own bookings by start (dates are UTC days), each in its provider's current zone."""
    start, end = _range(date_from, date_to, ZoneInfo("UTC"))
    bookings, next_cursor = booking_store.list_customer_bookings(caller.user_id, start, end, _status(status),
                                                                 limit, cursor)
    zones = {p.provider_id: p.timezone for p in provider_store.get_providers(b.provider_id for b in bookings)}
    return {"bookings": [booking_view(_in_zone(b, zones.get(b.provider_id, b.timezone))) for b in bookings],
            "next_cursor": next_cursor}


def list_for_provider(caller: Caller, provider_id: str, status: Optional[str], date_from: Optional[str],
                      date_to: Optional[str], limit: int, cursor: Optional[str]) -> Dict[str, Any]:
    """The provider's bookings by start, for its owner (dates in the provider's zone)."""
    provider = owned_provider(caller, provider_id)
    start, end = _range(date_from, date_to, ZoneInfo(provider.timezone))
    bookings, next_cursor = booking_store.list_provider_bookings(provider_id, start, end, _status(status),
                                                                 limit, cursor)
    return {"bookings": [booking_view(_in_zone(b, provider.timezone)) for b in bookings],
            "next_cursor": next_cursor}
