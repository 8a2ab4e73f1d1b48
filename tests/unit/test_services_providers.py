"""The providers a user owns, for the console: oldest first, paged, each its public profile (in-memory repositories)."""
from __future__ import annotations

from typing import Any, Dict

import pytest

from chalicelib.domain.entities import Caller
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.model import CreateProvider, CreateService, PatchProvider
from chalicelib.service import catalog, providers
from tests.unit.conftest import ALICE, OWNER

RIVAL = Caller(user_id="owner-2", groups=frozenset({"providers"}))


def create(owner: Caller, name: str, **extra: Any) -> Dict[str, Any]:
    return providers.create_provider(owner, CreateProvider.model_validate({
        "name": name, "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
        "timezone": "Europe/London", **extra}))


def add_service(owner: Caller, provider_id: str, name: str) -> Dict[str, Any]:
    return catalog.create_service(owner, provider_id, CreateService.model_validate({
        "name": name, "category": "massage", "duration_minutes": 60, "price": {"amount": 4500, "currency": "GBP"}}))


def test_a_user_who_owns_no_provider_gets_an_empty_page(state):
    create(RIVAL, "Not hers")
    assert providers.list_mine(ALICE, 20, None) == {"providers": [], "next_cursor": None}


def test_the_owner_gets_her_providers_oldest_first_each_as_its_public_profile(state, fixed_clock):
    first = create(OWNER, "First", booking_rules={"hold_minutes": 10})
    fixed_clock.advance(minutes=1)
    create(RIVAL, "Someone else's")
    fixed_clock.advance(minutes=1)
    second = create(OWNER, "Second")
    kept, dropped = add_service(OWNER, first["provider_id"], "Kept"), add_service(OWNER, first["provider_id"], "Gone")
    catalog.delete_service(OWNER, first["provider_id"], dropped["service_id"])
    state.calls.clear()
    page = providers.list_mine(OWNER, 20, None)
    assert [p["name"] for p in page["providers"]] == ["First", "Second"] and page["next_cursor"] is None
    # The index names them; each profile with its services is one read of the table
    assert state.calls == ["list_owned_provider_ids", "get_provider_with_services", "get_provider_with_services"]
    # Each is what GET /v1/providers/{id} answers: active services only, the rules, the rating
    assert page["providers"] == [providers.get_profile(first["provider_id"]),
                                 providers.get_profile(second["provider_id"])]
    assert [s["service_id"] for s in page["providers"][0]["services"]] == [kept["service_id"]]
    assert page["providers"][0]["booking_rules"]["hold_minutes"] == 10


def test_a_change_shows_at_once(state):
    shop = create(OWNER, "Old name")
    providers.patch_provider(OWNER, shop["provider_id"], PatchProvider(name="New name"))
    assert [p["name"] for p in providers.list_mine(OWNER, 20, None)["providers"]] == ["New name"]


def test_the_list_pages_with_the_cursor_it_gave(state, fixed_clock):
    for name in ("A", "B", "C"):
        create(OWNER, name)
        fixed_clock.advance(seconds=1)
    first = providers.list_mine(OWNER, 2, None)
    assert [p["name"] for p in first["providers"]] == ["A", "B"] and first["next_cursor"]
    second = providers.list_mine(OWNER, 2, first["next_cursor"])
    assert [p["name"] for p in second["providers"]] == ["C"] and second["next_cursor"] is None


def test_providers_created_in_the_same_second_keep_one_order(state):
    names = [create(OWNER, name)["provider_id"] for name in ("A", "B", "C")]
    listed = [p["provider_id"] for p in providers.list_mine(OWNER, 20, None)["providers"]]
    assert listed == sorted(names)  # the same created_at: by id, as the index's sort key has it
    assert [p["provider_id"] for p in providers.list_mine(OWNER, 1, None)["providers"]] == listed[:1]


def test_a_cursor_that_is_not_one_is_refused(state):
    with pytest.raises(InvalidRequest):
        providers.list_mine(OWNER, 20, "not-a-cursor")
