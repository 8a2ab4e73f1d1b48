"""Calendars over HTTP against emulated DynamoDB: a booking's calendar.ics and each provider's secret feed."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import vobject

from tests.integration.conftest import book, call

CALENDAR = "text/calendar; charset=utf-8"
HOST = {"Host": "api.example.test"}


def content_type(headers) -> str:
    return headers.get("Content-Type", headers.get("content-type"))


def ics(client, path: str, user=None, expect: int = 200):
    """GET a calendar: its one or many events by booking id, once the answer is checked."""
    status, text, headers = call(client, "GET", path, user)
    assert status == expect, text
    assert content_type(headers) == CALENDAR
    calendar = vobject.readOne(text)
    return calendar, {event.uid.value.split("@")[0]: event for event in calendar.contents.get("vevent", [])}


def booking_ics(client, booking_id: str, user, expect: int = 200):
    calendar, events = ics(client, f"/v1/bookings/{booking_id}/calendar.ics", user, expect)
    assert list(events) == [booking_id]
    return events[booking_id]


def feed_url(client, shop, user=None, rotate: bool = False, headers=None):
    path = f"/v1/providers/{shop['pid']}/calendar-feed" + ("/rotate" if rotate else "")
    return call(client, "POST" if rotate else "GET", path, user or shop["owner"], headers=headers or HOST)


def feed_path(client, shop, rotate: bool = False) -> str:
    status, body, _ = feed_url(client, shop, rotate=rotate)
    assert status == 200, body
    return urlsplit(body["url"]).path


def refusal(answer) -> tuple:
    status, body, _ = answer
    return status, body["error"]["code"]


def test_the_customer_and_the_owner_read_the_calendar_file_and_anyone_else_gets_404(client, shop, make_user):
    customer, stranger, other_owner = make_user(), make_user(), make_user(provider=True)
    status, booking, _ = book(client, shop, customer, "2026-12-02T10:00:00Z", "cal-1")
    assert status == 201, booking
    for user in (customer, shop["owner"]):
        event = booking_ics(client, booking["booking_id"], user)
        assert event.uid.value == f"{booking['booking_id']}@marketplace"
        assert event.dtstart.value.astimezone(timezone.utc) == datetime(2026, 12, 2, 10, tzinfo=timezone.utc)
        assert (event.status.value, event.summary.value) == ("CONFIRMED", "Massage at Spa")
    path = f"/v1/bookings/{booking['booking_id']}/calendar.ics"
    for user in (stranger, other_owner):
        assert refusal(call(client, "GET", path, user)) == (404, "not_found")
    assert refusal(call(client, "GET", path)) == (401, "unauthenticated")
    assert refusal(call(client, "GET", "/v1/bookings/no-such-booking/calendar.ics", customer)) == (404, "not_found")


def test_after_a_reschedule_the_uid_stays_and_after_a_cancel_it_is_cancelled_with_a_higher_sequence(
        client, shop, make_user):
    customer = make_user()
    booking_id = book(client, shop, customer, "2026-12-02T10:00:00Z", "cal-2")[1]["booking_id"]
    first = booking_ics(client, booking_id, customer)
    status, body, _ = call(client, "POST", f"/v1/bookings/{booking_id}/reschedule", customer,
                           {"start": "2026-12-03T14:00:00Z"})
    assert status == 200, body
    moved = booking_ics(client, booking_id, customer)
    assert call(client, "POST", f"/v1/bookings/{booking_id}/cancel", customer, {"reason": "ill"})[0] == 200
    canceled = booking_ics(client, booking_id, shop["owner"])
    assert first.uid.value == moved.uid.value == canceled.uid.value
    assert int(first.sequence.value) < int(moved.sequence.value) < int(canceled.sequence.value)
    assert moved.dtstart.value.astimezone(timezone.utc) == datetime(2026, 12, 3, 14, tzinfo=timezone.utc)
    assert (first.status.value, moved.status.value, canceled.status.value) == ("CONFIRMED", "CONFIRMED", "CANCELLED")


def test_the_feed_works_without_a_token_and_lists_only_active_bookings(client, shop, make_user):
    customer = make_user()
    kept = book(client, shop, customer, "2026-12-02T10:00:00Z", "feed-1")[1]["booking_id"]
    dropped = book(client, shop, customer, "2026-12-02T14:00:00Z", "feed-2")[1]["booking_id"]
    assert call(client, "POST", f"/v1/bookings/{dropped}/cancel", customer)[0] == 200
    status, _, _ = call(client, "PATCH", f"/v1/providers/{shop['pid']}", shop["owner"],
                        {"booking_rules": {"auto_confirm": False}})
    assert status == 200
    pending = book(client, shop, customer, "2026-12-03T10:00:00Z", "feed-3")[1]["booking_id"]
    path = feed_path(client, shop)
    calendar, events = ics(client, path)
    assert set(events) == {kept, pending}
    assert (events[kept].status.value, events[pending].status.value) == ("CONFIRMED", "TENTATIVE")
    assert calendar.x_wr_calname.value == "Spa" and calendar.x_published_ttl.value == "PT15M"
    # The same address again; a token sent along, even a bad one, changes nothing
    assert feed_path(client, shop) == path
    assert set(ics(client, path, customer)[1]) == {kept, pending}
    response = client.http.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 200 and content_type(response.headers) == CALENDAR


def test_rotating_makes_the_old_address_404(client, shop):
    old = feed_path(client, shop)
    new = feed_path(client, shop, rotate=True)
    assert new != old and new.rsplit("/", 1)[0] == old.rsplit("/", 1)[0]
    assert refusal(call(client, "GET", old)) == (404, "not_found")
    assert ics(client, new)[0].prodid.value
    assert feed_path(client, shop) == new


def test_a_wrong_secret_or_provider_finds_no_feed_and_the_answer_repeats_no_secret(client, shop):
    path = feed_path(client, shop)
    secret = path.rsplit("/", 1)[1]
    for wrong in (path[:-1] + ("A" if path[-1] != "A" else "B"), path + "x",
                  f"/v1/calendar-feeds/no-such-provider/{secret}", f"/v1/calendar-feeds/{shop['pid']}/short"):
        status, body, _ = call(client, "GET", wrong)
        assert (status, body["error"]["code"]) == (404, "not_found"), wrong
        assert secret not in body["error"]["message"]


def test_only_the_owner_gets_or_rotates_the_address(client, shop, make_user):
    for user in (make_user(provider=True), make_user()):
        for rotate in (False, True):
            assert refusal(feed_url(client, shop, user, rotate)) == (403, "forbidden")
    unknown = {**shop, "pid": "no-such-provider"}
    assert refusal(feed_url(client, unknown, shop["owner"])) == (404, "not_found")
    status, _, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/calendar-feed")
    assert status == 401


def test_the_address_is_where_the_caller_reached_the_api(client, shop, monkeypatch):
    def url(headers) -> str:
        status, body, _ = feed_url(client, shop, headers=headers)
        assert status == 200, body
        return body["url"].rsplit("/v1/", 1)[0]

    assert url({"Host": "api.example.test"}) == "https://api.example.test"
    assert url({"Host": "127.0.0.1:8000"}) == "http://127.0.0.1:8000"
    assert url({"Host": "localhost:8000"}) == "http://localhost:8000"
    assert url({"Host": "api.example.test", "X-Forwarded-Proto": "http"}) == "http://api.example.test"
    assert refusal(feed_url(client, shop, headers={"Host": "evil.test/x?"})) == (400, "invalid_request")
    from chalicelib.config import get_settings
    monkeypatch.setenv("PUBLIC_API_URL", "https://book.example.test/api/")
    get_settings.cache_clear()
    try:
        assert url({"Host": "internal.example.test"}) == "https://book.example.test/api"
    finally:
        monkeypatch.delenv("PUBLIC_API_URL")
        get_settings.cache_clear()


@pytest.mark.parametrize("context_path, prefix", [
    ("/prod/v1/providers/p-1/calendar-feed", "/prod"),        # an execute-api address: the stage comes first
    ("/v1/providers/p-1/calendar-feed", ""),                  # a custom domain mapped at its root
    ("/weird path/v1/providers/p-1/calendar-feed", ""),       # nothing a URL could not hold as it is
])
def test_the_address_keeps_the_stage_the_gateway_was_called_with(context_path, prefix):
    from chalicelib.api.calendars import public_base_url

    request = SimpleNamespace(headers={"host": "abc.execute-api.eu-west-1.amazonaws.com"},
                              path="/v1/providers/{provider_id}/calendar-feed", uri_params={"provider_id": "p-1"},
                              context={"path": context_path})
    assert public_base_url(request) == f"https://abc.execute-api.eu-west-1.amazonaws.com{prefix}"


def test_two_first_secrets_at_once_leave_one(aws, fixed_clock):
    from chalicelib.adapters import feeds

    assert feeds.get_feed_secret("p-race") is None
    assert feeds.create_feed_secret("p-race", "a" * 43, fixed_clock.now) == "a" * 43
    assert feeds.create_feed_secret("p-race", "b" * 43, fixed_clock.now) == "a" * 43
    feeds.rotate_feed_secret("p-race", "c" * 43, fixed_clock.now)
    assert feeds.get_feed_secret("p-race") == "c" * 43
