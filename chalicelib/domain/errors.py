"""Domain errors: each carries the contract's error code; the API maps them to HTTP in one place."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Type


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


class DeliveryRefused(Exception):
    """A channel will never take this message (a bad address, a disabled device): retrying cannot help.

    Not a DomainError: it happens after the commit, on the stream side, and never reaches a client.
    """


class DeliveryBusy(Exception):
    """Another worker is sending this very delivery right now: try the record again later."""


class InvalidRequest(DomainError):
    """Malformed JSON, a missing or ill-typed field or parameter, an impossible value."""

    code = "invalid_request"


class NotOurCursor(InvalidRequest):
    """A list cursor the server did not give for this list."""

    default_message = "cursor: not a cursor from a previous answer for this list; start again without it"


class TooManyDevices(InvalidRequest):
    """The user has as many phones registered for push as one may."""


class Unauthenticated(DomainError):
    """No token, or not a valid, unexpired Cognito ID token of this user pool."""

    code = "unauthenticated"
    default_message = "send Authorization: Bearer <ID token>"


class TokenExpired(Unauthenticated):
    default_message = "the token has expired; sign in again"


class AccessTokenSent(Unauthenticated):
    default_message = "this is an access token; send the ID token (IdToken of the sign-in answer) instead"


class NotAnIdToken(Unauthenticated):
    default_message = "the token is not a valid ID token of this service; sign in again"


class Forbidden(DomainError):
    """Signed in, but not allowed (not the owner, not in the providers group)."""

    code = "forbidden"


class NotFound(DomainError):
    """An unknown id or path, or an id the caller may not know exists."""

    code = "not_found"


class MethodNotAllowed(DomainError):
    """The path exists but not with this method; Allow lists those it has."""

    code = "method_not_allowed"


class Conflict(DomainError):
    """The state forbids it now (409); only its subclasses, which name the contract's code, are raised."""


class SlotUnavailable(Conflict):
    """Some of the time is taken, or outside the provider's booking rules."""

    code = "slot_unavailable"
    default_message = "some of that time is already taken; pick another start"


class HoldExpired(Conflict):
    """The hold has expired or was used."""

    code = "hold_expired"
    default_message = "the hold has expired or was used; hold the time again"


class ConflictsWithBookings(Conflict):
    """The time overlaps pending or confirmed bookings; booking_ids names them."""

    code = "conflicts_with_bookings"
    default_message = "the block overlaps bookings; cancel or move them first"


class BookingNotModifiable(Conflict):
    """The booking's status or start no longer allows this."""

    code = "booking_not_modifiable"


class CancelWindowClosed(Conflict):
    """Inside the provider's cancel_cutoff_minutes."""

    code = "cancel_window_closed"


class RequestInProgress(Conflict):
    """A request with this Idempotency-Key is still running; retry shortly."""

    code = "request_in_progress"


class BookingNotReviewable(Conflict):
    """The booking is not a confirmed one that has ended, so it cannot be reviewed (yet)."""

    code = "booking_not_reviewable"
    default_message = "only a confirmed booking that has ended can be reviewed"


class AlreadyReviewed(Conflict):
    """The booking has been reviewed already; a booking is reviewed once."""

    code = "already_reviewed"
    default_message = "this booking has been reviewed already; a booking is reviewed once"


class IdempotencyKeyReused(DomainError):
    """This Idempotency-Key came with a different body."""

    code = "idempotency_key_reused"


class TooManyRequests(DomainError):
    """Too much at once from one caller (429); only its subclasses, which name the contract's code, are raised."""

    def __init__(self, message: Optional[str] = None, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class TooManyHolds(TooManyRequests):
    """The customer holds as many times as one may; Retry-After says when the first hold lapses."""

    code = "too_many_holds"
    default_message = "you hold as many times as one may; book or release one first"


class RateLimited(TooManyRequests):
    """Too many changes from this user this minute; Retry-After says when the next minute starts."""

    code = "rate_limited"
    default_message = "too many changes this minute; try again shortly"


class TryAgain(DomainError):
    """A dependency is throttling or down; nothing was half-done; Retry-After says when."""

    code = "try_again"

    default_message = "the service is busy; try again shortly"

    def __init__(self, message: Optional[str] = None, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after



class SignInKeysUnreachable(TryAgain):
    default_message = "sign-in keys are unreachable right now; try again shortly"


def error_kinds() -> Tuple[Type[DomainError], ...]:
    """Every refusal the API can answer with, one per contract code (the code's first class)."""
    kinds: Dict[str, Type[DomainError]] = {}
    pending = list(DomainError.__subclasses__())
    while pending:
        kind = pending.pop(0)
        if "code" in vars(kind):
            kinds.setdefault(kind.code, kind)
        pending.extend(kind.__subclasses__())
    return tuple(kinds.values())
