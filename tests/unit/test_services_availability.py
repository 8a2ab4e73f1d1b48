"""Availability lookups and the catalog that feeds them, against the in-memory repositories."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.domain.model import CreateProvider, CreateService, PatchProvider, PatchService
from chalicelib.service import availability, catalog, providers
from tests.unit.conftest import OWNER, open_shop, quarter_hours


def test_a_new_provider_offers_every_start_where_the_service_fits_in_one_read(state):
    # Given a provider open 09:00-17:00 on weekdays with a 60-minute service and a 15-minute buffer
    shop = open_shop()
    state.calls.clear()
    # When a customer looks up a Wednesday
    starts = shop.starts("2026-12-02")
    # Then every quarter hour from 09:00 to 15:45 is offered (15:45 + 75 minutes = 17:00) ...
    assert starts == quarter_hours("2026-12-02T09:00", "2026-12-02T15:45")
    # ... found with one repository read
    assert state.calls == ["read_availability"]
    # And a Saturday offers nothing
    assert shop.starts("2026-12-05") == []


def test_a_provider_without_working_hours_offers_nothing(state):
    provider = providers.create_provider(OWNER, CreateProvider.model_validate({
        "name": "New", "categories": ["massage"], "location": {"lat": 0, "lon": 0}, "timezone": "Europe/London"}))
    service = catalog.create_service(OWNER, provider["provider_id"], CreateService.model_validate({
        "name": "Massage", "category": "massage", "duration_minutes": 60, "price": {"amount": 1, "currency": "GBP"}}))
    answer = availability.get_availability(provider["provider_id"], service["service_id"], "2026-12-02", "2026-12-02")
    assert answer["slots"] == []


def test_the_notice_and_the_days_ahead_limit_what_is_offered(state, fixed_clock):
    # Given a provider taking bookings 60 minutes to 7 days ahead, and it is Wednesday 09:30
    shop = open_shop(max_days_ahead=7)
    fixed_clock.now = fixed_clock.now.replace(day=2, hour=9, minute=30)
    # Then the first start that day is 10:30, and the 9th is the last day offered
    assert shop.starts("2026-12-02")[0] == "2026-12-02T10:30:00Z"
    assert shop.starts("2026-12-09") == quarter_hours("2026-12-09T09:00", "2026-12-09T15:45")
    assert shop.starts("2026-12-10") == []


def test_a_service_change_shows_in_availability_at_once(state, shop):
    # When the service becomes 120 minutes long
    catalog.patch_service(OWNER, shop.pid, shop.sid, PatchService(duration_minutes=120))
    # Then the next lookup fits 135 minutes: the last start is 14:45
    assert shop.starts("2026-12-02") == quarter_hours("2026-12-02T09:00", "2026-12-02T14:45")
    # When a 30-minute service without buffer is added, it is offered until 16:30
    short = catalog.create_service(OWNER, shop.pid, CreateService.model_validate({
        "name": "Short", "category": "massage", "duration_minutes": 30, "price": {"amount": 1, "currency": "GBP"}}))
    assert shop.starts("2026-12-02", short["service_id"])[-1] == "2026-12-02T16:30:00Z"
    # When the first service is deleted, it is no longer found
    catalog.delete_service(OWNER, shop.pid, shop.sid)
    with pytest.raises(NotFound):
        shop.starts("2026-12-02")


def test_a_rules_change_shows_in_availability_at_once(state, shop):
    assert shop.starts("2026-12-01")[0] == "2026-12-01T09:00:00Z"
    # When, at 08:00 on the 1st, the provider asks for 26 hours' notice
    providers.patch_provider(OWNER, shop.pid, PatchProvider.model_validate(
        {"booking_rules": {"min_notice_minutes": 26 * 60}}))
    # Then nothing is offered on the 1st, and the 2nd starts at 10:00
    assert shop.starts("2026-12-01") == []
    assert shop.starts("2026-12-02")[0] == "2026-12-02T10:00:00Z"


def test_a_range_without_cards_is_answered_from_the_profile(state, shop):
    # Given a range beyond the dates that carry a card (and beyond the days bookable)
    state.calls.clear()
    answer = availability.get_availability(shop.pid, shop.sid, "2027-03-01", "2027-03-02")
    # Then the profile is read as well, and nothing is offered
    assert state.calls == ["read_availability", "get_provider_with_services"]
    assert (answer["timezone"], answer["slots"]) == ("Europe/London", [])
    with pytest.raises(NotFound):
        availability.get_availability("no-such-provider", shop.sid, "2026-12-02", "2026-12-02")
