"""The booking core against emulated DynamoDB, with a clock the tests move."""
from __future__ import annotations

from datetime import timedelta

from pynamodb.connection.base import Connection

from chalicelib.adapters import slots as slot_store
from tests.integration.conftest import WEEKDAYS, book, call, starts

WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
def test_creating_a_booking_makes_exactly_one_write_call(client, shop, make_user, monkeypatch):
    customer = make_user()
    calls = []
    original = Connection._make_api_call

    def counting(self, operation, kwargs):
        calls.append(operation)
        return original(self, operation, kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    status, booking, _ = book(client, shop, customer, "2026-12-02T10:00:00Z", "one-write")
    assert status == 201, booking
    writes = [op for op in calls if op in WRITE_OPERATIONS]
    assert writes == ["TransactWriteItems"]


def test_the_buffer_is_taken_with_the_booking(client, shop, make_user):
    # Given a booking 10:00-11:00 with a 15-minute buffer
    assert book(client, shop, make_user(), "2026-12-02T10:00:00Z", "b1")[0] == 201
    # Then 11:00 is taken (buffer) but 11:15 is free
    free = starts(client, shop, "2026-12-02")
    assert "2026-12-02T11:00:00Z" not in free and "2026-12-02T11:15:00Z" in free
    assert "2026-12-02T08:45:00Z" not in free and "2026-12-02T09:00:00Z" not in free  # 09:00+75 overlaps 10:00
    assert "2026-12-02T08:45:00Z" not in free


def test_an_expired_hold_gives_nothing(client, shop, make_user, fixed_clock):
    holder, other = make_user(), make_user()
    status, hold, _ = call(client, "POST", "/v1/holds", holder,
                           {"provider_id": shop["pid"], "service_id": shop["sid"], "start": "2026-12-02T10:00:00Z"})
    assert status == 201, hold
    assert book(client, shop, other, "2026-12-02T10:00:00Z", "o1")[1]["error"]["code"] == "slot_unavailable"
    # When the clock passes the hold's expiry
    fixed_clock.now += timedelta(minutes=5, seconds=1)
    # Then the holder cannot book with it, and the time is free for others
    status, body, _ = call(client, "POST", "/v1/bookings", holder, {"hold_id": hold["hold_id"]},
                           {"Idempotency-Key": "h1"})
    assert (status, body["error"]["code"]) == (409, "hold_expired")
    assert "2026-12-02T10:00:00Z" in starts(client, shop, "2026-12-02")
    assert book(client, shop, other, "2026-12-02T10:00:00Z", "o2")[0] == 201


def test_lapsed_holds_are_released_by_the_job(client, shop, make_user, fixed_clock):
    from scheduled.release_holds import handler
    holder = make_user()
    status, hold, _ = call(client, "POST", "/v1/holds", holder,
                           {"provider_id": shop["pid"], "service_id": shop["sid"], "start": "2026-12-02T10:00:00Z"})
    assert status == 201
    assert handler({}, None) == {"released": 0}
    fixed_clock.now += timedelta(minutes=6)
    assert handler({}, None) == {"released": 1}
    pid = shop["pid"]
    from datetime import datetime, timezone
    states = slot_store.query_slots(pid, datetime(2026, 12, 2, 10, tzinfo=timezone.utc),
                                    datetime(2026, 12, 2, 11, 15, tzinfo=timezone.utc))
    assert {s.status for s in states} == {"FREE"}
    status, body, _ = call(client, "POST", "/v1/bookings", holder, {"hold_id": hold["hold_id"]},
                           {"Idempotency-Key": "late"})
    assert (status, body["error"]["code"]) == (409, "hold_expired")


def test_customer_cannot_cancel_inside_the_cutoff_but_owner_can(client, shop, make_user, fixed_clock):
    customer = make_user()
    status, booking, _ = book(client, shop, customer, "2026-12-01T10:00:00Z", "c1")
    assert status == 201, booking
    fixed_clock.now = fixed_clock.now.replace(hour=9, minute=30)
    path = f"/v1/bookings/{booking['booking_id']}/cancel"
    status, body, _ = call(client, "POST", path, customer, {})
    assert (status, body["error"]["code"]) == (409, "cancel_window_closed")
    assert call(client, "POST", path, shop["owner"], {"reason": "ill"})[1]["status"] == "CANCELED"
    assert call(client, "POST", path, customer, {})[0] == 200  # canceling twice answers the booking again
    fixed_clock.now = fixed_clock.now.replace(hour=10, minute=30)
    status, other, _ = book(client, shop, customer, "2026-12-02T10:00:00Z", "c2")
    status, body, _ = call(client, "POST", f"/v1/bookings/{other['booking_id']}/cancel", customer, {})
    assert status == 200
    fixed_clock.now = fixed_clock.now.replace(day=2, hour=10, minute=5)
    status, body, _ = call(client, "POST", f"/v1/bookings/{booking['booking_id']}/reschedule", customer,
                           {"start": "2026-12-03T10:00:00Z"})
    assert (status, body["error"]["code"]) == (409, "booking_not_modifiable")


def test_rolling_the_horizon_writes_only_the_new_day(client, shop, fixed_clock):
    from scheduled.roll_horizon import handler
    pid = shop["pid"]
    assert handler({}, None)["providers"] >= 1
    last = (fixed_clock.now + timedelta(days=60)).date()
    fixed_clock.now += timedelta(days=1)  # 2026-12-02: 2027-01-31 (a Sunday... closed) enters
    fixed_clock.now += timedelta(days=1)  # 2026-12-03: 2027-02-01, a Monday, enters
    from chalicelib.service.schedule import roll_horizon
    written = roll_horizon(pid)
    assert written == 32  # one working day of 15-minute slots, 09:00-17:00
    assert roll_horizon(pid) == 0  # nothing new: it wrote nothing again
    assert last.isoformat() == "2027-01-30"
    status, profile, _ = call(client, "GET", f"/v1/providers/{pid}")
    assert status == 200


def test_a_time_zone_change_moves_the_working_slots(client, shop):
    pid, owner = shop["pid"], shop["owner"]
    assert starts(client, shop, "2026-12-07")[0] == "2026-12-07T09:00:00Z"
    status, body, _ = call(client, "PATCH", f"/v1/providers/{pid}", owner, {"timezone": "Asia/Kathmandu"})
    assert status == 200, body
    # The request lays out slots for up to SCHEDULE_SYNC_SECONDS; the finish-syncs job does what is left (a
    # loaded machine may leave days to it).
    from chalicelib.service.schedule import finish_all_syncs

    assert finish_all_syncs()["failed"] == 0
    free = starts(client, shop, "2026-12-07")
    assert free[0] == "2026-12-07T03:15:00Z"  # 09:00 at +05:45
    assert free[-1] == "2026-12-07T10:00:00Z"  # 15:45 local: 60 minutes + 15 buffer end at 17:00


def test_a_cursor_of_another_list_is_refused(client, shop, make_user):
    customer = make_user()
    for n in range(3):
        assert book(client, shop, customer, f"2026-12-0{2 + n}T10:00:00Z", f"page{n}")[0] == 201
    status, page, _ = call(client, "GET", "/v1/me/bookings?limit=1", customer)
    assert status == 200 and len(page["bookings"]) == 1 and page["next_cursor"]
    status, rest, _ = call(client, "GET", f"/v1/me/bookings?limit=5&cursor={page['next_cursor']}", customer)
    assert status == 200 and len(rest["bookings"]) == 2
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/blocks?cursor={page['next_cursor']}",
                           shop["owner"])
    assert (status, body["error"]["code"]) == (400, "invalid_request") and "cursor" in body["error"]["message"]


def test_sending_the_same_hours_again_repairs_missing_slots(client, shop):
    from datetime import datetime, timezone

    from chalicelib.adapters.models import SlotItem
    # Given a working slot lost, as if a previous hours change had stopped halfway
    SlotItem(*SlotItem.key(shop["pid"], datetime(2026, 12, 9, 10, tzinfo=timezone.utc))).delete()
    assert "2026-12-09T10:00:00Z" not in starts(client, shop, "2026-12-09")
    # When the owner sends the same working hours again
    week = {day: [{"start": "09:00", "end": "17:00"}] for day in WEEKDAYS}
    assert call(client, "PUT", f"/v1/providers/{shop['pid']}/working-hours", shop["owner"], {"weekly": week})[0] == 200
    # Then the slot is back
    assert "2026-12-09T10:00:00Z" in starts(client, shop, "2026-12-09")


def test_answers_carry_every_field_of_the_contract(client, shop, make_user):
    customer = make_user()
    _, profile, _ = call(client, "GET", f"/v1/providers/{shop['pid']}")
    assert {"provider_id", "name", "description", "categories", "location", "timezone", "rating", "review_count",
            "services", "booking_rules"} <= set(profile)
    assert {"lat", "lon", "address"} <= set(profile["location"])
    assert set(profile["booking_rules"]) == {"auto_confirm", "min_notice_minutes", "max_days_ahead", "hold_minutes",
                                             "cancel_cutoff_minutes"}
    assert {"service_id", "name", "category", "duration_minutes", "price", "buffer_minutes"} <= set(
        profile["services"][0])
    _, availability, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/availability"
                                             f"?service_id={shop['sid']}&from=2026-12-02&to=2026-12-02")
    assert {"provider_id", "service_id", "timezone", "slots"} <= set(availability)
    assert set(availability["slots"][0]) == {"start", "end", "local_start"}
    _, hold, _ = call(client, "POST", "/v1/holds", customer,
                      {"provider_id": shop["pid"], "service_id": shop["sid"], "start": "2026-12-02T13:00:00Z"})
    assert {"hold_id", "provider_id", "service_id", "start", "end", "expires_at"} <= set(hold)
    _, booking, _ = book(client, shop, customer, "2026-12-02T10:00:00Z", "fields")
    assert {"booking_id", "status", "provider_id", "service_id", "customer_id", "start", "end", "timezone",
            "local_start", "note", "created_at", "updated_at"} <= set(booking)
    assert (booking["start"], booking["local_start"]) == ("2026-12-02T10:00:00Z", "2026-12-02T10:00:00+00:00")
    _, mine, _ = call(client, "GET", "/v1/me/bookings", customer)
    assert set(mine) == {"bookings", "next_cursor"} and mine["next_cursor"] is None
    _, error, _ = book(client, shop, customer, "2026-12-02T10:15:00Z", "fields-2")
    assert set(error) == {"error"} and set(error["error"]) == {"code", "message"}
