"""Search over real HTTP on the local stack: what changes through the API shows in search within 5 seconds.

The stack's stream feeder gives the table's records to the search function, which rebuilds each provider's
document in the stack's search engine; GET /v1/search reads it.
"""
from __future__ import annotations

import time
import uuid
from typing import Any, Callable, Dict, List

from tests.e2e.helpers import TZ_NAME, at, book, expect, future_day

SEARCH_DEADLINE = 5.0


def wait_for(what: str, check: Callable[[], Any], deadline: float = SEARCH_DEADLINE) -> float:
    """Poll until check() is truthy; the seconds it took (fails after `deadline`)."""
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > deadline:
            raise AssertionError(f"{what}: not in search within {deadline:.0f} s")
        time.sleep(0.1)


def found(api, user, **params: Any) -> List[Dict[str, Any]]:
    return expect(api.get("/v1/search", user=user, params=params), 200)["results"]


def new_shop(api, users, word: str, open_: str = "09:00", close: str = "17:00") -> Dict[str, Any]:
    """A plumber named after `word`, open every day, with a 60-minute service."""
    owner = users(provider=True)
    provider_id = expect(api.post("/v1/providers", user=owner, json={
        "name": f"{word} Plumbing", "categories": ["plumbing"], "location": {"lat": 48.8566, "lon": 2.3522},
        "timezone": TZ_NAME, "booking_rules": {"min_notice_minutes": 0}}), 201)["provider_id"]
    week = {day: [{"start": open_, "end": close}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    expect(api.put(f"/v1/providers/{provider_id}/working-hours", user=owner, json={"weekly": week}), 200)
    service = expect(api.post(f"/v1/providers/{provider_id}/services", user=owner, json={
        "name": "Leak repair", "category": "plumbing", "duration_minutes": 60,
        "price": {"amount": 6000, "currency": "EUR"}}), 201)
    return {"owner": owner, "provider_id": provider_id, "service_id": service["service_id"]}


def word() -> str:
    return "zq" + uuid.uuid4().hex[:10]


def settled(api, users) -> None:
    """Wait until the search function has caught up with the stream (earlier tests, the fuzz run above all,
    may have left thousands of records to work through); the 5 s are measured on a stack that has."""
    customer = users.customer()
    name = word()
    owner = users(provider=True)
    expect(api.post("/v1/providers", user=owner, json={
        "name": f"{name} Marker", "categories": ["plumbing"], "location": {"lat": 0.5, "lon": 0.5},
        "timezone": TZ_NAME}), 201)
    wait_for("the marker provider", lambda: found(api, customer, q=name), deadline=180.0)


def test_a_provider_created_and_then_changed_shows_in_search_within_five_seconds(api, users):
    settled(api, users)
    customer = users.customer()
    # Given a provider created over the API
    name = word()
    shop = new_shop(api, users, name)
    # Then searching its name finds it, with its hours and service counted (a next free time), within 5 s
    took = wait_for("the new provider", lambda: any(r["next_available"] for r in found(api, customer, q=name)))
    result = found(api, customer, q=name, lat=48.86, lon=2.35, radius_km=5)[0]
    assert result["provider_id"] == shop["provider_id"] and result["next_available"] is not None
    assert 0 < result["distance_km"] < 1
    # When its owner renames it
    renamed = word()
    expect(api.patch(f"/v1/providers/{shop['provider_id']}", user=shop["owner"],
                     json={"name": f"{renamed} Plumbing"}), 200)
    # Then the new name finds it and the old one does not, within 5 s
    took_change = wait_for("the new name", lambda: found(api, customer, q=renamed) and not found(api, customer, q=name))
    print(f"created: in search after {took:.2f} s; renamed: after {took_change:.2f} s")


def test_a_day_booked_full_leaves_the_available_on_filter_within_five_seconds(api, users):
    settled(api, users)
    customer = users.customer()
    # Given a plumber open one hour a day, with a 60-minute service
    name = word()
    shop = new_shop(api, users, name, open_="09:00", close="10:00")
    day = future_day(3)
    wait_for("the new provider", lambda: found(api, customer, q=name, available_on=day.isoformat()))
    # When that hour is booked
    booking = book(api, customer, _Shop(shop), at(day, "09:00"))
    expect(booking, 201)
    # Then the provider is left out that day within 5 s, and still found the day after
    took = wait_for("the full day", lambda: not found(api, customer, q=name, available_on=day.isoformat()))
    next_day = future_day(4).isoformat()
    assert [r["provider_id"] for r in found(api, customer, q=name, available_on=next_day)] == [shop["provider_id"]]
    print(f"booked full: out of search after {took:.2f} s")


class _Shop:
    """The shape tests.e2e.helpers.book wants."""

    def __init__(self, shop: Dict[str, Any]) -> None:
        self.provider_id = shop["provider_id"]
        self.service_id = shop["service_id"]
        self.services = {60: shop["service_id"]}


def test_bad_search_parameters_get_invalid_request(api, users):
    customer = users.customer()
    response = api.get("/v1/search", user=customer, params={"lat": "51.5", "sort": "distance"})
    body = expect(response, 400, "invalid_request")
    assert "lat and lon" in body["error"]["message"]
