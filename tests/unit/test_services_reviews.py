"""Reviews: who may review which booking when, once, and the provider's rating that follows (in-memory repositories)."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterator

import pytest
from pydantic import ValidationError

from chalicelib.domain import events, notices
from chalicelib.domain.entities import CANCELED, Review
from chalicelib.domain.errors import (
    AlreadyReviewed,
    BookingNotReviewable,
    Forbidden,
    InvalidRequest,
    NotFound,
    StaleRead,
    TryAgain,
)
from chalicelib.domain.model import CancelBooking, PatchProvider, PostReview
from chalicelib.service import audit, bookings, notifications, providers, reviews, stores
from chalicelib.service.stores import review_store
from tests.unit.conftest import ALICE, BOB, OWNER, at, open_shop
from tests.unit.fakes_inbox import FakeAudit

START, END = "2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z"  # the 60-minute service; its buffer is not the booking


def stars(rating: int, comment=None) -> PostReview:
    return PostReview(rating=rating, comment=comment)


@pytest.fixture()
def booked(state, shop) -> str:
    """Alice's confirmed booking 10:00-11:00 on 2 December (the shop confirms at once)."""
    return shop.book(ALICE, START).body["booking_id"]


@pytest.fixture()
def ended(booked, fixed_clock) -> str:
    """The booking, its end now reached."""
    fixed_clock.now = at("2026-12-02T11:00")
    return booked


def profile(shop):
    return providers.get_profile(shop.pid)


# --- a review ----------------------------------------------------------------------------------

def test_the_customer_reviews_a_confirmed_booking_from_its_end_and_the_rating_follows(state, shop, ended):
    assert (profile(shop)["rating"], profile(shop)["review_count"]) == (None, 0)
    answer = reviews.post_review(ALICE, ended, stars(4, "Calm and on time.\nWould book again."))
    assert answer == {"booking_id": ended, "provider_id": shop.pid, "rating": 4,
                      "comment": "Calm and on time.\nWould book again.", "created_at": END}
    assert "customer_id" not in answer
    assert state.reviews[ended].customer_id == ALICE.user_id
    assert (profile(shop)["rating"], profile(shop)["review_count"]) == (4.0, 1)


def test_the_rating_is_the_exact_mean_to_two_places(state, shop, fixed_clock):
    ids = [shop.book(ALICE, start).body["booking_id"] for start in
           ("2026-12-02T09:00:00Z", "2026-12-02T10:15:00Z", "2026-12-02T11:30:00Z")]
    fixed_clock.now = at("2026-12-03T08:00")
    for booking_id, rating in zip(ids, (5, 4, 4)):
        reviews.post_review(ALICE, booking_id, stars(rating))
    assert (profile(shop)["rating"], profile(shop)["review_count"]) == (4.33, 3)


def test_a_review_is_logged_and_counted(state, shop, ended, monkeypatch):
    counted = []
    monkeypatch.setattr(reviews, "count", counted.append)
    reviews.post_review(ALICE, ended, stars(5))
    assert counted == ["ReviewPosted"]


# --- refusals ----------------------------------------------------------------------------------

def test_an_unknown_booking_is_404(state, shop, fixed_clock):
    with pytest.raises(NotFound):
        reviews.post_review(ALICE, "nope", stars(5))


def test_another_customers_booking_is_404_as_when_reading_it(state, shop, ended):
    with pytest.raises(NotFound):
        bookings.get_booking(BOB, ended)
    with pytest.raises(NotFound):
        reviews.post_review(BOB, ended, stars(1))
    assert state.reviews == {}


def test_the_providers_owner_sees_the_booking_but_may_not_review_it(state, shop, ended):
    with pytest.raises(Forbidden):
        reviews.post_review(OWNER, ended, stars(5))
    assert state.reviews == {} and "post_review" not in state.calls


def test_a_booking_that_has_not_ended_says_from_when(state, shop, booked, fixed_clock):
    fixed_clock.now = at("2026-12-02T10:59")  # it has started, not ended
    with pytest.raises(BookingNotReviewable) as refused:
        reviews.post_review(ALICE, booked, stars(5))
    assert "not ended" in refused.value.message and END in refused.value.message
    fixed_clock.advance(minutes=1)
    assert reviews.post_review(ALICE, booked, stars(5))["rating"] == 5


def test_a_pending_booking_says_it_needs_confirming_and_ending(state, fixed_clock):
    shop = open_shop(auto_confirm=False)
    booking_id = shop.book(ALICE, START).body["booking_id"]
    fixed_clock.now = at("2026-12-03T08:00")
    with pytest.raises(BookingNotReviewable) as refused:
        reviews.post_review(ALICE, booking_id, stars(5))
    assert "pending" in refused.value.message and "confirms" in refused.value.message


@pytest.mark.parametrize("ending", ["cancel", "decline"])
def test_a_canceled_or_declined_booking_is_never_reviewable(state, fixed_clock, ending):
    shop = open_shop(auto_confirm=False)
    booking_id = shop.book(ALICE, START).body["booking_id"]
    if ending == "cancel":
        bookings.cancel(ALICE, booking_id, CancelBooking())
    else:
        bookings.decline(OWNER, booking_id, CancelBooking())
    fixed_clock.now = at("2026-12-03T08:00")
    with pytest.raises(BookingNotReviewable) as refused:
        reviews.post_review(ALICE, booking_id, stars(5))
    assert ("canceled" if ending == "cancel" else "declined") in refused.value.message
    assert profile(shop)["review_count"] == 0


def test_a_booking_is_reviewed_once(state, shop, ended):
    reviews.post_review(ALICE, ended, stars(5))
    with pytest.raises(AlreadyReviewed):
        reviews.post_review(ALICE, ended, stars(1))
    assert state.reviews[ended].rating == 5
    assert (profile(shop)["rating"], profile(shop)["review_count"]) == (5.0, 1)


def test_a_review_racing_another_for_the_same_booking_is_already_reviewed(state, shop, ended):
    # Given another request's review commits between this one's reads and its write
    state.before("post_review", lambda: reviews.post_review(ALICE, ended, stars(2)))
    # Then this one is refused by the write's condition, and the rating counts one review
    with pytest.raises(AlreadyReviewed):
        reviews.post_review(ALICE, ended, stars(5))
    assert (profile(shop)["rating"], profile(shop)["review_count"]) == (2.0, 1)


def test_a_booking_that_changed_between_the_read_and_the_write_is_refused_by_the_write(state, shop, ended):
    import dataclasses

    def cancel_behind_its_back() -> None:
        state.bookings[ended] = dataclasses.replace(state.bookings[ended], status=CANCELED)
    state.before("post_review", cancel_behind_its_back)
    with pytest.raises(BookingNotReviewable):
        reviews.post_review(ALICE, ended, stars(5))
    assert state.reviews == {} and profile(shop)["review_count"] == 0


def test_a_write_cancelled_by_a_concurrent_transaction_is_tried_again(state, shop, ended):
    state.fail("post_review", StaleRead, times=2)
    assert reviews.post_review(ALICE, ended, stars(3))["rating"] == 3
    assert state.calls.count("post_review") == 3
    assert profile(shop)["review_count"] == 1


def test_a_write_that_never_gets_through_is_503(state, shop, ended):
    state.fail("post_review", StaleRead, times=5)
    with pytest.raises(TryAgain):
        reviews.post_review(ALICE, ended, stars(3))
    assert state.reviews == {}


def test_a_review_landing_between_a_profile_read_and_its_patch_is_kept(state, shop, ended):
    state.before("replace_provider", lambda: reviews.post_review(ALICE, ended, stars(5)))
    changed = providers.patch_provider(OWNER, shop.pid, PatchProvider(description="calm"))
    assert changed["description"] == "calm"
    assert (profile(shop)["rating"], profile(shop)["review_count"], profile(shop)["description"]) == (5.0, 1, "calm")


# --- the command ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"rating": 0}, {"rating": 6}, {"rating": -1}, {"rating": "5"}, {"rating": 4.5}, {"rating": 5.0},
    {"rating": True}, {"rating": None}, {}, {"rating": 5, "comment": 5}, {"rating": 5, "comment": "x" * 2001},
    {"rating": 5, "comment": "bad\x00byte"}, {"rating": 5, "comment": "bell\x07"}, {"rating": 5, "stars": 5},
])
def test_a_bad_review_body_is_refused(body):
    with pytest.raises(ValidationError):
        PostReview.model_validate(body)


def test_a_comment_may_have_lines_and_tabs_and_be_left_out():
    assert PostReview.model_validate({"rating": 1, "comment": "a\tb\r\nc" + "x" * 1993}).rating == 1
    assert PostReview.model_validate({"rating": 5}).comment is None


# --- the list ----------------------------------------------------------------------------------

def test_a_providers_reviews_are_public_newest_first_and_paged(state, shop, fixed_clock):
    ids = [shop.book(ALICE, start).body["booking_id"] for start in
           ("2026-12-02T09:00:00Z", "2026-12-02T10:15:00Z", "2026-12-02T11:30:00Z")]
    fixed_clock.now = at("2026-12-03T08:00")
    for number, booking_id in enumerate(ids):
        fixed_clock.advance(minutes=1)
        reviews.post_review(ALICE, booking_id, stars(number + 3))
    first = reviews.list_reviews(shop.pid, 2, None)
    assert [r["booking_id"] for r in first["reviews"]] == [ids[2], ids[1]]
    assert all("customer_id" not in r for r in first["reviews"])
    rest = reviews.list_reviews(shop.pid, 2, first["next_cursor"])
    assert [r["booking_id"] for r in rest["reviews"]] == [ids[0]] and rest["next_cursor"] is None
    assert reviews.list_reviews(open_shop().pid, 20, None) == {"reviews": [], "next_cursor": None}


def test_the_reviews_of_an_unknown_provider_are_404(state):
    with pytest.raises(NotFound):
        reviews.list_reviews("nobody", 20, None)


def test_a_cursor_of_another_list_is_refused(state, shop):
    with pytest.raises(InvalidRequest):
        review_store.list_reviews(shop.pid, 20, "blocks:x")


# --- after the commit ----------------------------------------------------------------------------

@pytest.fixture()
def trail(state) -> Iterator[FakeAudit]:
    fake = FakeAudit()
    with stores.using(audit=fake):
        yield fake


def test_a_posted_review_is_one_event_audited_once_and_told_to_nobody(trail, shop):
    review = Review(booking_id="b1", provider_id=shop.pid, customer_id="alice", rating=4, comment=None,
                    created_at="2026-12-02T11:05:00Z")
    [event] = events.changes_of_review(None, review)
    assert isinstance(event, events.ReviewPosted) and event.type == "review.posted"
    assert (event.event_id, event.provider_id, event.booking_id, event.customer_id, event.rating, event.at) == (
        "review:b1", shop.pid, "b1", "alice", 4, "2026-12-02T11:05:00Z")
    assert (event.actor.user_id, event.actor.role) == ("alice", "customer")
    assert event.after == {"booking_id": "b1", "provider_id": shop.pid, "rating": 4, "comment": None,
                           "created_at": "2026-12-02T11:05:00Z"}
    assert events.changes_of_review(review, review) == [] and events.changes_of_review(review, None) == []
    assert notices.notices_of(event) == [] and notifications.notify(event) == 0
    assert audit.record(event) is True and audit.record(event) is False
    [record] = audit.list_audit(OWNER, shop.pid, "2026-12-02", "2026-12-02", 20, None)["events"]
    assert (record["type"], record["booking_id"], record["actor"]["role"]) == ("review.posted", "b1", "customer")


def test_the_clock_decides_end_to_the_second(state, shop, booked, fixed_clock):
    fixed_clock.now = at("2026-12-02T11:00") - timedelta(seconds=1)
    with pytest.raises(BookingNotReviewable):
        reviews.post_review(ALICE, booked, stars(5))
    fixed_clock.advance(seconds=1)
    assert reviews.post_review(ALICE, booked, stars(5))["created_at"] == END


def test_the_insert_of_a_review_item_on_the_stream_is_the_event():
    from chalicelib.adapters.stream import events_of

    image = {"pk": {"S": "BOOKING#b1"}, "sk": {"S": "REVIEW"}, "booking_id": {"S": "b1"}, "provider_id": {"S": "p1"},
             "customer_id": {"S": "alice"}, "rating": {"N": "5"}, "comment": {"S": "Great"},
             "created_at": {"S": "2026-12-02T11:05:00Z"}, "gsi2pk": {"S": "PROVIDER#p1#REVIEWS"},
             "gsi2sk": {"S": "2026-12-02T11:05:00Z#b1"}}
    keys = {"pk": image["pk"], "sk": image["sk"]}
    [event] = events_of({"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": image}})
    assert (event.type, event.event_id, event.provider_id, event.rating, event.after["comment"]) == (
        "review.posted", "review:b1", "p1", 5, "Great")
    assert events_of({"eventName": "MODIFY", "dynamodb": {"Keys": keys, "OldImage": image, "NewImage": image}}) == []
