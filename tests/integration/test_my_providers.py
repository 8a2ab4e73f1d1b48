"""GET /v1/me/providers against emulated DynamoDB: the providers the caller owns, oldest first, paged, each the
profile GET /v1/providers/{id} answers; found through the owner's keys on the profile item (gsi2)."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.integration.conftest import call, throttle_queries
from tests.integration.test_input_limits import cursor

PROVIDER = {"name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
            "timezone": "Europe/London"}


def create(client, owner, name: str) -> dict:
    status, body, _ = call(client, "POST", "/v1/providers", owner, {**PROVIDER, "name": name})
    assert status == 201, body
    return body


def mine(client, user, query: str = ""):
    status, body, _ = call(client, "GET", "/v1/me/providers" + (f"?{query}" if query else ""), user)
    return status, body


def refused(answer, *words: str) -> None:
    status, body = answer
    assert status == 400 and body["error"]["code"] == "invalid_request", body
    assert all(word in body["error"]["message"] for word in words), body


@pytest.fixture()
def owner(make_user):
    return make_user(provider=True)


def test_a_user_who_owns_none_gets_an_empty_list(client, make_user, owner, fixed_clock):
    create(client, owner, "Not theirs")
    for user in (make_user(), make_user(provider=True)):
        assert mine(client, user) == (200, {"providers": [], "next_cursor": None})


def test_the_owner_gets_her_providers_oldest_first_as_their_profiles(client, owner, make_user, fixed_clock):
    first = create(client, owner, "First")
    fixed_clock.now += timedelta(minutes=1)
    create(client, make_user(provider=True), "A rival's")
    fixed_clock.now += timedelta(minutes=1)
    second = create(client, owner, "Second")
    status, service, _ = call(client, "POST", f"/v1/providers/{first['provider_id']}/services", owner, {
        "name": "Massage", "category": "massage", "duration_minutes": 60, "price": {"amount": 4500, "currency": "GBP"}})
    assert status == 201, service
    status, page = mine(client, owner)
    assert status == 200 and page["next_cursor"] is None, page
    assert [p["provider_id"] for p in page["providers"]] == [first["provider_id"], second["provider_id"]]
    for listed in page["providers"]:
        assert listed == call(client, "GET", f"/v1/providers/{listed['provider_id']}")[1]
    assert [s["service_id"] for s in page["providers"][0]["services"]] == [service["service_id"]]
    assert set(page["providers"][0]["booking_rules"]) == {
        "auto_confirm", "min_notice_minutes", "max_days_ahead", "hold_minutes", "cancel_cutoff_minutes"}


def test_the_profile_item_carries_the_owners_index_keys(client, owner, aws, fixed_clock):
    created = create(client, owner, "Keyed")
    item = aws["dynamodb"].get_item(TableName=os.environ["TABLE_NAME"], Key={
        "pk": {"S": f"PROVIDER#{created['provider_id']}"}, "sk": {"S": "PROFILE"}})["Item"]
    assert item["gsi2pk"] == {"S": f"OWNER#{owner.sub}"}
    assert item["gsi2sk"] == {"S": f"{created['created_at']}#{created['provider_id']}"}
    assert created["created_at"] == "2026-12-01T08:00:00Z"
    # A change of the profile keeps them (it updates fields, never puts the item)
    assert call(client, "PATCH", f"/v1/providers/{created['provider_id']}", owner, {"name": "Renamed"})[0] == 200
    item = aws["dynamodb"].get_item(TableName=os.environ["TABLE_NAME"], Key={
        "pk": {"S": f"PROVIDER#{created['provider_id']}"}, "sk": {"S": "PROFILE"}})["Item"]
    assert item["gsi2pk"] == {"S": f"OWNER#{owner.sub}"} and item["name"] == {"S": "Renamed"}
    assert [p["name"] for p in mine(client, owner)[1]["providers"]] == ["Renamed"]


def test_the_list_pages_with_its_cursor(client, owner, fixed_clock):
    made = []
    for name in ("A", "B", "C"):
        made.append(create(client, owner, name)["provider_id"])
        fixed_clock.now += timedelta(seconds=1)
    seen, query = [], "limit=2"
    for _ in range(3):
        status, page = mine(client, owner, query)
        assert status == 200 and len(page["providers"]) <= 2, page
        seen += [p["provider_id"] for p in page["providers"]]
        if page["next_cursor"] is None:
            break
        query = f"limit=2&cursor={page['next_cursor']}"
    assert seen == made and page["next_cursor"] is None


def test_bad_limits_and_cursors_are_400(client, owner, make_user, fixed_clock):
    create(client, owner, "A")
    create(client, owner, "B")
    for limit in ("0", "101", "ten", "-1", "1.5"):
        refused(mine(client, owner, f"limit={limit}"), "limit")
    refused(mine(client, owner, "cursor=not-a-cursor"), "cursor")
    # Another owner's cursor does not page this owner's list, nor does one crafted for it
    status, page = mine(client, owner, "limit=1")
    assert status == 200 and page["next_cursor"], page
    refused(mine(client, make_user(provider=True), f"cursor={page['next_cursor']}"), "cursor")
    crafted = cursor("gsi2", pk="PROVIDER#p", sk="PROFILE", gsi2pk=f"OWNER#{owner.sub}", gsi2sk="2026#p")
    other = make_user(provider=True)
    refused(mine(client, other, f"cursor={crafted}"), "cursor")
    # ... nor a cursor of another gsi2 list (a provider's bookings) or of no index
    refused(mine(client, owner, "cursor=" + cursor("gsi2", pk="BOOKING#b", sk="BOOKING", gsi2pk="PROVIDER#p#BOOKINGS",
                                                   gsi2sk="2026#b")), "cursor")
    refused(mine(client, owner, "cursor=" + cursor("blocks", pk="PROVIDER#p", sk="BLOCK#b")), "cursor")


def test_it_needs_a_sign_in(client):
    status, body, _ = call(client, "GET", "/v1/me/providers")
    assert status == 401 and body["error"]["code"] == "unauthenticated", body


def test_a_table_that_does_not_answer_gives_503(client, owner, monkeypatch):
    throttle_queries(monkeypatch)
    status, body, headers = call(client, "GET", "/v1/me/providers", owner)
    assert status == 503 and body["error"]["code"] == "try_again" and headers.get("Retry-After"), body
