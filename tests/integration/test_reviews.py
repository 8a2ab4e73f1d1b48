"""Reviews through HTTP against emulated DynamoDB: who may review which booking when, once, the refusals in the
contract's shape, the provider's public rating and review count after, and the provider's list of reviews.

(Concurrent requests are in test_review_races.py, against the serialised moto server.)
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.adapters import providers as provider_store
from chalicelib.adapters.models import ProviderItem
from tests.integration.conftest import book, call

START, END = "2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z"  # the shop's 60-minute service (+15 buffer)
AFTER_THE_DAY = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)


def review_path(booking_id: str) -> str:
    return f"/v1/bookings/{booking_id}/review"


def review(client, user, booking_id, body):
    return call(client, "POST", review_path(booking_id), user, body)


def profile(client, shop):
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}")
    assert status == 200, body
    return body["rating"], body["review_count"]


def refused(answer, status: int, code: str) -> str:
    got, body, _ = answer
    assert (got, body["error"]["code"]) == (status, code), body
    assert body["error"]["message"]
    return body["error"]["message"]


@pytest.fixture()
def customer(make_user):
    return make_user()


@pytest.fixture()
def ended(client, shop, customer, fixed_clock):
    """The customer's confirmed booking 10:00-11:00 on 2 December, and the clock at its end."""
    status, booking, _ = book(client, shop, customer, START, "to-review")
    assert status == 201 and booking["status"] == "CONFIRMED", booking
    fixed_clock.now = datetime(2026, 12, 2, 11, 0, tzinfo=timezone.utc)
    return booking["booking_id"]


# --- a review -----------------------------------------------------------------------------------

def test_the_customer_reviews_an_ended_booking_and_the_profile_shows_it(client, shop, customer, ended):
    assert profile(client, shop) == (None, 0)
    status, body, _ = review(client, customer, ended, {"rating": 4, "comment": "On time.\nCalm room."})
    assert status == 201, body
    assert body == {"booking_id": ended, "provider_id": shop["pid"], "rating": 4, "comment": "On time.\nCalm room.",
                    "created_at": END}
    assert profile(client, shop) == (4.0, 1)
    # The stored profile keeps the sum and the count; the rating is made of them on read
    item = ProviderItem.get(*ProviderItem.key(shop["pid"]), consistent_read=True)
    assert (item.rating_sum, item.review_count) == (4, 1)
    # And the provider's public list has it, without who wrote it
    status, page, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/reviews")
    assert status == 200 and page == {"reviews": [body], "next_cursor": None}, page


def test_a_second_review_of_the_booking_is_409_already_reviewed(client, shop, customer, ended):
    assert review(client, customer, ended, {"rating": 5})[0] == 201
    refused(review(client, customer, ended, {"rating": 1, "comment": "changed my mind"}), 409, "already_reviewed")
    assert profile(client, shop) == (5.0, 1)


def test_the_rating_is_the_mean_of_every_review(client, shop, make_user, fixed_clock):
    customers = [make_user() for _ in range(3)]
    ids = [book(client, shop, who, start, f"mean-{n}")[1]["booking_id"] for n, (who, start) in enumerate(zip(
        customers, ("2026-12-02T09:00:00Z", "2026-12-02T10:15:00Z", "2026-12-02T11:30:00Z")))]
    fixed_clock.now = AFTER_THE_DAY
    for who, booking_id, rating in zip(customers, ids, (5, 4, 4)):
        assert review(client, who, booking_id, {"rating": rating})[0] == 201
    assert profile(client, shop) == (4.33, 3)


# --- when a booking is not reviewable ----------------------------------------------------------

def test_a_booking_that_has_not_ended_is_409_saying_from_when(client, shop, customer, fixed_clock):
    booking_id = book(client, shop, customer, START, "not-yet")[1]["booking_id"]
    fixed_clock.now = datetime(2026, 12, 2, 10, 59, 59, tzinfo=timezone.utc)  # started, not ended
    message = refused(review(client, customer, booking_id, {"rating": 5}), 409, "booking_not_reviewable")
    assert "not ended" in message and END in message
    fixed_clock.now = datetime(2026, 12, 2, 11, 0, tzinfo=timezone.utc)
    assert review(client, customer, booking_id, {"rating": 5})[0] == 201


def test_pending_declined_and_canceled_bookings_are_409(client, shop, customer, fixed_clock):
    owner, pid = shop["owner"], shop["pid"]
    assert call(client, "PATCH", f"/v1/providers/{pid}", owner, {"booking_rules": {"auto_confirm": False}})[0] == 200
    pending, declined, canceled = (book(client, shop, customer, start, f"state-{n}")[1]["booking_id"] for n, start in
                                   enumerate(("2026-12-02T09:00:00Z", "2026-12-02T10:15:00Z", "2026-12-02T11:30:00Z")))
    assert call(client, "POST", f"/v1/bookings/{declined}/decline", owner, {})[0] == 200
    assert call(client, "POST", f"/v1/bookings/{canceled}/confirm", owner)[0] == 200
    assert call(client, "POST", f"/v1/bookings/{canceled}/cancel", customer, {})[0] == 200
    fixed_clock.now = AFTER_THE_DAY
    words = {pending: "pending", declined: "declined", canceled: "canceled"}
    for booking_id, word in words.items():
        message = refused(review(client, customer, booking_id, {"rating": 5}), 409, "booking_not_reviewable")
        assert word in message, message
    assert profile(client, shop) == (None, 0)


# --- who may review ----------------------------------------------------------------------------

def test_only_the_bookings_customer_may_review_it(client, shop, customer, ended, make_user):
    # Someone else's booking does not exist for them (as GET /v1/bookings/{id} answers)
    stranger = make_user()
    assert call(client, "GET", f"/v1/bookings/{ended}", stranger)[0] == 404
    refused(review(client, stranger, ended, {"rating": 1}), 404, "not_found")
    # The provider's owner sees the booking, but may not review it
    assert call(client, "GET", f"/v1/bookings/{ended}", shop["owner"])[0] == 200
    refused(review(client, shop["owner"], ended, {"rating": 5}), 403, "forbidden")
    # Unknown bookings and missing tokens
    refused(review(client, customer, "no-such-booking", {"rating": 5}), 404, "not_found")
    refused(review(client, None, ended, {"rating": 5}), 401, "unauthenticated")
    assert profile(client, shop) == (None, 0)
    assert review(client, customer, ended, {"rating": 5})[0] == 201


# --- what a review may say ---------------------------------------------------------------------

@pytest.mark.parametrize("body,field", [
    ({"rating": 0}, "rating"), ({"rating": 6}, "rating"), ({"rating": "5"}, "rating"), ({"rating": 4.5}, "rating"),
    ({"rating": 5.0}, "rating"), ({"rating": True}, "rating"), ({"rating": None}, "rating"), ({}, "rating"),
    ({"rating": 5, "comment": "bad\x00byte"}, "comment"), ({"rating": 5, "comment": "esc\x1b[31m"}, "comment"),
    ({"rating": 5, "comment": "x" * 2001}, "comment"), ({"rating": 5, "comment": 7}, "comment"),
    ({"rating": 5, "title": "Great"}, "title"),
], ids=lambda v: repr(v)[:40])
def test_a_bad_rating_or_comment_is_400_naming_the_field(client, shop, customer, ended, body, field):
    message = refused(review(client, customer, ended, body), 400, "invalid_request")
    assert message.startswith(field), message
    assert profile(client, shop) == (None, 0)


def test_a_comment_of_2000_characters_with_lines_is_taken(client, shop, customer, ended):
    comment = "Line one\r\n\tLine two " + "é" * 1980
    assert len(comment) == 2000
    status, body, _ = review(client, customer, ended, {"rating": 3, "comment": comment})
    assert status == 201 and body["comment"] == comment


# --- the profile and its rating ----------------------------------------------------------------

def test_a_review_landing_between_a_profile_read_and_its_patch_is_not_lost(client, shop, customer, ended,
                                                                          monkeypatch):
    pid, owner = shop["pid"], shop["owner"]
    competing = []
    original = provider_store.replace_provider

    def review_first(*args, **kwargs):
        if not competing:  # the review commits after the PATCH read the profile, before it writes
            competing.append(review(client, customer, ended, {"rating": 2}))
        return original(*args, **kwargs)

    monkeypatch.setattr(provider_store, "replace_provider", review_first)
    status, body, _ = call(client, "PATCH", f"/v1/providers/{pid}", owner, {"description": "Now with sauna"})
    assert status == 200 and competing[0][0] == 201, (body, competing)
    # The PATCH answers the profile as it read it; what is stored has both
    assert (body["rating"], body["review_count"]) == (None, 0)
    status, after, _ = call(client, "GET", f"/v1/providers/{pid}")
    assert (after["description"], after["rating"], after["review_count"]) == ("Now with sauna", 2.0, 1)


def test_a_time_zone_change_keeps_the_rating(client, shop, customer, ended):
    assert review(client, customer, ended, {"rating": 5})[0] == 201
    status, body, _ = call(client, "PATCH", f"/v1/providers/{shop['pid']}", shop["owner"], {"timezone": "Europe/Paris"})
    assert status == 200 and (body["rating"], body["review_count"]) == (5.0, 1), body
    assert profile(client, shop) == (5.0, 1)


# --- the list ----------------------------------------------------------------------------------

def test_the_list_is_public_newest_first_and_paged(client, shop, make_user, fixed_clock):
    customers = [make_user() for _ in range(3)]
    ids = [book(client, shop, who, start, f"list-{n}")[1]["booking_id"] for n, (who, start) in enumerate(zip(
        customers, ("2026-12-02T09:00:00Z", "2026-12-02T10:15:00Z", "2026-12-02T11:30:00Z")))]
    fixed_clock.now = AFTER_THE_DAY
    for minute, (who, booking_id) in enumerate(zip(customers, ids)):
        fixed_clock.now = AFTER_THE_DAY.replace(minute=minute)
        assert review(client, who, booking_id, {"rating": 3 + minute})[0] == 201
    path = f"/v1/providers/{shop['pid']}/reviews"
    status, first, _ = call(client, "GET", path + "?limit=2")
    assert status == 200 and [r["booking_id"] for r in first["reviews"]] == [ids[2], ids[1]], first
    assert first["next_cursor"] and all("customer_id" not in r for r in first["reviews"])
    status, rest, _ = call(client, "GET", f"{path}?limit=2&cursor={first['next_cursor']}")
    assert status == 200 and [r["booking_id"] for r in rest["reviews"]] == [ids[0]], rest
    assert rest["next_cursor"] is None
    # A cursor of another list, a bad limit, an unknown provider
    status, bookings_page, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/bookings?limit=1", shop["owner"])
    assert bookings_page["next_cursor"]
    message = refused(call(client, "GET", f"{path}?cursor={bookings_page['next_cursor']}"), 400, "invalid_request")
    assert message.startswith("cursor")
    refused(call(client, "GET", f"{path}?limit=101"), 400, "invalid_request")
    refused(call(client, "GET", "/v1/providers/nobody/reviews"), 404, "not_found")
