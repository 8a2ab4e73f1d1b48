"""ETags, If-None-Match and the caching headers of chalicelib/api/caching.py, without AWS."""
from __future__ import annotations

import pytest
from chalice import Blueprint, Response

from chalicelib.api import caching
from chalicelib.api.caching import NO_STORE, CachePolicy, etag, matches, with_caching

SLOTS = {"provider_id": "p1", "slots": [{"start": "2026-12-01T09:00:00Z"}]}


def test_the_same_body_has_the_same_tag_and_a_different_body_another():
    assert etag(SLOTS) == etag({"provider_id": "p1", "slots": [{"start": "2026-12-01T09:00:00Z"}]})
    assert etag(SLOTS) != etag({"provider_id": "p1", "slots": []})
    assert etag("text") == etag(b"text") != etag("text ")


def test_a_tag_is_weak_quoted_and_short():
    tag = etag(SLOTS)
    assert tag.startswith('W/"') and tag.endswith('"')
    assert len(tag) == len('W/""') + 22 and "=" not in tag


def test_the_tag_is_of_the_json_the_answer_sends():
    # Chalice's compact JSON of the body: the tag of the text is the tag of the object
    assert etag(SLOTS) == etag('{"provider_id":"p1","slots":[{"start":"2026-12-01T09:00:00Z"}]}')


@pytest.mark.parametrize("header", [
    'W/"abc"', '"abc"', 'W/"zzz", W/"abc"', '"zzz",W/"abc" , "yyy"', "*", " * ", "abc",
])
def test_if_none_match_names_the_tag_weakly_in_a_list_or_as_a_star(header):
    assert matches(header, 'W/"abc"')


@pytest.mark.parametrize("header", [None, "", "  ", 'W/"abd"', '"ab"', 'W/"zzz", "yyy"', "W/", ",,", '"', "**"])
def test_if_none_match_naming_other_tags_or_nothing_does_not_match(header):
    assert not matches(header, 'W/"abc"')


def test_a_cached_200_gets_its_tag_and_max_age():
    policy = CachePolicy(10, "probe")
    answer = with_caching(policy, Response(body=SLOTS, headers={"Content-Type": "application/json"}), None)
    assert answer.status_code == 200
    assert answer.body == '{"provider_id":"p1","slots":[{"start":"2026-12-01T09:00:00Z"}]}'
    assert answer.headers == {"Content-Type": "application/json", "ETag": etag(SLOTS),
                              "Cache-Control": "public, max-age=10"}


def test_a_current_tag_gets_304_with_no_body_and_the_same_caching_headers():
    policy = CachePolicy(60, "probe")
    answer = with_caching(policy, Response(body=SLOTS), f'"other", {etag(SLOTS)}')
    assert answer.status_code == 304 and answer.body == ""
    assert answer.headers == {"ETag": etag(SLOTS), "Cache-Control": "public, max-age=60"}


def test_uncached_routes_and_answers_other_than_200_are_no_store():
    assert with_caching(None, Response(body=SLOTS), etag(SLOTS)).headers == {"Cache-Control": NO_STORE}
    refused = with_caching(CachePolicy(10, "probe"), Response(body={"error": {}}, status_code=404), "*")
    assert refused.status_code == 404 and refused.headers == {"Cache-Control": NO_STORE}
    assert with_caching(None, Response(body="", status_code=204), None).headers == {"Cache-Control": NO_STORE}


def test_refusals_are_no_store():
    from chalicelib.api.http import error_response
    from chalicelib.domain.errors import NotFound, TryAgain

    assert error_response(NotFound("no such provider")).headers["Cache-Control"] == NO_STORE
    assert error_response(TryAgain()).headers["Cache-Control"] == NO_STORE


def test_staleness_bounds_are_short():
    # The decision's bounds: availability seconds, profile and reviews a minute, deploy-only data five minutes
    assert 5 <= caching.AVAILABILITY.max_age <= 15
    assert caching.PROFILE.max_age == caching.REVIEWS.max_age == 60
    assert caching.STATIC.max_age <= 300


@pytest.mark.parametrize("declaration", [
    {"method": "GET", "auth": True}, {"method": "POST", "auth": False}, {"method": "GET", "auth": False, "status": 201},
])
def test_only_a_public_get_may_be_declared_cached(declaration):
    from chalicelib.api.http import route

    with pytest.raises(ValueError, match="only a public GET"):
        route(Blueprint("probe"), "/v1/probe", summary="probe", cache=caching.PROFILE, **declaration)


def test_the_cached_routes_are_the_public_reads_that_are_the_same_for_every_caller():
    import app  # noqa: F401  (registers the routes)
    from chalicelib.api.http import ROUTES

    cached = {(doc.method, doc.path): doc.cache for doc in ROUTES if doc.cache is not None}
    assert cached == {
        ("GET", "/v1/providers/{provider_id}"): caching.PROFILE,
        ("GET", "/v1/providers/{provider_id}/availability"): caching.AVAILABILITY,
        ("GET", "/v1/providers/{provider_id}/reviews"): caching.REVIEWS,
        ("GET", "/v1/config"): caching.STATIC,
        ("GET", "/v1/categories"): caching.STATIC,
        ("GET", "/v1/openapi.json"): caching.STATIC,
    }
