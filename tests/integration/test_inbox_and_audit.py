"""The inbox, contact preferences and the audit trail, through HTTP against emulated DynamoDB.

Notifications and audit records are written here as the stream side writes them (`inbox_store.put_notification`,
`audit_store.append`), with events built by hand.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import events
from chalicelib.domain.notices import BOOKING_CONFIRMED, Notification, notification_id
from chalicelib.domain.timegrid import format_utc
from chalicelib.service.stores import audit_store, inbox_store
from tests.integration.conftest import call

START = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def confirmed(booking_id: str, at: datetime, provider_id: str = "p1", customer_id: str = "c1",
              actor_role: str = events.OWNER) -> events.BookingConfirmed:
    return events.BookingConfirmed(
        event_id=f"booking:{booking_id}:v000002", at=format_utc(at), provider_id=provider_id,
        actor=events.Actor(user_id="owner-sub" if actor_role != events.SYSTEM else None, role=actor_role),
        booking_id=booking_id, customer_id=customer_id, version=2, before={"booking_id": booking_id, "status": "PENDING"},
        after={"booking_id": booking_id, "status": "CONFIRMED"})


def notification(user_id: str, event: events.Event) -> Notification:
    return Notification(user_id=user_id, notification_id=notification_id(event, user_id, BOOKING_CONFIRMED),
                        type=BOOKING_CONFIRMED, booking_id=event.booking_id, title="Booking confirmed",
                        body="Massage at Spa on Wed 2 Dec 2026, 10:00 (Europe/London) is confirmed.",
                        created_at=event.at, event_id=event.event_id)


def pages(client, user, path, limit):
    """Every page of a list, following next_cursor."""
    got, cursor = [], None
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        status, body, _ = call(client, "GET", path + query, user)
        assert status == 200, body
        got.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return got


def assert_invalid(status, body, *words):
    assert status == 400 and body["error"]["code"] == "invalid_request", body
    assert all(word in body["error"]["message"] for word in words), body


# ---- the inbox ---------------------------------------------------------------------------------------

def test_a_notification_put_twice_is_one_entry(client, make_user):
    user = make_user()
    entry = notification(user.sub, confirmed("b1", START))
    assert inbox_store.put_notification(entry) is True
    assert inbox_store.put_notification(entry) is False  # a redelivered event
    status, body, _ = call(client, "GET", "/v1/me/notifications", user)
    assert status == 200, body
    assert body == {"notifications": [{
        "notification_id": entry.notification_id, "type": "booking_confirmed", "booking_id": "b1",
        "title": "Booking confirmed", "body": entry.body, "created_at": "2026-11-01T09:00:00Z", "read": False}],
        "next_cursor": None}


def test_the_inbox_pages_newest_first_without_gaps_or_repeats(client, make_user):
    user, other = make_user(), make_user()
    written = [notification(user.sub, confirmed(f"b{n}", START + timedelta(minutes=n))) for n in range(45)]
    for entry in reversed(written):  # written in any order; listed by time
        inbox_store.put_notification(entry)
    inbox_store.put_notification(notification(other.sub, confirmed("theirs", START)))
    got = pages(client, user, "/v1/me/notifications", 20)
    assert [len(page["notifications"]) for page in got] == [20, 20, 5]
    listed = [n["notification_id"] for page in got for n in page["notifications"]]
    assert listed == [entry.notification_id for entry in reversed(written)]
    # A cursor is bound to the caller's inbox: another user cannot page through it.
    status, body, _ = call(client, "GET", f"/v1/me/notifications?cursor={got[0]['next_cursor']}", other)
    assert_invalid(status, body, "cursor")
    assert_invalid(*call(client, "GET", "/v1/me/notifications?limit=0", user)[:2], "limit")


def test_marking_a_notification_read(client, make_user):
    user, other = make_user(), make_user()
    entry = notification(user.sub, confirmed("b1", START))
    inbox_store.put_notification(entry)
    path = f"/v1/me/notifications/{entry.notification_id}/read"
    status, body, _ = call(client, "POST", path, other)
    assert (status, body["error"]["code"]) == (404, "not_found")
    for _ in range(2):  # twice: still 204
        status, body, _ = call(client, "POST", path, user)
        assert status == 204 and body is None
    assert call(client, "GET", "/v1/me/notifications", user)[1]["notifications"][0]["read"] is True
    status, body, _ = call(client, "POST", "/v1/me/notifications/20261101T090000Z-0000000000000000/read", user)
    assert (status, body["error"]["code"]) == (404, "not_found")
    # And a read entry stays read when its event is delivered again.
    assert inbox_store.put_notification(entry) is False
    assert call(client, "GET", "/v1/me/notifications", user)[1]["notifications"][0]["read"] is True


# ---- devices and SMS ----------------------------------------------------------------------------------

def test_devices_are_registered_replaced_and_removed(client, make_user, fixed_clock):
    user = make_user()
    assert call(client, "PUT", "/v1/me/devices/phone-1", user, {"platform": "apns", "token": "a" * 64})[0] == 204
    assert call(client, "PUT", "/v1/me/devices/phone-1", user, {"platform": "fcm", "token": "new"})[0] == 204
    assert call(client, "PUT", "/v1/me/devices/tablet_2", user, {"platform": "fcm", "token": "t"})[0] == 204
    contacts = inbox_store.get_contacts(user.sub)
    assert [(d.device_id, d.platform, d.token, d.updated_at) for d in contacts.devices] == [
        ("phone-1", "fcm", "new", "2026-12-01T08:00:00Z"), ("tablet_2", "fcm", "t", "2026-12-01T08:00:00Z")]
    assert contacts.phone is None
    assert call(client, "DELETE", "/v1/me/devices/phone-1", user)[0] == 204
    assert call(client, "DELETE", "/v1/me/devices/phone-1", user)[0] == 204  # absent: 204 too
    assert call(client, "DELETE", "/v1/me/devices/never-was", user)[0] == 204
    assert [d.device_id for d in inbox_store.get_contacts(user.sub).devices] == ["tablet_2"]


def test_at_most_ten_devices(client, make_user):
    user, other = make_user(), make_user()
    for n in range(10):
        assert call(client, "PUT", f"/v1/me/devices/d{n}", user, {"platform": "fcm", "token": f"t{n}"})[0] == 204
    status, body, _ = call(client, "PUT", "/v1/me/devices/d10", user, {"platform": "fcm", "token": "x"})
    assert_invalid(status, body, "at most 10")
    assert call(client, "PUT", "/v1/me/devices/d3", user, {"platform": "apns", "token": "again"})[0] == 204
    assert call(client, "PUT", "/v1/me/devices/d10", other, {"platform": "fcm", "token": "x"})[0] == 204
    assert call(client, "DELETE", "/v1/me/devices/d0", user)[0] == 204
    assert call(client, "PUT", "/v1/me/devices/d10", user, {"platform": "fcm", "token": "x"})[0] == 204
    assert len(inbox_store.get_contacts(user.sub).devices) == 10


@pytest.mark.parametrize("body,words", [
    ({"platform": "gcm", "token": "t"}, ("platform",)), ({"platform": "fcm"}, ("token", "required")),
    ({"platform": "fcm", "token": ""}, ("token",)), ({"platform": "fcm", "token": "with space"}, ("token",)),
    ({"platform": "fcm", "token": "x" * 4097}, ("token",)), ({"platform": "fcm", "token": 5}, ("token",)),
    ({"platform": "fcm", "token": "t", "label": "mine"}, ("label", "unknown")),
])
def test_a_bad_device_is_400_naming_the_field(client, make_user, body, words):
    user = make_user()
    assert_invalid(*call(client, "PUT", "/v1/me/devices/phone", user, body)[:2], *words)
    assert inbox_store.get_contacts(user.sub).devices == []


def test_a_device_id_outside_the_id_pattern_is_not_found(client, make_user):
    user = make_user()
    status, body, _ = call(client, "PUT", "/v1/me/devices/" + "x" * 65, user, {"platform": "fcm", "token": "t"})
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_sms_opt_in_and_out(client, make_user):
    user = make_user()
    assert call(client, "PUT", "/v1/me/sms", user, {"phone": "+447911123456"})[0] == 204
    assert inbox_store.get_contacts(user.sub).phone == "+447911123456"
    assert call(client, "PUT", "/v1/me/sms", user, {"phone": "+14155550123"})[0] == 204
    assert inbox_store.get_contacts(user.sub).phone == "+14155550123"
    assert call(client, "DELETE", "/v1/me/sms", user)[0] == 204
    assert call(client, "DELETE", "/v1/me/sms", user)[0] == 204
    assert inbox_store.get_contacts(user.sub).phone is None


@pytest.mark.parametrize("phone", ["+4479", "447911123456", "+0447911123456", "+1234567890123456", "+44 7911 123456",
                                   "+44(0)7911123456", "", 447911123456, None])
def test_a_number_that_is_not_e164_is_400_naming_phone(client, make_user, phone):
    user = make_user()
    assert_invalid(*call(client, "PUT", "/v1/me/sms", user, {"phone": phone})[:2], "phone")
    assert inbox_store.get_contacts(user.sub).phone is None


# ---- the audit trail ----------------------------------------------------------------------------------

@pytest.fixture()
def shop(client, make_user, fixed_clock):
    """A London provider and its owner: no hours or services, which the trail does not need."""
    owner = make_user(provider=True)
    status, provider, _ = call(client, "POST", "/v1/providers", owner, {
        "name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
        "timezone": "Europe/London"})
    assert status == 201, provider
    return {"owner": owner, "pid": provider["provider_id"]}


def record(shop, booking_id, at, **kwargs):
    assert audit_store.append(confirmed(booking_id, at, provider_id=shop["pid"], **kwargs)) is True


def test_the_trail_is_oldest_first_and_pages(client, shop):
    now = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
    ats = [now - timedelta(days=29, hours=23) + timedelta(hours=n) for n in range(25)]
    for n, at in reversed(list(enumerate(ats))):
        record(shop, f"b{n:02d}", at)
    record(shop, "same-second", ats[3], actor_role=events.SYSTEM)  # a second record in one second
    assert audit_store.append(confirmed("b00", ats[0], provider_id=shop["pid"])) is False  # a redelivery
    got = pages(client, shop["owner"], f"/v1/providers/{shop['pid']}/audit", 10)
    listed = [e for page in got for e in page["events"]]
    assert [len(page["events"]) for page in got] == [10, 10, 6]
    assert [e["at"] for e in listed] == sorted(format_utc(at) for at in ats + [ats[3]])
    assert len({e["event_id"] for e in listed}) == 26
    assert listed[0] == {"event_id": "booking:b00:v000002", "type": "booking.confirmed", "booking_id": "b00",
                         "actor": {"user_id": "owner-sub", "role": "owner"}, "at": format_utc(ats[0]),
                         "before": {"booking_id": "b00", "status": "PENDING"},
                         "after": {"booking_id": "b00", "status": "CONFIRMED"}}
    system = next(e for e in listed if e["booking_id"] == "same-second")
    assert system["actor"] == {"user_id": None, "role": "system"}


def test_the_trail_defaults_to_the_last_30_days_and_filters_by_from_and_to(client, shop):
    owner, path = shop["owner"], f"/v1/providers/{shop['pid']}/audit"
    for n, at in enumerate(["2026-10-31T23:59:59Z", "2026-11-01T08:00:00Z", "2026-11-15T00:00:00Z",
                            "2026-11-15T23:59:59Z", "2026-11-16T00:00:00Z", "2026-12-01T08:00:00Z"]):
        record(shop, f"b{n}", datetime.fromisoformat(at.replace("Z", "+00:00")))

    def ats(query=""):
        status, body, _ = call(client, "GET", path + query, owner)
        assert status == 200, body
        return [e["at"] for e in body["events"]]

    assert ats() == ["2026-11-01T08:00:00Z", "2026-11-15T00:00:00Z", "2026-11-15T23:59:59Z",
                     "2026-11-16T00:00:00Z", "2026-12-01T08:00:00Z"]
    assert ats("?from=2026-11-15&to=2026-11-15") == ["2026-11-15T00:00:00Z", "2026-11-15T23:59:59Z"]
    assert ats("?from=2026-10-01&to=2026-11-01T08:00:00Z") == ["2026-10-31T23:59:59Z", "2026-11-01T08:00:00Z"]
    assert ats("?from=2026-11-15T23:59:59%2B00:00") == ["2026-11-15T23:59:59Z", "2026-11-16T00:00:00Z",
                                                         "2026-12-01T08:00:00Z"]


@pytest.mark.parametrize("query,field", [("?from=yesterday", "from"), ("?from=2026-11-01T08:00:00", "from"),
                                         ("?to=2026-02-30", "to"), ("?from=2026-11-16&to=2026-11-15", "to"),
                                         ("?limit=101", "limit"), ("?cursor=garbage", "cursor")])
def test_a_bad_audit_query_is_400(client, shop, query, field):
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/audit{query}", shop["owner"])
    assert_invalid(status, body, f"{field}:")


def test_only_the_owner_reads_the_trail(client, shop, make_user):
    record(shop, "b1", datetime(2026, 11, 30, tzinfo=timezone.utc))
    stranger = make_user(provider=True)
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/audit", stranger)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body, _ = call(client, "GET", "/v1/providers/no-such-provider/audit", shop["owner"])
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert call(client, "GET", f"/v1/providers/{shop['pid']}/audit", None)[0] == 401
