"""Domain errors: each carries the contract's error code; the API maps them to HTTP in one place."""
from __future__ import annotations

from typing import Any, Dict, Optional


class DomainError(Exception):
    """A refusal the caller can act on."""

    code = "invalid_request"
    default_message = "the request cannot be done"

    def __init__(self, message: Optional[str] = None, details: Optional[Dict[str, Any]] = None):
        message = message or self.default_message
        super().__init__(message)
        self.message = message
        self.details = details or {}


class StaleRead(Exception):
    """What was read changed before the write that relied on it: read again and decide again.

    Not a DomainError: a service must handle it (retry), it never reaches a client as such.
    """


class IdempotencyRace(Exception):
    """Another request with the same Idempotency-Key committed first (or is committing)."""

    def __init__(self, in_progress: bool):
        super().__init__("idempotency race")
        self.in_progress = in_progress


class InvalidRequest(DomainError):
    code = "invalid_request"


class NotOurCursor(InvalidRequest):
    """A list cursor the server did not give for this list."""

    default_message = "cursor: not a cursor from a previous answer for this list; start again without it"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The state forbids it now (409); only its subclasses, which name the contract's code, are raised."""


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    default_message = "some of that time is already taken; pick another start"


class HoldExpired(Conflict):
    code = "hold_expired"
    default_message = "the hold has expired or was used; hold the time again"


class ConflictsWithBookings(Conflict):
    code = "conflicts_with_bookings"
    default_message = "the block overlaps bookings; cancel or move them first"


class BookingNotModifiable(Conflict):
    code = "booking_not_modifiable"


class CancelWindowClosed(Conflict):
    code = "cancel_window_closed"


class RequestInProgress(Conflict):
    code = "request_in_progress"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


class TryAgain(DomainError):
    """A dependency is throttling or down; nothing was half-done."""

    code = "try_again"

    default_message = "the service is busy; try again shortly"

    def __init__(self, message: Optional[str] = None, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after
