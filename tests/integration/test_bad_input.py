"""Malformed and impossible input on every route that takes some: 400 `invalid_request` naming what to fix,
404 `not_found` for absurd path ids, and never a 5xx.

One provider (hours + a service), an owner, a customer and a booking are made once for the module, so that
route-specific checks get past authentication and ownership and reach validation; nothing here succeeds in
changing them (every request is refused).
"""
from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Optional

import pytest
from chalice.test import Client

from tests.integration.conftest import User, call, clock_at, emulated_aws, new_user

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
DROP = object()  # a field value meaning "leave the field out"


@dataclass
class World:
    client: Any
    owner: User
    customer: User
    pid: str
    sid: str
    bid: str

    def send(self, method: str, path: str, who: Optional[str] = "owner", body: Any = None,
             headers: Optional[Dict[str, str]] = None):
        """One request; whatever it is, the answer is never a 5xx."""
        user = {"owner": self.owner, "customer": self.customer, None: None}[who]
        path = path.format(pid=self.pid, sid=self.sid, bid=self.bid)
        status, data, answer_headers = call(self.client, method, path, user, body, headers)
        assert status < 500, f"{method} {path} answered {status}: {data}"
        return status, data


@pytest.fixture(scope="module")
def world():
    """The conftest `aws`/`client` set-up, once for the module: every case here only reads."""
    with emulated_aws() as env, clock_at(NOW):
        import app
        with Client(app.app) as client:
            owner = new_user(env, "owner@bad-input.test", provider=True)
            customer = new_user(env, "customer@bad-input.test")
            status, provider, _ = call(client, "POST", "/v1/providers", owner, PROVIDER)
            assert status == 201, provider
            pid = provider["provider_id"]
            status, hours, _ = call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, HOURS)
            assert status == 200, hours
            status, service, _ = call(client, "POST", f"/v1/providers/{pid}/services", owner, SERVICE)
            assert status == 201, service
            sid = service["service_id"]
            status, booking, _ = call(client, "POST", "/v1/bookings", customer,
                                      {"provider_id": pid, "service_id": sid, "start": "2026-12-03T10:00:00Z"},
                                      {"Idempotency-Key": "setup"})
            assert status == 201, booking
            yield World(client, owner, customer, pid, sid, booking["booking_id"])


def assert_invalid(status: int, data: Any, *words: str) -> None:
    """400 invalid_request whose message names what to fix (every one of `words`, any case)."""
    assert status == 400, data
    assert data["error"]["code"] == "invalid_request", data
    message = data["error"]["message"]
    assert isinstance(message, str) and message.strip(), data
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"


def changed(base: Dict[str, Any], dotted: str, value: Any) -> Dict[str, Any]:
    """A deep copy of `base` with the field at `dotted` (a.b.c) set to `value`, or removed for DROP."""
    result = copy.deepcopy(base)
    *parents, last = dotted.split(".")
    target = result
    for name in parents:
        target = target.setdefault(name, {})
    if value is DROP:
        target.pop(last, None)
    else:
        target[last] = value
    return result


# ---- valid bodies the cases below spoil one field at a time ------------------------------------------------

PROVIDER = {"name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
            "timezone": "Europe/London", "booking_rules": {"auto_confirm": True}}
HOURS = {"weekly": {d: [{"start": "09:00", "end": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
         "overrides": [{"date": "2026-12-24", "intervals": []}]}
SERVICE = {"name": "Massage", "category": "massage", "duration_minutes": 60,
           "price": {"amount": 4500, "currency": "EUR"}, "buffer_minutes": 15}
BLOCK = {"start": "2026-12-05T10:00:00Z", "end": "2026-12-05T11:00:00Z", "reason": "dentist"}
HOLD = {"provider_id": "{pid}", "service_id": "{sid}", "start": "2026-12-04T10:00:00Z"}
KEY = {"Idempotency-Key": "bad-input-1"}

P = "/v1/providers/{pid}"
B = "/v1/bookings/{bid}"


def _fill(body: Any, world: World) -> Any:
    """Put the world's ids into "{pid}"/"{sid}" placeholders of a JSON body."""
    if isinstance(body, (dict, list)):
        text = json.dumps(body).replace("{pid}", world.pid).replace("{sid}", world.sid)
        return json.loads(text)
    return body


# ---- 1. the body as a whole, on every route that reads one -------------------------------------------------

# (method, path, who, headers, empty body allowed)
BODY_ROUTES = {
    "create-provider": ("POST", "/v1/providers", "owner", None, False),
    "patch-provider": ("PATCH", P, "owner", None, False),
    "put-hours": ("PUT", P + "/working-hours", "owner", None, False),
    "create-service": ("POST", P + "/services", "owner", None, False),
    "patch-service": ("PATCH", P + "/services/{sid}", "owner", None, False),
    "create-block": ("POST", P + "/blocks", "owner", None, False),
    "place-hold": ("POST", "/v1/holds", "customer", None, False),
    "book": ("POST", "/v1/bookings", "customer", KEY, False),
    "cancel": ("POST", B + "/cancel", "customer", None, True),
    "reschedule": ("POST", B + "/reschedule", "customer", None, False),
    "decline": ("POST", B + "/decline", "owner", None, True),
    "review": ("POST", B + "/review", "customer", None, False),
    "register-device": ("PUT", "/v1/me/devices/phone-1", "customer", None, False),
    "opt-in-sms": ("PUT", "/v1/me/sms", "customer", None, False),
}

BAD_BODIES = {
    "not-json": ("{not json", "json"),
    "truncated-json": ('{"name": "Spa"', "json"),
    "trailing-garbage": ('{"name": "Spa"} x', "json"),
    "single-quotes": ("{'name': 'Spa'}", "json"),
    "array": ("[]", "object"),
    "array-of-object": ('[{"name": "Spa"}]', "object"),
    "string": ('"hello"', "object"),
    "number": ("42", "object"),
    "true": ("true", "object"),
    "null": ("null", "object"),
    "empty": ("", "object"),
    "whitespace": ("  \n ", "object"),
    "not-utf8": (b'{"name": "\xff\xfe"}', "json"),
    "too-large": (json.dumps({"name": "x" * 17_000}), "bytes"),
    "deeply-nested": ("[" * 5000 + "]" * 5000, "body"),
    "huge-integer": ('{"name": ' + "9" * 5000 + "}", "json"),
}


@pytest.mark.parametrize("bad", BAD_BODIES, ids=str)
@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_malformed_body_is_400(world, route, bad):
    method, path, who, headers, empty_ok = BODY_ROUTES[route]
    body, word = BAD_BODIES[bad]
    if empty_ok and bad in ("empty", "whitespace"):
        pytest.skip(f"{route}: its body is optional, so {bad!r} is a valid body")
    assert_invalid(*world.send(method, path, who, body, headers), word)


# ---- 2. fields, route by route -----------------------------------------------------------------------------

def case(name: str, method: str, path: str, body: Any, *words: str, who: str = "owner",
         headers: Optional[Dict[str, str]] = None):
    return pytest.param(method, path, who, body, headers, words, id=name)


def provider_cases():
    yield case("provider-unknown-field", "POST", "/v1/providers", changed(PROVIDER, "colour", "red"), "colour", "unknown")
    yield case("provider-unknown-nested-field", "POST", "/v1/providers",
               changed(PROVIDER, "location.altitude", 3), "location.altitude")
    for field in ("name", "categories", "location", "timezone", "location.lat", "location.lon"):
        yield case(f"provider-missing-{field}", "POST", "/v1/providers", changed(PROVIDER, field, DROP), field,
                   "required")
    for name, field, value in [
        ("name-int", "name", 123), ("name-null", "name", None), ("name-empty", "name", ""),
        ("name-too-long", "name", "x" * 201), ("description-null", "description", None),
        ("categories-string", "categories", "massage"), ("categories-empty", "categories", []),
        ("categories-int-item", "categories", [1]), ("categories-repeated", "categories", ["massage", "massage"]),
        ("location-string", "location", "London"), ("location-null", "location", None),
        ("lat-91", "location.lat", 91), ("lat--91", "location.lat", -91), ("lon-181", "location.lon", 181),
        ("lon--180.5", "location.lon", -180.5), ("lat-string", "location.lat", "51.5"),
        ("lat-bool", "location.lat", True), ("lat-null", "location.lat", None),
        ("address-too-long", "location.address", "x" * 301), ("timezone-int", "timezone", 1),
        ("timezone-null", "timezone", None), ("rules-string", "booking_rules", "strict"),
        ("rules-null", "booking_rules", None),
        ("hold-minutes-0", "booking_rules.hold_minutes", 0), ("hold-minutes-61", "booking_rules.hold_minutes", 61),
        ("max-days-0", "booking_rules.max_days_ahead", 0), ("max-days-61", "booking_rules.max_days_ahead", 61),
        ("min-notice-negative", "booking_rules.min_notice_minutes", -1),
        ("min-notice-string", "booking_rules.min_notice_minutes", "60"),
        ("min-notice-bool", "booking_rules.min_notice_minutes", True),
        ("min-notice-float", "booking_rules.min_notice_minutes", 60.5),
        ("cutoff-negative", "booking_rules.cancel_cutoff_minutes", -5),
        ("auto-confirm-string", "booking_rules.auto_confirm", "yes"),
        ("auto-confirm-int", "booking_rules.auto_confirm", 1),
        ("rules-unknown-field", "booking_rules.deposit", 10),
    ]:
        yield case(f"provider-{name}", "POST", "/v1/providers", changed(PROVIDER, field, value), field)
    yield case("provider-unknown-category", "POST", "/v1/providers", changed(PROVIDER, "categories", ["knitting"]),
               "categories", "knitting", "unknown")
    yield case("provider-lat-nan", "POST", "/v1/providers", '{"name": "Spa", "categories": ["massage"], '
               '"location": {"lat": NaN, "lon": 0}, "timezone": "Europe/London"}', "lat")
    yield case("provider-lon-infinity", "POST", "/v1/providers", '{"name": "Spa", "categories": ["massage"], '
               '"location": {"lat": 0, "lon": Infinity}, "timezone": "Europe/London"}', "lon")
    for name, zone in [("unknown", "Mars/Olympus"), ("traversal", "../etc/passwd"), ("empty", ""),
                       ("lowercase", "europe/london"), ("spaced", " Europe/London"), ("localtime", "localtime"),
                       ("absolute", "/usr/share/zoneinfo/UTC"), ("offset", "+01:00"), ("nul", "Europe/Lon\u0000don"),
                       ("long", "Europe/" + "x" * 300)]:
        yield case(f"provider-timezone-{name}", "POST", "/v1/providers", changed(PROVIDER, "timezone", zone),
                   "timezone")
        yield case(f"patch-provider-timezone-{name}", "PATCH", P, {"timezone": zone}, "timezone")
    for name, body, word in [
        ("unknown-field", {"owner_id": "me"}, "owner_id"), ("name-empty", {"name": ""}, "name"),
        ("categories-unknown", {"categories": ["knitting"]}, "knitting"), ("lat-91", {"location": {"lat": 91, "lon": 0}}, "lat"),
        ("location-partial", {"location": {"lat": 1}}, "location.lon"),
        ("rules-hold-0", {"booking_rules": {"hold_minutes": 0}}, "hold_minutes"),
        ("rules-unknown", {"booking_rules": {"x": 1}}, "booking_rules.x"),
        ("rules-bool-for-int", {"booking_rules": {"max_days_ahead": False}}, "max_days_ahead"),
    ]:
        yield case(f"patch-provider-{name}", "PATCH", P, body, word)


def interval(start: str, end: str) -> Dict[str, str]:
    return {"start": start, "end": end}


def hours_cases():
    path = P + "/working-hours"
    for name, body, words in [
        ("missing-weekly", {"overrides": []}, ("weekly", "required")),
        ("unknown-field", {"weekly": {}, "timezone": "UTC"}, ("timezone", "unknown")),
        ("weekly-list", {"weekly": [{"mon": []}]}, ("weekly",)),
        ("weekly-null", {"weekly": None}, ("weekly",)),
        ("unknown-weekday", {"weekly": {"funday": []}}, ("funday", "unknown")),
        ("weekday-full-name", {"weekly": {"monday": []}}, ("monday",)),
        ("weekday-upper", {"weekly": {"MON": []}}, ("MON",)),
        ("day-not-list", {"weekly": {"mon": {"start": "09:00", "end": "17:00"}}}, ("weekly.mon",)),
        ("day-null", {"weekly": {"mon": None}}, ("weekly.mon",)),
        ("interval-string", {"weekly": {"mon": ["09:00-17:00"]}}, ("weekly.mon[0]",)),
        ("interval-missing-end", {"weekly": {"mon": [{"start": "09:00"}]}}, ("weekly.mon[0].end", "required")),
        ("interval-unknown-field", {"weekly": {"mon": [{"start": "09:00", "end": "17:00", "x": 1}]}},
         ("weekly.mon[0].x", "unknown")),
        ("hour-25", {"weekly": {"mon": [interval("09:00", "25:00")]}}, ("weekly.mon[0].end", "HH:MM")),
        ("minute-60", {"weekly": {"mon": [interval("09:60", "17:00")]}}, ("weekly.mon[0].start",)),
        ("off-grid", {"weekly": {"mon": [interval("09:10", "17:00")]}}, ("weekly.mon[0].start", "15-minute")),
        ("no-leading-zero", {"weekly": {"mon": [interval("9:00", "17:00")]}}, ("weekly.mon[0].start",)),
        ("with-seconds", {"weekly": {"mon": [interval("09:00:00", "17:00")]}}, ("weekly.mon[0].start",)),
        ("time-int", {"weekly": {"mon": [{"start": 900, "end": 1700}]}}, ("weekly.mon[0].start",)),
        ("time-null", {"weekly": {"mon": [{"start": None, "end": "17:00"}]}}, ("weekly.mon[0].start",)),
        ("fullwidth-digits", {"weekly": {"mon": [interval("０９:００", "17:00")]}}, ("weekly.mon[0].start",)),
        ("start-after-end", {"weekly": {"mon": [interval("17:00", "09:00")]}}, ("weekly.mon[0].end", "after")),
        ("start-equals-end", {"weekly": {"mon": [interval("09:00", "09:00")]}}, ("weekly.mon[0].end", "after")),
        ("start-24", {"weekly": {"mon": [interval("24:00", "24:00")]}}, ("weekly.mon[0].start", "24:00")),
        ("overlapping", {"weekly": {"tue": [interval("09:00", "12:00"), interval("11:00", "14:00")]}},
         ("weekly.tue", "overlap")),
        ("overlapping-unsorted", {"weekly": {"tue": [interval("13:00", "15:00"), interval("09:00", "13:15")]}},
         ("weekly.tue", "overlap")),
        ("duplicate-interval", {"weekly": {"tue": [interval("09:00", "12:00"), interval("09:00", "12:00")]}},
         ("weekly.tue", "overlap")),
        ("too-many-intervals", {"weekly": {"wed": [interval(f"{h:02d}:00", f"{h:02d}:30") for h in range(13)]}},
         ("weekly.wed", "at most")),
        ("overrides-object", {"weekly": {}, "overrides": {"2026-12-24": []}}, ("overrides",)),
        ("override-string", {"weekly": {}, "overrides": ["2026-12-24"]}, ("overrides[0]",)),
        ("override-missing-date", {"weekly": {}, "overrides": [{"intervals": []}]}, ("overrides[0].date", "required")),
        ("override-missing-intervals", {"weekly": {}, "overrides": [{"date": "2026-12-24"}]},
         ("overrides[0].intervals", "required")),
        ("override-month-13", {"weekly": {}, "overrides": [{"date": "2026-13-01", "intervals": []}]},
         ("overrides[0].date",)),
        ("override-feb-30", {"weekly": {}, "overrides": [{"date": "2026-02-30", "intervals": []}]},
         ("overrides[0].date",)),
        ("override-compact-date", {"weekly": {}, "overrides": [{"date": "20261224", "intervals": []}]},
         ("overrides[0].date", "YYYY-MM-DD")),
        ("override-date-int", {"weekly": {}, "overrides": [{"date": 20261224, "intervals": []}]},
         ("overrides[0].date",)),
        ("override-duplicate-date", {"weekly": {}, "overrides": [{"date": "2026-12-24", "intervals": []},
                                                                  {"date": "2026-12-24", "intervals": []}]},
         ("overrides[1].date", "overrides[0]")),
        ("override-overlap", {"weekly": {}, "overrides": [{"date": "2026-12-24", "intervals": [
            interval("09:00", "12:00"), interval("10:00", "11:00")]}]}, ("overrides[0].intervals", "overlap")),
        ("override-bad-time", {"weekly": {}, "overrides": [{"date": "2026-12-24", "intervals": [
            interval("09:00", "25:00")]}]}, ("overrides[0].intervals[0].end",)),
        ("too-many-overrides", json.dumps({"weekly": {}, "overrides": [
            {"date": (date(2027, 1, 1) + timedelta(days=n)).isoformat(), "intervals": []} for n in range(401)]},
            separators=(",", ":")), ("overrides", "at most")),
    ]:
        yield case(f"hours-{name}", "PUT", path, body, *words)


def service_cases():
    path = P + "/services"
    yield case("service-unknown-field", "POST", path, changed(SERVICE, "colour", "red"), "colour", "unknown")
    for field in ("name", "category", "duration_minutes", "price", "price.amount", "price.currency"):
        yield case(f"service-missing-{field}", "POST", path, changed(SERVICE, field, DROP), field, "required")
    for name, field, value in [
        ("duration-0", "duration_minutes", 0), ("duration-495", "duration_minutes", 495),
        ("duration-20", "duration_minutes", 20), ("duration-negative", "duration_minutes", -15),
        ("duration-string", "duration_minutes", "60"), ("duration-bool", "duration_minutes", True),
        ("duration-null", "duration_minutes", None), ("duration-float", "duration_minutes", 60.0),
        ("duration-huge", "duration_minutes", 10 ** 30),
        ("buffer-7", "buffer_minutes", 7), ("buffer-negative", "buffer_minutes", -15),
        ("buffer-135", "buffer_minutes", 135), ("buffer-null", "buffer_minutes", None),
        ("price-negative", "price.amount", -1), ("price-float", "price.amount", 45.5),
        ("price-string", "price.amount", "4500"), ("price-too-big", "price.amount", 10 ** 12),
        ("currency-lower", "price.currency", "eur"), ("currency-long", "price.currency", "EURO"),
        ("currency-int", "price.currency", 978), ("currency-empty", "price.currency", ""),
        ("price-number", "price", 4500), ("price-unknown-field", "price.tax", 0),
        ("category-int", "category", 5), ("name-int", "name", 5), ("name-empty", "name", ""),
    ]:
        yield case(f"service-{name}", "POST", path, changed(SERVICE, field, value), field)
    for name, value in [("unknown", "knitting"), ("case", "Massage"), ("empty", "")]:
        yield case(f"service-category-{name}", "POST", path, changed(SERVICE, "category", value), "category")
    path = P + "/services/{sid}"
    for name, body, word in [
        ("unknown-field", {"active": False}, "active"), ("duration-20", {"duration_minutes": 20}, "duration_minutes"),
        ("duration-495", {"duration_minutes": 495}, "duration_minutes"),
        ("buffer-7", {"buffer_minutes": 7}, "buffer_minutes"), ("currency-lower", {"price": {"amount": 1, "currency": "eur"}}, "currency"),
        ("price-negative", {"price": {"amount": -1, "currency": "EUR"}}, "amount"),
        ("price-partial", {"price": {"amount": 1}}, "price.currency"),
        ("category-unknown", {"category": "knitting"}, "category"), ("name-bool", {"name": True}, "name"),
    ]:
        yield case(f"patch-service-{name}", "PATCH", path, body, word)


INSTANTS = [  # (name, start text, a word the message must have)
    ("date-only", "2026-12-05", "RFC 3339"),
    ("no-offset", "2026-12-05T10:00:00", "offset"),
    ("no-seconds", "2026-12-05T10:00Z", "RFC 3339"),
    ("space-separator", "2026-12-05 10:00:00Z", "RFC 3339"),
    ("words", "tomorrow at ten", "RFC 3339"),
    ("epoch", "1796378400", "RFC 3339"),
    ("month-13", "2026-13-05T10:00:00Z", "date-time"),
    ("feb-30", "2026-02-30T10:00:00Z", "date-time"),
    ("hour-24", "2026-12-05T24:00:00Z", "date-time"),
    ("offset-out-of-range", "2026-12-05T10:00:00+25:00", "date-time"),
    ("year-0", "0000-12-05T10:00:00Z", "date-time"),
    ("underflow", "0001-01-01T00:00:00+01:00", "date-time"),
    ("overflow", "9999-12-31T23:00:00-01:00", "date-time"),
    ("fullwidth-digits", "２０２６-12-05T10:00:00Z", "RFC 3339"),
    ("empty", "", "RFC 3339"),
]


def block_cases():
    path = P + "/blocks"
    yield case("block-unknown-field", "POST", path, changed(BLOCK, "all_day", True), "all_day")
    yield case("block-missing-start", "POST", path, changed(BLOCK, "start", DROP), "start", "required")
    yield case("block-missing-end", "POST", path, changed(BLOCK, "end", DROP), "end", "required")
    yield case("block-start-int", "POST", path, changed(BLOCK, "start", 1796378400), "start")
    yield case("block-end-null", "POST", path, changed(BLOCK, "end", None), "end")
    yield case("block-reason-int", "POST", path, changed(BLOCK, "reason", 1), "reason")
    yield case("block-reason-too-long", "POST", path, changed(BLOCK, "reason", "x" * 501), "reason")
    for name, text, word in INSTANTS:
        yield case(f"block-start-{name}", "POST", path, changed(BLOCK, "start", text), "start", word)
        yield case(f"block-end-{name}", "POST", path, changed(BLOCK, "end", text), "end", word)
    for name, start, end, words in [
        ("off-grid-start", "2026-12-05T10:07:00Z", "2026-12-05T11:00:00Z", ("start", "15-minute")),
        ("off-grid-end", "2026-12-05T10:00:00Z", "2026-12-05T11:05:00Z", ("end", "15-minute")),
        ("seconds", "2026-12-05T10:00:30Z", "2026-12-05T11:00:00Z", ("start", "15-minute")),
        ("off-grid-offset", "2026-12-05T10:00:00+00:07", "2026-12-05T11:00:00+00:07", ("15-minute",)),
        ("end-before-start", "2026-12-05T11:00:00Z", "2026-12-05T10:00:00Z", ("end", "after start")),
        ("end-equals-start", "2026-12-05T10:00:00Z", "2026-12-05T10:00:00Z", ("end", "after start")),
        ("longer-than-24h", "2026-12-05T10:00:00Z", "2026-12-06T10:15:00Z", ("end", "24 hours")),
        ("a-year", "2026-12-05T10:00:00Z", "2027-12-05T10:00:00Z", ("end", "24 hours")),
        ("in-the-past", "2026-11-30T10:00:00Z", "2026-11-30T11:00:00Z", ("end", "future")),
    ]:
        yield case(f"block-{name}", "POST", path, {"start": start, "end": end}, *words)


def hold_and_booking_cases():
    yield case("hold-unknown-field", "POST", "/v1/holds", changed(HOLD, "minutes", 5), "minutes", who="customer")
    for field in ("provider_id", "service_id", "start"):
        yield case(f"hold-missing-{field}", "POST", "/v1/holds", changed(HOLD, field, DROP), field, "required",
                   who="customer")
    for name, field, value in [("provider-int", "provider_id", 5), ("provider-empty", "provider_id", ""),
                               ("provider-too-long", "provider_id", "p" * 65), ("service-null", "service_id", None),
                               ("service-list", "service_id", ["{sid}"]), ("start-int", "start", 20261204)]:
        yield case(f"hold-{name}", "POST", "/v1/holds", changed(HOLD, field, value), field, who="customer")
    starts = INSTANTS + [("off-grid", "2026-12-04T10:07:00Z", "15-minute"),
                         ("off-grid-seconds", "2026-12-04T10:00:01Z", "15-minute"),
                         ("off-grid-fraction", "2026-12-04T10:00:00.5Z", "15-minute")]
    for name, text, word in starts:
        yield case(f"hold-start-{name}", "POST", "/v1/holds", changed(HOLD, "start", text), "start", word,
                   who="customer")
        yield case(f"book-start-{name}", "POST", "/v1/bookings", changed(HOLD, "start", text), "start", word,
                   who="customer", headers=KEY)
        yield case(f"reschedule-start-{name}", "POST", B + "/reschedule", {"start": text}, "start", word,
                   who="customer")
    book = "/v1/bookings"
    for name, body, words in [
        ("both-ways", {"hold_id": "h1", **HOLD}, ("hold_id", "not both")),
        ("hold-and-start", {"hold_id": "h1", "start": "2026-12-04T10:00:00Z"}, ("hold_id",)),
        ("neither", {"note": "hi"}, ("hold_id", "provider_id")),
        ("empty-object", {}, ("hold_id",)),
        ("direct-missing-start", changed(HOLD, "start", DROP), ("start",)),
        ("direct-missing-service", changed(HOLD, "service_id", DROP), ("service_id",)),
        ("hold-id-empty", {"hold_id": ""}, ("hold_id",)),
        ("hold-id-int", {"hold_id": 7}, ("hold_id",)),
        ("note-too-long", changed(HOLD, "note", "x" * 1001), ("note",)),
        ("note-int", changed(HOLD, "note", 5), ("note",)),
        ("unknown-field", changed(HOLD, "customer_id", "someone"), ("customer_id", "unknown")),
    ]:
        yield case(f"book-{name}", "POST", book, body, *words, who="customer", headers=KEY)
    for name, headers in [("missing", {}), ("empty", {"Idempotency-Key": ""}),
                          ("256-chars", {"Idempotency-Key": "k" * 256}), ("10k-chars", {"Idempotency-Key": "k" * 10_000})]:
        yield case(f"book-idempotency-key-{name}", "POST", book, HOLD, "Idempotency-Key", who="customer",
                   headers=headers)
    for route, who in (("cancel", "customer"), ("decline", "owner")):
        yield case(f"{route}-unknown-field", "POST", f"{B}/{route}", {"why": "x"}, "why", "unknown", who=who)
        yield case(f"{route}-reason-int", "POST", f"{B}/{route}", {"reason": 5}, "reason", who=who)
        yield case(f"{route}-reason-too-long", "POST", f"{B}/{route}", {"reason": "x" * 501}, "reason", who=who)
    yield case("reschedule-missing-start", "POST", B + "/reschedule", {}, "start", "required", who="customer")
    yield case("reschedule-unknown-field", "POST", B + "/reschedule", {"start": "2026-12-04T10:00:00Z", "end": "x"},
               "end", "unknown", who="customer")
    yield case("reschedule-start-null", "POST", B + "/reschedule", {"start": None}, "start", who="customer")
    for name, body, field in [("rating-missing", {}, "rating"), ("rating-0", {"rating": 0}, "rating"),
                              ("rating-6", {"rating": 6}, "rating"), ("rating-string", {"rating": "5"}, "rating"),
                              ("rating-float", {"rating": 4.5}, "rating"), ("rating-bool", {"rating": True}, "rating"),
                              ("comment-too-long", {"rating": 5, "comment": "x" * 2001}, "comment"),
                              ("comment-control", {"rating": 5, "comment": "a\x00b"}, "comment"),
                              ("unknown-field", {"rating": 5, "stars": 5}, "stars")]:
        yield case(f"review-{name}", "POST", B + "/review", body, field, who="customer")


@pytest.mark.parametrize("method,path,who,body,headers,words",
                         [*provider_cases(), *hours_cases(), *service_cases(), *block_cases(),
                          *hold_and_booking_cases()])
def test_bad_field_is_400(world, method, path, who, body, headers, words):
    assert_invalid(*world.send(method, path, who, _fill(body, world), headers), *words)


# ---- 3. query strings -----------------------------------------------------------------------------------

AVAILABILITY = P + "/availability?"
GOOD_RANGE = "service_id={sid}&from=2026-12-02&to=2026-12-08"


def query_cases():
    for name, query, words in [
        ("no-query", "", ("service_id",)),
        ("missing-service", "from=2026-12-02&to=2026-12-02", ("service_id",)),
        ("empty-service", "service_id=&from=2026-12-02&to=2026-12-02", ("service_id",)),
        ("missing-from", "service_id={sid}&to=2026-12-02", ("from",)),
        ("missing-to", "service_id={sid}&from=2026-12-02", ("to",)),
        ("to-before-from", "service_id={sid}&from=2026-12-05&to=2026-12-04", ("to", "before")),
        ("32-days", "service_id={sid}&from=2026-12-01&to=2027-01-01", ("31 days",)),
        ("a-year", "service_id={sid}&from=2026-12-01&to=2027-12-01", ("31 days",)),
        ("month-13", "service_id={sid}&from=2026-13-01&to=2026-13-02", ("from",)),
        ("feb-30", "service_id={sid}&from=2027-02-30&to=2027-03-01", ("from", "calendar date")),
        ("day-0", "service_id={sid}&from=2026-12-02&to=2026-12-00", ("to",)),
        ("short-date", "service_id={sid}&from=2026-12-2&to=2026-12-03", ("from", "YYYY-MM-DD")),
        ("compact-date", "service_id={sid}&from=20261202&to=20261203", ("from", "YYYY-MM-DD")),
        ("instant", "service_id={sid}&from=2026-12-02T00:00:00Z&to=2026-12-03", ("from", "YYYY-MM-DD")),
        ("words", "service_id={sid}&from=today&to=tomorrow", ("from",)),
    ]:
        yield case(f"availability-{name}", "GET", AVAILABILITY + query, None, *words, who=None)
    lists = {"me-bookings": ("/v1/me/bookings?", "customer"), "provider-bookings": (P + "/bookings?", "owner"),
             "blocks": (P + "/blocks?", "owner"), "reviews": (P + "/reviews?", None)}
    for list_name, (path, who) in lists.items():
        for name, query in [("0", "0"), ("101", "101"), ("abc", "abc"), ("negative", "-1"), ("float", "1.5"),
                            ("empty-ish", "%20"), ("superscript", "%C2%B2"), ("huge", "9" * 400), ("exp", "1e2")]:
            yield case(f"{list_name}-limit-{name}", "GET", f"{path}limit={query}", None, "limit", who=who)
        for name, cursor in [("garbage", "!!!not-a-cursor!!!"), ("not-base64", "%25%25%25"),
                             ("base64-not-json", base64.urlsafe_b64encode(b"hello").decode()),
                             ("json-array", base64.urlsafe_b64encode(b"[1,2]").decode()),
                             ("json-wrong-types", base64.urlsafe_b64encode(b'{"pk": {"N": "1"}}').decode()),
                             ("not-utf8", base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode())]:
            yield case(f"{list_name}-cursor-{name}", "GET", f"{path}cursor={cursor}", None, "cursor", who=who)
    for list_name in ("me-bookings", "provider-bookings"):
        path, who = lists[list_name]
        for name, query, words in [
            ("status-whatever", "status=WHATEVER", ("status", "PENDING")),
            ("status-lowercase", "status=pending", ("status",)),
            ("from-month-13", "from=2026-13-01", ("from",)),
            ("to-feb-30", "to=2027-02-30", ("to",)),
            ("from-no-offset", "from=2026-12-01T10:00:00", ("from", "offset")),
            ("from-words", "from=yesterday", ("from",)),
            ("to-before-from", "from=2026-12-05&to=2026-12-04", ("to", "before")),
            ("instants-reversed", "from=2026-12-05T10:00:00Z&to=2026-12-05T09:00:00Z", ("to", "before")),
        ]:
            yield case(f"{list_name}-{name}", "GET", path + query, None, *words, who=who)


@pytest.mark.parametrize("method,path,who,body,headers,words", list(query_cases()))
def test_bad_query_is_400(world, method, path, who, body, headers, words):
    assert_invalid(*world.send(method, path, who, body, headers), *words)


FORGED_CURSOR = base64.urlsafe_b64encode(json.dumps({"x": {"S": "y"}}).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path,who", [
    pytest.param(P + "/blocks", "owner", id="blocks"),
    pytest.param(P + "/bookings", "owner", id="provider-bookings"),
    pytest.param("/v1/me/bookings", "customer", id="me-bookings"),
])
def test_a_cursor_the_server_never_issued_is_not_a_5xx(world, path, who):
    """A well-formed cursor naming other keys: 400 cursor, never a 5xx."""
    assert_invalid(*world.send("GET", f"{path}?cursor={FORGED_CURSOR}", who), "cursor")


@pytest.mark.parametrize("path,who,word", [
    (AVAILABILITY + "service_id={sid}&from=9999-12-31&to=9999-12-31", None, "from"),
    (AVAILABILITY + "service_id={sid}&from=2026-12-01&to=9999-12-31", None, "to"),
    (AVAILABILITY + "service_id={sid}&from=0001-01-01&to=0001-01-01", None, "from"),
    ("/v1/me/bookings?to=9999-12-31", "customer", "to"),
    ("/v1/me/bookings?from=0001-01-01", "customer", "from"),
    (P + "/bookings?to=9999-12-31", "owner", "to"),
    (P + "/bookings?from=0001-01-01T00:00:00Z", "owner", "from"),
], ids=["availability-9999", "availability-to-9999", "availability-0001", "me-bookings-to-9999",
        "me-bookings-from-0001", "provider-bookings-to-9999", "provider-bookings-from-first-instant"])
def test_dates_at_the_edge_of_the_calendar_are_400(world, path, who, word):
    """The first and last years a date can name lie outside the supported 1970-2999: refused, never a 5xx."""
    assert_invalid(*world.send("GET", path, who), word)


@pytest.mark.parametrize("start,end,word", [
    ("9999-12-31T22:00:00Z", "9999-12-31T23:00:00Z", "start"),
    ("2026-12-05T10:00:00Z", "9999-12-31T23:00:00Z", "end"),
    ("0001-01-01T10:00:00Z", "0001-01-01T11:00:00Z", "start"),
], ids=["end-of-time", "end-at-end-of-time", "start-of-time"])
def test_a_block_at_the_edge_of_time_is_400(world, start, end, word):
    assert_invalid(*world.send("POST", P + "/blocks", "owner", {"start": start, "end": end}), word, "date-time")


def test_a_huge_service_id_in_the_query_is_404_not_5xx(world):
    status, data = world.send("GET", AVAILABILITY + "service_id=" + "s" * 3000 + "&from=2026-12-02&to=2026-12-02",
                              None)
    assert status in (400, 404), data
    assert data["error"]["code"] in ("invalid_request", "not_found")


def test_valid_requests_still_pass(world):
    """The spoiled bodies above are valid once unspoiled: the 400s come from the spoiled field."""
    assert world.send("GET", AVAILABILITY + GOOD_RANGE, None)[0] == 200
    assert world.send("GET", AVAILABILITY + "service_id={sid}&from=2026-12-02&to=2027-01-01", None)[0] == 200
    status, data = world.send("GET", "/v1/me/bookings?status=CONFIRMED&limit=100&from=2026-12-01&to=2026-12-31",
                              "customer")
    assert status == 200 and [b["booking_id"] for b in data["bookings"]] == [world.bid], data
    assert world.send("GET", P + "/blocks?limit=1", "owner")[0] == 200
    assert world.send("POST", P + "/blocks", "owner", BLOCK)[0] == 201
    assert world.send("POST", P + "/services", "owner", SERVICE)[0] == 201
    assert world.send("POST", "/v1/holds", "customer", _fill(HOLD, world))[0] == 201
    assert world.send("PATCH", P, "owner", {"description": "calm"})[0] == 200
    assert world.send("PATCH", P + "/services/{sid}", "owner", {"name": "Massage"})[0] == 200
    status, data = world.send("PUT", P + "/working-hours", "owner", HOURS)
    assert status == 200 and data["weekly"]["mon"] == [{"start": "09:00", "end": "17:00"}], data
    status, data = world.send("POST", "/v1/providers", "owner", PROVIDER,
                              {"Content-Type": "application/json; charset=utf-8"})
    assert status == 201, data


@pytest.mark.parametrize("content_type", ["text/xml", "application/xml", "text/csv", ""])
def test_an_unexpected_content_type_gets_a_contract_error(world, content_type):
    """Bodies are read as JSON whatever the header says: a bad one is the contract's 400, not 415."""
    status, data = world.send("POST", "/v1/providers", "owner", "<provider/>", {"Content-Type": content_type})
    assert_invalid(status, data, "json")


# ---- 4. absurd path ids: 404 not_found, never a 5xx ------------------------------------------------------

ABSURD_IDS = {
    "300-chars": "x" * 300,
    "65-chars": "x" * 65,
    "encoded-space": "%20",
    "encoded-slash": "a%2Fb",
    "dot-dot": "..",
    "encoded-dot-dot": "%2e%2e",
    "emoji": "%F0%9F%98%80",
    "non-ascii": "ü",
    "nul": "%00",
    "quote": "'%20OR%20'1'='1",
    "dynamo-ish": "PROVIDER%23x",
    "well-formed-unknown": "00000000-0000-0000-0000-000000000000",
}

# (method, path with {id} where the absurd id goes, a valid body, who)
ID_ROUTES = {
    "get-provider": ("GET", "/v1/providers/{id}", None, None),
    "patch-provider": ("PATCH", "/v1/providers/{id}", {"name": "x"}, "owner"),
    "get-hours": ("GET", "/v1/providers/{id}/working-hours", None, "owner"),
    "put-hours": ("PUT", "/v1/providers/{id}/working-hours", HOURS, "owner"),
    "create-service": ("POST", "/v1/providers/{id}/services", SERVICE, "owner"),
    "patch-service/provider": ("PATCH", "/v1/providers/{id}/services/{sid}", {"name": "x"}, "owner"),
    "patch-service/service": ("PATCH", P + "/services/{id}", {"name": "x"}, "owner"),
    "delete-service/provider": ("DELETE", "/v1/providers/{id}/services/{sid}", None, "owner"),
    "delete-service/service": ("DELETE", P + "/services/{id}", None, "owner"),
    "list-blocks": ("GET", "/v1/providers/{id}/blocks", None, "owner"),
    "create-block": ("POST", "/v1/providers/{id}/blocks", BLOCK, "owner"),
    "delete-block/provider": ("DELETE", "/v1/providers/{id}/blocks/some-block", None, "owner"),
    "delete-block/block": ("DELETE", P + "/blocks/{id}", None, "owner"),
    "provider-bookings": ("GET", "/v1/providers/{id}/bookings", None, "owner"),
    "provider-holds": ("GET", "/v1/providers/{id}/holds?from=2026-12-02&to=2026-12-02", None, "owner"),
    "availability": ("GET", "/v1/providers/{id}/availability?service_id={sid}&from=2026-12-02&to=2026-12-02",
                     None, None),
    "availability/service": ("GET", P + "/availability?service_id={id}&from=2026-12-02&to=2026-12-02", None, None),
    "release-hold": ("DELETE", "/v1/holds/{id}", None, "customer"),
    "place-hold/provider": ("POST", "/v1/holds", {**HOLD, "provider_id": "{id}"}, "customer"),
    "place-hold/service": ("POST", "/v1/holds", {**HOLD, "service_id": "{id}"}, "customer"),
    "book-hold": ("POST", "/v1/bookings", {"hold_id": "{id}"}, "customer"),
    "get-booking": ("GET", "/v1/bookings/{id}", None, "customer"),
    "cancel": ("POST", "/v1/bookings/{id}/cancel", {}, "customer"),
    "reschedule": ("POST", "/v1/bookings/{id}/reschedule", {"start": "2026-12-04T10:00:00Z"}, "customer"),
    "confirm": ("POST", "/v1/bookings/{id}/confirm", None, "owner"),
    "decline": ("POST", "/v1/bookings/{id}/decline", {}, "owner"),
    "review": ("POST", "/v1/bookings/{id}/review", {"rating": 5}, "customer"),
    "list-reviews": ("GET", "/v1/providers/{id}/reviews", None, None),
}


@pytest.mark.parametrize("absurd", ABSURD_IDS, ids=str)
@pytest.mark.parametrize("route", ID_ROUTES, ids=str)
def test_absurd_id_is_404(world, route, absurd):
    method, path, body, who = ID_ROUTES[route]
    value = ABSURD_IDS[absurd]
    headers = {"Idempotency-Key": f"absurd-{route}-{absurd}"} if path == "/v1/bookings" else None
    if body is not None:
        # Ids inside a body are JSON strings, not path segments: send them as the client meant them.
        raw = {"encoded-space": " ", "encoded-slash": "a/b", "encoded-dot-dot": "..", "emoji": "\U0001F600",
               "nul": "\x00", "quote": "' OR '1'='1", "dynamo-ish": "PROVIDER#x"}.get(absurd, value)
        body = json.loads(json.dumps(_fill(body, world)).replace("{id}", json.dumps(raw)[1:-1]))
    status, data = world.send(method, path.replace("{id}", value), who, body, headers)
    if route in ("place-hold/provider", "place-hold/service", "book-hold") and len(value) > 64:
        assert_invalid(status, data)  # the body's own length limit speaks first
    else:
        assert status == 404 and data["error"]["code"] == "not_found", data
