"""Reviews: a customer rates a confirmed booking once it has ended, and the provider's rating follows exactly."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, Optional

from chalicelib.domain.entities import CONFIRMED, PENDING, Booking, Caller, Review
from chalicelib.domain.errors import BookingNotReviewable, Forbidden
from chalicelib.domain.timegrid import format_utc
from chalicelib.domain.views import review_view
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.access import find_provider
from chalicelib.service.bookings import visible_booking
from chalicelib.service.concurrency import retry_on_stale
from chalicelib.service.stores import review_store

if TYPE_CHECKING:  # commands are parsed by the API; a function that only takes them needs no pydantic
    from chalicelib.domain.model import PostReview


def _require_reviewable(booking: Booking, now: datetime) -> None:
    """409 unless the booking is confirmed and has ended, saying when (or whether) it can be reviewed."""
    end = format_utc(booking.end)
    if booking.status == PENDING:
        raise BookingNotReviewable(f"the booking is pending; it can be reviewed once the provider confirms it "
                                   f"and it has ended, at {end}")
    if booking.status != CONFIRMED:
        raise BookingNotReviewable(f"the booking is {booking.status.lower()}; only a confirmed booking can be "
                                   "reviewed")
    if booking.end > now:
        raise BookingNotReviewable(f"the booking has not ended yet; it can be reviewed from {end}")


def post_review(caller: Caller, booking_id: str, command: PostReview) -> Dict[str, Any]:
    """Review a booking of the caller's once it has ended (once per booking); the provider's rating includes it."""
    def attempt() -> Review:
        # The reads only choose the refusal; the transaction's conditions decide (a racing review, a change).
        booking, _, _ = visible_booking(caller, booking_id)
        if booking.customer_id != caller.user_id:
            raise Forbidden("only the booking's customer may review it")
        now = clock.now()
        _require_reviewable(booking, now)
        review = Review(booking_id=booking_id, provider_id=booking.provider_id, customer_id=caller.user_id,
                        rating=command.rating, comment=command.comment, created_at=format_utc(now))
        review_store.post_review(review)
        return review

    review = retry_on_stale(attempt, "the booking's review")
    logger.info("Review posted", booking_id=booking_id, provider_id=review.provider_id, rating=review.rating)
    count("ReviewPosted")
    return review_view(review)


def list_reviews(provider_id: str, limit: int, cursor: Optional[str]) -> Dict[str, Any]:
    """A provider's reviews, newest first (public: who wrote them is not shown)."""
    find_provider(provider_id)
    reviews, next_cursor = review_store.list_reviews(provider_id, limit, cursor)
    return {"reviews": [review_view(r) for r in reviews], "next_cursor": next_cursor}
