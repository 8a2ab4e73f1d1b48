"""GET /v1/providers/{id}/holds against emulated DynamoDB: the owner sees the customers' live holds on the provider's
clock, computed from the held slots; lapsed holds and booked time are not holds; nobody else sees them."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.integration.conftest import book, call, open_shop, throttle_queries

HOLDS = "/v1/providers/{pid}/holds?from={first}&to={last}"


def holds(client, shop, first: str, last: str = "", user=None):
    return call(client, "GET", HOLDS.format(pid=shop["pid"], first=first, last=last or first), user or shop["owner"])


def place(client, shop, customer, start: str) -> dict:
    status, hold, _ = call(client, "POST", "/v1/holds", customer,
                           {"provider_id": shop["pid"], "service_id": shop["sid"], "start": start})
    assert status == 201, hold
    return hold


@pytest.fixture()
def customer(make_user):
    return make_user()


@pytest.mark.parametrize("zone,local_day,start,end,local_start,other_day", [
    # Adelaide keeps summer time in December, UTC+10:30: 09:00 on Thursday the 3rd is 22:30 UTC on the 2nd
    ("Australia/Adelaide", "2026-12-03", "2026-12-02T22:30:00Z", "2026-12-02T23:45:00Z", "2026-12-03T09:00:00+10:30",
     "2026-12-02"),
    # St John's is UTC-03:30 in winter
    ("America/St_Johns", "2026-12-02", "2026-12-02T12:30:00Z", "2026-12-02T13:45:00Z", "2026-12-02T09:00:00-03:30",
     "2026-12-03"),
])
def test_the_owner_sees_a_customers_hold_on_the_providers_clock(client, make_user, customer, fixed_clock, zone,
                                                               local_day, start, end, local_start, other_day):
    shop = open_shop(client, make_user(provider=True), zone, currency="AUD")
    hold = place(client, shop, customer, start)
    status, body, _ = holds(client, shop, local_day)
    assert status == 200, body
    assert body == {"provider_id": shop["pid"], "timezone": zone, "holds": [{
        "hold_id": hold["hold_id"], "start": start, "end": end, "local_start": local_start,
        "expires_at": "2026-12-01T08:05:00Z"}]}
    # The hold's own end is the service's; the time held runs on through the 15-minute buffer
    assert (hold["start"], hold["expires_at"]) == (start, "2026-12-01T08:05:00Z") and hold["end"] < end
    assert customer.sub not in json.dumps(body) and customer.email not in json.dumps(body)
    # The dates are the provider's: another day on its clock has none
    assert holds(client, shop, other_day)[1]["holds"] == []


def test_holds_by_start_a_lapsed_one_and_booked_time_left_out(client, shop, customer, make_user, fixed_clock):
    other = make_user()
    late = place(client, shop, other, "2026-12-02T14:00:00Z")
    early = place(client, shop, customer, "2026-12-02T09:00:00Z")
    fixed_clock.now += timedelta(minutes=4)
    fresh = place(client, shop, customer, "2026-12-02T11:00:00Z")  # expires 4 minutes after the others
    used = place(client, shop, other, "2026-12-02T12:30:00Z")
    status, booking, _ = call(client, "POST", "/v1/bookings", other, {"hold_id": used["hold_id"]},
                              {"Idempotency-Key": "with-the-hold"})
    assert status == 201, booking
    assert book(client, shop, customer, "2026-12-02T15:45:00Z", "direct")[0] == 201
    status, body, _ = holds(client, shop, "2026-12-02")
    assert status == 200, body
    assert [h["hold_id"] for h in body["holds"]] == [early["hold_id"], fresh["hold_id"], late["hold_id"]]
    # The first two lapse at 08:05; the one placed at 08:04 is still live then
    fixed_clock.now += timedelta(minutes=1)
    assert [h["hold_id"] for h in holds(client, shop, "2026-12-02")[1]["holds"]] == [fresh["hold_id"]]
    # A lapsed hold's time is bookable; once booked it is no hold either
    assert book(client, shop, customer, "2026-12-02T09:00:00Z", "after-the-lapse")[0] == 201
    fixed_clock.now += timedelta(minutes=4)
    assert holds(client, shop, "2026-12-02")[1]["holds"] == []


def test_a_released_hold_is_gone_and_other_days_are_not_listed(client, shop, customer, fixed_clock):
    released = place(client, shop, customer, "2026-12-02T10:00:00Z")
    assert call(client, "DELETE", f"/v1/holds/{released['hold_id']}", customer)[0] == 204
    kept = place(client, shop, customer, "2026-12-03T10:00:00Z")
    assert holds(client, shop, "2026-12-02")[1]["holds"] == []
    status, body, _ = holds(client, shop, "2026-12-01", "2026-12-31")
    assert status == 200 and [h["hold_id"] for h in body["holds"]] == [kept["hold_id"]], body


def test_only_the_owner_sees_them(client, shop, customer, make_user, fixed_clock):
    place(client, shop, customer, "2026-12-02T10:00:00Z")
    for user in (customer, make_user(), make_user(provider=True)):
        status, body, _ = holds(client, shop, "2026-12-02", user=user)
        assert status == 403 and body["error"]["code"] == "forbidden", body
    status, body, _ = call(client, "GET", HOLDS.format(pid=shop["pid"], first="2026-12-02", last="2026-12-02"))
    assert status == 401 and body["error"]["code"] == "unauthenticated", body
    status, body, _ = call(client, "GET", HOLDS.format(pid="nobody", first="2026-12-02", last="2026-12-02"),
                           shop["owner"])
    assert status == 404 and body["error"]["code"] == "not_found", body


BAD_DATES = [
    ("", ("from and to", "required")), ("from=2026-12-02", ("from and to", "required")),
    ("from=&to=2026-12-02", ("from and to", "required")), ("from=2026-12-2&to=2026-12-02", ("from",)),
    ("from=2026-12-02&to=tomorrow", ("to",)), ("from=2026-12-02T00:00:00Z&to=2026-12-02", ("from",)),
    ("from=2026-12-03&to=2026-12-02", ("to", "before from")),
    ("from=2026-12-01&to=2027-01-01", ("from/to", "31 days")),
]


def test_dates_are_refused_as_availability_refuses_them(client, shop, fixed_clock):
    for query, words in BAD_DATES:
        status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/holds?{query}", shop["owner"])
        assert status == 400 and body["error"]["code"] == "invalid_request", (query, body)
        assert all(word in body["error"]["message"] for word in words), (query, body)
        _, by_availability, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/availability"
                                                    f"?service_id={shop['sid']}&{query}")
        assert by_availability["error"]["message"] == body["error"]["message"], query


def test_a_table_that_does_not_answer_gives_503(client, shop, fixed_clock, monkeypatch):
    throttle_queries(monkeypatch)
    status, body, headers = holds(client, shop, "2026-12-02")
    assert status == 503 and body["error"]["code"] == "try_again" and headers.get("Retry-After"), body
