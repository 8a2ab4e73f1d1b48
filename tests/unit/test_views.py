"""Every view (a plain dict) is exactly what its answer model in the OpenAPI document says, field for field."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from chalicelib.api import answers
from chalicelib.domain import events, views
from chalicelib.domain.entities import (
    CANCELED,
    Block,
    Booking,
    HeldTime,
    Hold,
    Provider,
    Review,
    Rules,
    Service,
)
from chalicelib.domain.timegrid import read_zone

AT = datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)  # an hour before London springs forward
LATER = datetime(2026, 3, 29, 1, 45, tzinfo=timezone.utc)
STAMP = "2026-03-01T08:00:00Z"

SERVICE = Service(provider_id="p-1", service_id="s-1", name="Deep clean", category="cleaning", duration_minutes=60,
                  buffer_minutes=15, price_amount=4550, price_currency="GBP", active=True, created_at=STAMP,
                  updated_at=STAMP)
WITHDRAWN = Service(**{**SERVICE.__dict__, "service_id": "s-2", "active": False})
PROVIDER = Provider(provider_id="p-1", owner_id="u-1", name="Sparkle", description="", categories=["cleaning"],
                    lat=51.5, lon=-0.1, address=None, timezone="Europe/London",
                    rules=Rules(auto_confirm=False, min_notice_minutes=30), rating=4.5, review_count=2,
                    horizon_end=None, created_at=STAMP, updated_at=STAMP, version=3)
BOOKING = Booking(booking_id="b-1", status=CANCELED, provider_id="p-1", service_id="s-1", customer_id="c-1",
                  start=AT, end=LATER, occupied_until=LATER, timezone="Asia/Kathmandu", note="Ring twice",
                  reason=None, created_at=STAMP, updated_at=STAMP, version=2)
HOLD = Hold(hold_id="h-1", provider_id="p-1", service_id="s-1", customer_id="c-1", start=AT, end=LATER,
            occupied_until=LATER, expires_at=LATER, created_at=STAMP)
BLOCK = Block(block_id="k-1", provider_id="p-1", start=AT, end=LATER, reason="Training", created_at=STAMP)
REVIEW = Review(booking_id="b-1", provider_id="p-1", customer_id="c-1", rating=5, comment=None, created_at=STAMP)
NOTIFICATION = SimpleNamespace(notification_id="n-1", type="booking_confirmed", booking_id="b-1", title="Confirmed",
                               body="See you", created_at=STAMP, read=False)
EVENT = events.changes_of_booking(None, BOOKING)[0]

CASES = {
    "service": (views.service_view(SERVICE), answers.Service),
    "provider": (views.provider_view(PROVIDER, [SERVICE, WITHDRAWN]), answers.ProviderProfile),
    "booking": (views.booking_view(BOOKING), answers.Booking),
    "hold": (views.hold_view(HOLD), answers.Hold),
    "held time": (views.held_time_view(HeldTime(hold_id="h-1", start=AT, end=LATER, expires_at=LATER),
                                       read_zone("America/St_Johns")), answers.ProviderHold),
    "block": (views.block_view(BLOCK), answers.Block),
    "review": (views.review_view(REVIEW), answers.Review),
    "calendar feed": (views.calendar_feed_view("https://api.example.com/v1/calendar-feeds/p-1/x"),
                      answers.CalendarFeed),
    "notification": (views.notification_view(NOTIFICATION), answers.Notification),
    "audit event": (views.audit_event_view(EVENT), answers.AuditEvent),
}


@pytest.mark.parametrize("name", CASES)
def test_a_view_is_exactly_its_answer_model(name):
    # Given a view built from an entity
    view, model = CASES[name]
    # When its answer model reads it
    parsed = model.model_validate(view)
    # Then nothing is missing, extra or of another type: the model gives back the same JSON
    assert json.dumps(parsed.model_dump(mode="json"), sort_keys=True) == json.dumps(view, sort_keys=True)


def test_views_show_local_times_in_the_entitys_zone():
    assert views.booking_view(BOOKING)["local_start"] == "2026-03-29T06:15:00+05:45"
    assert views.provider_view(PROVIDER, [SERVICE, WITHDRAWN])["services"] == [views.service_view(SERVICE)]
    assert views.provider_view(PROVIDER, [])["booking_rules"] == {
        "auto_confirm": False, "min_notice_minutes": 30, "max_days_ahead": 60, "hold_minutes": 5,
        "cancel_cutoff_minutes": 0}
