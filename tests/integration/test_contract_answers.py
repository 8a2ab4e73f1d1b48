"""Every answer of a whole booking story matches what /v1/openapi.json says of that route and status:
a documented status, the documented JSON schema (formats included), the documented text type (calendars), or
no body for 204."""
from __future__ import annotations

from typing import Any, Dict, Optional

import pytest
from jsonschema import Draft202012Validator

from chalicelib.domain import events
from chalicelib.domain.notices import BOOKING_CANCELED, Notification
from chalicelib.service.stores import audit_store, inbox_store
from tests.integration.conftest import call

WEEK = {day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}


class Contract:
    """Sends requests and checks each answer against the document."""

    def __init__(self, client, document: Dict[str, Any]):
        self.client = client
        self.document = document
        self.seen: set = set()

    def send(self, method: str, template: str, user=None, body=None, headers=None, query: str = "",
             expect: Optional[int] = None, **ids: str):
        path = template.format(**ids) + (f"?{query}" if query else "")
        status, data, answer_headers = call(self.client, method, path, user, body, headers)
        operation = self.document["paths"][template][method.lower()]
        assert str(status) in operation["responses"], f"{method} {template}: {status} is not documented: {data}"
        if expect is not None:
            assert status == expect, f"{method} {path}: {status} {data}"
        answer = operation["responses"][str(status)]
        if "content" not in answer:
            assert data is None, f"{method} {template}: {status} must have no body"
        elif "application/json" not in answer["content"]:
            (media_type,) = answer["content"]
            sent_type = answer_headers.get("Content-Type", answer_headers.get("content-type"))
            assert sent_type == f"{media_type}; charset=utf-8", f"{method} {template}: {sent_type}"
            assert isinstance(data, str) and data, f"{method} {template} {status}: no {media_type} body"
        else:
            assert answer_headers.get("Content-Type", answer_headers.get("content-type")) == "application/json"
            schema = {**answer["content"]["application/json"]["schema"], "components": self.document["components"]}
            errors = sorted(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
                            .iter_errors(data), key=str)
            assert not errors, f"{method} {template} {status}: {errors[0].message} in {data}"
        self.seen.add((method, template, status))
        return data, answer_headers


@pytest.fixture()
def contract(client):
    status, document, _ = call(client, "GET", "/v1/openapi.json")
    assert status == 200
    return Contract(client, document)


def test_a_whole_booking_story_answers_as_documented(contract, make_user, fixed_clock):
    c = contract
    owner, customer, stranger = make_user(provider=True), make_user(), make_user()
    for path in ("/v1/health", "/v1/config", "/v1/categories", "/v1/openapi.json"):
        c.send("GET", path, expect=200)

    # A provider, its hours, a service
    provider, _ = c.send("POST", "/v1/providers", owner, {
        "name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1, "address": "1 Spa Row"},
        "timezone": "Europe/London", "booking_rules": {"cancel_cutoff_minutes": 60}}, expect=201)
    ids = {"provider_id": provider["provider_id"]}
    P = "/v1/providers/{provider_id}"
    c.send("POST", "/v1/providers", customer, {"name": "x", "categories": ["massage"],
                                               "location": {"lat": 0, "lon": 0}, "timezone": "UTC"}, expect=403)
    c.send("PATCH", P, owner, {"description": "Quiet rooms"}, expect=200, **ids)
    mine, _ = c.send("GET", "/v1/me/providers", owner, query="limit=1", expect=200)
    assert [p["provider_id"] for p in mine["providers"]] == [ids["provider_id"]]
    c.send("GET", "/v1/me/providers", customer, expect=200)
    c.send("GET", "/v1/me/providers", owner, query="limit=0", expect=400)
    c.send("GET", "/v1/me/providers", expect=401)
    c.send("PUT", P + "/working-hours", owner, {"weekly": WEEK, "overrides": [
        {"date": "2026-12-24", "intervals": []}, {"date": "2026-12-05", "intervals": [
            {"start": "10:00", "end": "12:00"}, {"start": "13:00", "end": "24:00"}]}]}, expect=200, **ids)
    c.send("GET", P + "/working-hours", owner, expect=200, **ids)
    c.send("GET", P + "/working-hours", stranger, expect=403, **ids)
    c.send("PUT", P + "/working-hours", owner, {"weekly": {"mon": [{"start": "9:00", "end": "17:00"}]}},
           expect=400, **ids)
    service, _ = c.send("POST", P + "/services", owner, {
        "name": "Massage", "category": "massage", "duration_minutes": 60, "buffer_minutes": 15,
        "price": {"amount": 4500, "currency": "GBP"}}, expect=201, **ids)
    ids["service_id"] = service["service_id"]
    c.send("PATCH", P + "/services/{service_id}", owner, {"name": "Long massage"}, expect=200, **ids)
    profile, _ = c.send("GET", P, expect=200, **ids)
    assert profile["rating"] is None and profile["services"][0]["service_id"] == ids["service_id"]
    two_days = f"service_id={ids['service_id']}&from=2026-12-02&to=2026-12-03"
    slots, _ = c.send("GET", P + "/availability", query=two_days, expect=200, **ids)
    assert slots["slots"]
    c.send("GET", P + "/availability", query="from=2026-12-02&to=2026-12-03", expect=400, **ids)

    # Search, once the stream function has indexed the provider
    from chalicelib.adapters import search as search_engine
    from chalicelib.service.indexing import index_providers

    index_providers([ids["provider_id"]])
    search_engine.refresh()
    found, _ = c.send("GET", "/v1/search", customer, query="category=massage&lat=51.5&lon=-0.1&sort=distance",
                      expect=200)
    assert [r["provider_id"] for r in found["results"]] == [ids["provider_id"]]
    assert found["results"][0]["next_available"] and found["results"][0]["distance_km"] == 0
    c.send("GET", "/v1/search", customer, query="sort=distance", expect=400)
    c.send("GET", "/v1/search", expect=401)

    # A hold, a booking from it, its replay and a reused key
    hold, _ = c.send("POST", "/v1/holds", customer, {**ids, "start": "2026-12-02T10:00:00Z"}, expect=201)
    key = {"Idempotency-Key": "story-1"}
    booking, _ = c.send("POST", "/v1/bookings", customer, {"hold_id": hold["hold_id"]}, key, expect=201)
    _, replay_headers = c.send("POST", "/v1/bookings", customer, {"hold_id": hold["hold_id"]}, key, expect=201)
    assert replay_headers["Idempotent-Replayed"] == "true"
    c.send("POST", "/v1/bookings", customer, {"hold_id": hold["hold_id"], "note": "other"}, key, expect=422)
    c.send("POST", "/v1/bookings", customer, {**ids, "start": "2026-12-02T10:00:00Z"},
           {"Idempotency-Key": "story-2"}, expect=409)
    c.send("POST", "/v1/bookings", customer, {**ids, "start": "2026-12-02T10:00:00Z"}, expect=400)
    b = {"booking_id": booking["booking_id"]}
    B = "/v1/bookings/{booking_id}"
    c.send("GET", B, customer, expect=200, **b)
    c.send("GET", B, stranger, expect=404, **b)
    c.send("GET", B, expect=401, **b)
    c.send("GET", "/v1/me/bookings", customer, query="status=CONFIRMED&from=2026-12-01&to=2026-12-31&limit=1",
           expect=200)
    c.send("GET", "/v1/me/bookings", customer, query="limit=0", expect=400)
    c.send("GET", P + "/bookings", owner, query="from=2026-12-02T00:00:00Z&limit=100", expect=200, **ids)

    # Calendars: the booking's file, the feed's address, the feed, a rotation
    c.send("GET", B + "/calendar.ics", customer, expect=200, **b)
    c.send("GET", B + "/calendar.ics", stranger, expect=404, **b)
    host = {"Host": "api.example.test"}
    feed, _ = c.send("GET", P + "/calendar-feed", owner, headers=host, expect=200, **ids)
    c.send("GET", P + "/calendar-feed", stranger, headers=host, expect=403, **ids)
    old_secret = feed["url"].rsplit("/", 1)[1]
    feed, _ = c.send("POST", P + "/calendar-feed/rotate", owner, headers=host, expect=200, **ids)
    F = "/v1/calendar-feeds/{provider_id}/{secret}"
    c.send("GET", F, expect=200, secret=feed["url"].rsplit("/", 1)[1], **ids)
    c.send("GET", F, expect=404, secret=old_secret, **ids)

    # Blocks: one in the way of the booking, one not
    c.send("POST", P + "/blocks", owner, {"start": "2026-12-02T10:00:00Z", "end": "2026-12-02T11:00:00Z"},
           expect=409, **ids)
    block, _ = c.send("POST", P + "/blocks", owner, {"start": "2026-12-03T10:00:00Z",
                                                      "end": "2026-12-03T11:00:00Z", "reason": "dentist"},
                      expect=201, **ids)
    c.send("GET", P + "/blocks", owner, query="limit=1", expect=200, **ids)
    c.send("DELETE", P + "/blocks/{block_id}", owner, expect=204, block_id=block["block_id"], **ids)

    # Move it, then cancel it without a body; a second hold given back
    c.send("POST", B + "/reschedule", customer, {"start": "2026-12-02T13:00:00Z"}, expect=200, **b)
    c.send("POST", B + "/reschedule", owner, {"start": "2026-12-02T14:00:00Z"}, expect=403, **b)
    c.send("POST", B + "/cancel", customer, expect=200, **b)
    c.send("POST", B + "/confirm", owner, expect=409, **b)
    other_hold, _ = c.send("POST", "/v1/holds", customer, {**ids, "start": "2026-12-03T14:00:00Z"}, expect=201)
    held, _ = c.send("GET", P + "/holds", owner, query="from=2026-12-03&to=2026-12-03", expect=200, **ids)
    assert [h["hold_id"] for h in held["holds"]] == [other_hold["hold_id"]]
    c.send("GET", P + "/holds", stranger, query="from=2026-12-03&to=2026-12-03", expect=403, **ids)
    c.send("GET", P + "/holds", owner, query="from=2026-12-03", expect=400, **ids)
    c.send("DELETE", "/v1/holds/{hold_id}", customer, expect=204, hold_id=other_hold["hold_id"])

    # Confirm and decline by hand
    c.send("PATCH", P, owner, {"booking_rules": {"auto_confirm": False}}, expect=200, **ids)
    decided = {}
    for start, action in (("2026-12-04T10:00:00Z", "confirm"), ("2026-12-04T12:00:00Z", "decline")):
        pending, _ = c.send("POST", "/v1/bookings", customer, {**ids, "start": start},
                            {"Idempotency-Key": f"story-{action}"}, expect=201)
        assert pending["status"] == "PENDING"
        c.send("POST", B + "/" + action, owner, expect=200, booking_id=pending["booking_id"])
        decided[action] = {"booking_id": pending["booking_id"]}

    # Reviews: not before the confirmed booking has ended, then once, by its customer only
    R = B + "/review"
    c.send("POST", R, customer, {"rating": 5}, expect=409, **decided["confirm"])
    fixed_clock.now = fixed_clock.now.replace(day=4, hour=12)
    c.send("POST", R, customer, {"rating": 5}, expect=409, **decided["decline"])
    c.send("POST", R, customer, {"rating": 4.5}, expect=400, **decided["confirm"])
    c.send("POST", R, expect=401, body={"rating": 5}, **decided["confirm"])
    c.send("POST", R, stranger, {"rating": 1}, expect=404, **decided["confirm"])
    c.send("POST", R, owner, {"rating": 5}, expect=403, **decided["confirm"])
    c.send("POST", R, customer, {"rating": 5, "comment": "Calm."}, expect=201, **decided["confirm"])
    c.send("POST", R, customer, {"rating": 1}, expect=409, **decided["confirm"])
    reviews, _ = c.send("GET", P + "/reviews", query="limit=1", expect=200, **ids)
    assert [r["rating"] for r in reviews["reviews"]] == [5]
    c.send("GET", P + "/reviews", query="limit=0", expect=400, **ids)
    c.send("GET", P + "/reviews", expect=404, provider_id="nobody")
    profile, _ = c.send("GET", P, expect=200, **ids)
    assert (profile["rating"], profile["review_count"]) == (5.0, 1)
    c.send("DELETE", P + "/services/{service_id}", owner, expect=204, **ids)
    c.send("DELETE", P + "/services/{service_id}", owner, expect=404, **ids)

    # The inbox, phones and SMS; the audit trail (both written here as the stream side writes them)
    canceled = events.BookingCanceled(
        event_id=f"booking:{b['booking_id']}:v000003", at="2026-12-01T08:00:00Z", provider_id=ids["provider_id"],
        actor=events.Actor(user_id=customer.sub, role=events.CUSTOMER), booking_id=b["booking_id"],
        customer_id=customer.sub, version=2, before=booking, after={**booking, "status": "CANCELED"})
    assert audit_store.append(canceled)
    notice = Notification(user_id=customer.sub, notification_id="20261201T080000Z-0123456789abcdef",
                          type=BOOKING_CANCELED, booking_id=b["booking_id"], title="Booking canceled",
                          body="Long massage at Spa was canceled.", created_at=canceled.at, event_id=canceled.event_id)
    assert inbox_store.put_notification(notice)
    inbox, _ = c.send("GET", "/v1/me/notifications", customer, query="limit=1", expect=200)
    assert inbox["notifications"][0]["notification_id"] == notice.notification_id
    c.send("GET", "/v1/me/notifications", customer, query="limit=101", expect=400)
    n = {"notification_id": notice.notification_id}
    c.send("POST", "/v1/me/notifications/{notification_id}/read", customer, expect=204, **n)
    c.send("POST", "/v1/me/notifications/{notification_id}/read", stranger, expect=404, **n)
    c.send("PUT", "/v1/me/devices/{device_id}", customer, {"platform": "apns", "token": "f00d"}, expect=204,
           device_id="phone-1")
    c.send("PUT", "/v1/me/devices/{device_id}", customer, {"platform": "sms", "token": "f00d"}, expect=400,
           device_id="phone-1")
    c.send("DELETE", "/v1/me/devices/{device_id}", customer, expect=204, device_id="phone-1")
    c.send("PUT", "/v1/me/sms", customer, {"phone": "+447911123456"}, expect=204)
    c.send("PUT", "/v1/me/sms", customer, {"phone": "07911 123456"}, expect=400)
    c.send("DELETE", "/v1/me/sms", customer, expect=204)
    trail, _ = c.send("GET", P + "/audit", owner, query="from=2026-12-01&limit=10", expect=200, **ids)
    assert [e["event_id"] for e in trail["events"]] == [canceled.event_id]
    c.send("GET", P + "/audit", stranger, expect=403, **ids)
    c.send("GET", P + "/audit", owner, query="from=soon", expect=400, **ids)

    documented = {(m.upper(), p) for p, item in c.document["paths"].items() for m in item}
    answered = {(method, template) for method, template, _ in c.seen}
    assert documented == answered, documented - answered
    assert {s for _, _, s in c.seen} >= {200, 201, 204, 400, 401, 403, 404, 409, 422}
