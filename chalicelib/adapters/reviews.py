"""Reviews of bookings, written in one transaction with what makes the provider's rating."""
from __future__ import annotations

import uuid
from typing import List, Optional, Tuple

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.models import BookingItem, ProviderItem, ReviewItem
from chalicelib.adapters.pagination import decode_cursor, read_page
from chalicelib.adapters.table import GSI2
from chalicelib.adapters.transaction import Transaction, TransactionFailed
from chalicelib.domain.entities import CONFIRMED, Review
from chalicelib.domain.errors import AlreadyReviewed, BookingNotReviewable, NotFound, StaleRead

REVIEW_LABEL = "review"
BOOKING_LABEL = "booking"
PROVIDER_LABEL = "provider"


def review_from_item(item: ReviewItem) -> Review:
    """A review from its stored form."""
    return Review(booking_id=item.booking_id, provider_id=item.provider_id, customer_id=item.customer_id,
                  rating=int(item.rating), comment=item.comment, created_at=item.created_at)


def _review_item(review: Review) -> ReviewItem:
    return ReviewItem(
        *ReviewItem.key(review.booking_id), booking_id=review.booking_id, provider_id=review.provider_id,
        customer_id=review.customer_id, rating=review.rating, comment=review.comment, created_at=review.created_at,
        gsi2pk=ReviewItem.provider_partition(review.provider_id),
        gsi2sk=ReviewItem.time_sort_key(review.created_at, review.booking_id))


def post_review(review: Review) -> None:
    """Write the review and add it to the provider's rating sum and count: one transaction, on condition that
    the booking is its customer's, CONFIRMED and ended at `created_at`, and not reviewed yet."""
    # A token of its own per attempt: two requests reviewing one booking must never pass for one resent request.
    tx = Transaction(f"review:{review.booking_id}:{uuid.uuid4().hex}")
    tx.check(BOOKING_LABEL, BookingItem, *BookingItem.key(review.booking_id),
             condition=(BookingItem.status == CONFIRMED) & (BookingItem.customer_id == review.customer_id)
             & (BookingItem.end <= review.created_at))
    tx.put(REVIEW_LABEL, _review_item(review), condition=ReviewItem.pk.does_not_exist())
    tx.update(PROVIDER_LABEL, ProviderItem(*ProviderItem.key(review.provider_id)),
              [ProviderItem.rating_sum.add(review.rating), ProviderItem.review_count.add(1)],
              condition=ProviderItem.pk.exists())
    try:
        tx.commit()
    except TransactionFailed as failed:
        refused = failed.failure.failed()
        if REVIEW_LABEL in refused:
            raise AlreadyReviewed() from failed
        if BOOKING_LABEL in refused:
            raise BookingNotReviewable("the booking changed meanwhile and can no longer be reviewed") from failed
        if PROVIDER_LABEL in refused:
            raise NotFound(f"no provider {review.provider_id}") from failed
        raise StaleRead("the booking's review is being written by another request") from failed


def get_review(booking_id: str) -> Optional[Review]:
    """The review of a booking, or None."""
    try:
        return review_from_item(ReviewItem.get(*ReviewItem.key(booking_id), consistent_read=True))
    except DoesNotExist:
        return None


def list_reviews(provider_id: str, limit: int, cursor: Optional[str]) -> Tuple[List[Review], Optional[str]]:
    """A page of a provider's reviews, newest first."""
    partition = ReviewItem.provider_partition(provider_id)
    result = ReviewItem.by_provider.query(partition, scan_index_forward=False, limit=limit,
                                          last_evaluated_key=decode_cursor(cursor, GSI2, partition))
    return read_page(result, review_from_item, cursor, GSI2)
