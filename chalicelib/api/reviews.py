"""Review routes: a customer reviews a booking that has ended; anyone reads a provider's reviews."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import caching
from chalicelib.api.http import page_limit, parse, query, route
from chalicelib.api.schemas import ReviewQuery
from chalicelib.domain.errors import AlreadyReviewed, BookingNotReviewable, Forbidden
from chalicelib.domain.model import PostReview
from chalicelib.api.answers import Review, ReviewPage
from chalicelib.service import reviews

bp = Blueprint(__name__)


@route(bp, "/v1/bookings/{booking_id}/review", "POST", "Review a booking that has ended", status=201,
       body=PostReview, response=Review, raises=(Forbidden, BookingNotReviewable, AlreadyReviewed))
def post_review(caller, booking_id):
    return reviews.post_review(caller, booking_id, parse(PostReview, bp.current_request))


@route(bp, "/v1/providers/{provider_id}/reviews", "GET", "A provider's reviews, newest first", auth=False,
       query=ReviewQuery, response=ReviewPage, cache=caching.REVIEWS)
def list_reviews(provider_id):
    request = bp.current_request
    return reviews.list_reviews(provider_id, page_limit(request), query(request, "cursor"))
