"""Events from before/after pairs, who hears of them, in what words, and when reminders fall due (pure)."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from chalicelib.domain import events, notices
from chalicelib.domain.entities import CANCELED, CONFIRMED, DECLINED, PENDING, Block, Booking, Provider, Rules, Service

CUSTOMER_ID, OWNER_ID = "alice", "owner"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def booking(**changes) -> Booking:
    base = Booking(booking_id="b1", status=CONFIRMED, provider_id="p1", service_id="s1", customer_id=CUSTOMER_ID,
                   start=utc("2026-12-10T10:00:00Z"), end=utc("2026-12-10T11:00:00Z"),
                   occupied_until=utc("2026-12-10T11:15:00Z"), timezone="Europe/London", note=None, reason=None,
                   created_at="2026-12-01T09:00:00Z", updated_at="2026-12-01T09:00:00Z", version=1,
                   changed_by=CUSTOMER_ID)
    return dataclasses.replace(base, **changes)


def changed(before: Booking, by: str, **changes) -> Booking:
    return dataclasses.replace(before, **changes, version=before.version + 1, changed_by=by,
                               updated_at="2026-12-02T09:00:00Z")


def test_a_new_booking_is_created_by_its_customer():
    [event] = events.changes_of_booking(None, booking())
    assert isinstance(event, events.BookingCreated)
    assert (event.event_id, event.actor.role, event.actor.user_id) == ("booking:b1:v000001", "customer", CUSTOMER_ID)
    assert event.before is None and event.after["status"] == CONFIRMED and event.version == 1


def test_each_change_of_a_booking_is_its_own_event_with_its_own_identity():
    pending = booking(status=PENDING)
    confirmed = changed(pending, OWNER_ID, status=CONFIRMED)
    moved = changed(confirmed, CUSTOMER_ID, start=utc("2026-12-11T10:00:00Z"), end=utc("2026-12-11T11:00:00Z"))
    canceled = changed(moved, CUSTOMER_ID, status=CANCELED, reason="ill")
    declined = changed(pending, OWNER_ID, status=DECLINED)
    seen = [events.changes_of_booking(a, b)[0] for a, b in
            ((pending, confirmed), (confirmed, moved), (moved, canceled), (pending, declined))]
    assert [type(e) for e in seen] == [events.BookingConfirmed, events.BookingRescheduled, events.BookingCanceled,
                                       events.BookingDeclined]
    assert [e.event_id for e in seen[:3]] == ["booking:b1:v000002", "booking:b1:v000003", "booking:b1:v000004"]
    assert seen[0].actor.role == "owner" and seen[1].actor.role == "customer"
    assert seen[2].before["status"] == CONFIRMED and seen[2].after["reason"] == "ill"


def test_bookkeeping_that_keeps_the_version_is_no_event():
    before = booking()
    assert events.changes_of_booking(before, dataclasses.replace(before, reminded_start="2026-12-10T10:00:00Z")) == []


def test_who_hears_of_what_follows_the_contract():
    created_confirmed = events.changes_of_booking(None, booking())[0]
    created_pending = events.changes_of_booking(None, booking(status=PENDING))[0]
    canceled = events.changes_of_booking(booking(), changed(booking(), OWNER_ID, status=CANCELED))[0]
    assert [(n.role, n.type) for n in notices.notices_of(created_confirmed)] == [
        ("customer", "booking_confirmed"), ("owner", "booking_created")]
    assert [(n.role, n.type) for n in notices.notices_of(created_pending)] == [
        ("customer", "booking_pending"), ("owner", "booking_requested")]
    assert [(n.role, n.type) for n in notices.notices_of(canceled)] == [
        ("customer", "booking_canceled"), ("owner", "booking_canceled")]


def test_a_notification_id_is_the_same_on_every_delivery_and_sorts_by_time():
    event = events.changes_of_booking(None, booking())[0]
    first = notices.notification_id(event, CUSTOMER_ID, "booking_confirmed")
    assert first == notices.notification_id(event, CUSTOMER_ID, "booking_confirmed")
    assert first != notices.notification_id(event, OWNER_ID, "booking_created")
    later = events.changes_of_booking(booking(), changed(booking(), CUSTOMER_ID, status=CANCELED))[0]
    assert notices.notification_id(later, CUSTOMER_ID, "booking_canceled") > first


def test_words_give_the_time_on_the_providers_clock_with_odd_offsets():
    event = events.changes_of_booking(None, booking(start=utc("2026-12-10T04:15:00Z")))[0]
    title, body = notices.words(notices.Notice("customer", "booking_confirmed"), event, "Calm", "Massage",
                                "Asia/Kathmandu")
    assert title == "Booking confirmed"
    assert "Massage at Calm on Thu 10 Dec 2026, 10:00 (Asia/Kathmandu)" in body


def test_a_reminder_falls_due_a_day_before_only_while_the_booking_is_active():
    made = booking()
    assert notices.reminder_due(made) == utc("2026-12-09T10:00:00Z")
    assert notices.reminder_due(changed(made, CUSTOMER_ID, status=CANCELED)) is None
    assert notices.reminder_due(dataclasses.replace(made, reminded_start="2026-12-10T10:00:00Z")) is None
    # A move re-arms it; a booking made less than a day ahead gets none.
    moved = dataclasses.replace(made, reminded_start="2026-12-10T10:00:00Z", start=utc("2026-12-12T10:00:00Z"))
    assert notices.reminder_due(moved) == utc("2026-12-11T10:00:00Z")
    assert notices.reminder_due(booking(updated_at="2026-12-09T12:00:00Z")) is None


def test_a_reminder_is_24_hours_of_real_time_before_across_a_clock_change():
    # London leaves summer time on 2026-10-25: the reminder is 24 elapsed hours before, 11:00 local the day before.
    sunday = booking(start=utc("2026-10-25T10:00:00Z"), updated_at="2026-10-01T09:00:00Z", timezone="Europe/London")
    assert notices.reminder_due(sunday) == utc("2026-10-24T10:00:00Z")


def test_blocks_are_created_and_deleted_by_the_owner():
    block = Block(block_id="k1", provider_id="p1", start=utc("2026-12-10T13:00:00Z"),
                  end=utc("2026-12-10T17:00:00Z"), reason="dentist", created_at="2026-12-01T08:00:00Z",
                  created_by=OWNER_ID)
    [created] = events.changes_of_block(None, block, "2026-12-01T08:00:01Z")
    [deleted] = events.changes_of_block(block, None, "2026-12-03T08:00:00Z")
    assert (created.type, created.at, created.actor.user_id) == ("block.created", block.created_at, OWNER_ID)
    assert (deleted.type, deleted.at, deleted.before["reason"]) == ("block.deleted", "2026-12-03T08:00:00Z", "dentist")


def test_only_a_changed_document_is_a_schedule_change():
    doc = {"weekly": {"mon": [{"start": "09:00", "end": "17:00"}]}, "overrides": []}
    assert events.schedule_changed("p1", doc, doc, 3, "2026-12-01T08:00:00Z", OWNER_ID) == []
    [event] = events.schedule_changed("p1", doc, {**doc, "overrides": [{"date": "2026-12-24", "intervals": []}]}, 3,
                                      "2026-12-01T08:00:00Z", OWNER_ID)
    assert (event.event_id, event.actor.role) == ("schedule:p1:v000003", "owner")


def test_service_and_profile_changes_are_events_only_when_the_public_sees_a_difference():
    service = Service(provider_id="p1", service_id="s1", name="Massage", category="massage", duration_minutes=60,
                      buffer_minutes=0, price_amount=4500, price_currency="EUR", active=True,
                      created_at="2026-12-01T08:00:00Z", updated_at="2026-12-01T08:00:00Z", changed_by=OWNER_ID)
    withdrawn = dataclasses.replace(service, active=False, updated_at="2026-12-02T08:00:00Z")
    [event] = events.changes_of_service(service, withdrawn)
    assert (event.before["active"], event.after["active"]) == (True, False)
    assert events.changes_of_service(service, service) == []
    provider = Provider(provider_id="p1", owner_id=OWNER_ID, name="Calm", description="", categories=["massage"],
                        lat=51.5, lon=-0.1, address=None, timezone="Europe/London", rules=Rules(), rating=None,
                        review_count=0, horizon_end=None, created_at="2026-12-01T08:00:00Z",
                        updated_at="2026-12-01T08:00:00Z", version=1, changed_by=OWNER_ID)
    rolled = dataclasses.replace(provider, horizon_end="2027-02-01", card_version=4)
    assert events.changes_of_profile(provider, rolled) == []
    [renamed] = events.changes_of_profile(provider, dataclasses.replace(provider, name="Calmer", version=2))
    assert (renamed.before["name"], renamed.after["name"], renamed.event_id) == ("Calm", "Calmer", "profile:p1:v000002")
