"""Shared helpers for the booking e2e tests: a fresh provider over HTTP, times, racing requests.

Everything here goes through the public API (the `api` fixture of conftest.py); nothing reads the
table directly.
"""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set
from zoneinfo import ZoneInfo

import requests

TZ_NAME = "Europe/London"
TZ = ZoneInfo(TZ_NAME)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OPEN, CLOSE = "09:00", "17:00"


# --- time ----------------------------------------------------------------------------------

def future_day(offset: int = 3) -> date:
    """A date `offset` days after today (UTC): far enough for min_notice, well inside max_days_ahead."""
    return datetime.now(timezone.utc).date() + timedelta(days=offset)


def at(day: date, hhmm: str, plus_minutes: int = 0) -> str:
    """The instant `hhmm` on the provider's clock that day, plus some minutes, as the API writes it (UTC, Z)."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=TZ) + timedelta(minutes=plus_minutes)
    return local.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- responses -----------------------------------------------------------------------------

def describe(response: requests.Response) -> str:
    return f"{response.request.method} {response.request.path_url} -> {response.status_code} {response.text[:500]}"


def error_code(response: requests.Response) -> Optional[str]:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def expect(response: requests.Response, status: int, code: Optional[str] = None) -> Any:
    """Assert the status (and error code); return the JSON body, if any."""
    assert response.status_code == status, describe(response)
    if code is not None:
        assert error_code(response) == code, describe(response)
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


# --- providers -----------------------------------------------------------------------------

@dataclass
class Shop:
    """A provider created over HTTP: its owner, id and services (duration in minutes -> service id)."""

    owner: Any
    provider_id: str
    services: Dict[int, str] = field(default_factory=dict)

    @property
    def service_id(self) -> str:
        """The first service created (60 minutes unless told otherwise)."""
        return next(iter(self.services.values()))


def weekly(open_: str = OPEN, close: str = CLOSE) -> Dict[str, List[Dict[str, str]]]:
    return {day: [{"start": open_, "end": close}] for day in DAYS}


def create_provider(api, users, rules: Optional[Dict[str, Any]] = None,
                    durations: Sequence[int] = (60,)) -> Shop:
    """A new provider-group user, a provider with 09:00-17:00 every day, one service per duration."""
    owner = users(provider=True)
    body: Dict[str, Any] = {
        "name": f"E2E massage {uuid.uuid4().hex[:8]}", "categories": ["massage"],
        "location": {"lat": 51.5072, "lon": -0.1276}, "timezone": TZ_NAME,
    }
    if rules:
        body["booking_rules"] = rules
    provider_id = expect(api.post("/v1/providers", user=owner, json=body), 201)["provider_id"]
    expect(api.put(f"/v1/providers/{provider_id}/working-hours", user=owner, json={"weekly": weekly()}), 200)
    shop = Shop(owner=owner, provider_id=provider_id)
    for minutes in durations:
        service = expect(api.post(f"/v1/providers/{provider_id}/services", user=owner, json={
            "name": f"Massage {minutes}", "category": "massage", "duration_minutes": minutes,
            "price": {"amount": 4500, "currency": "EUR"}}), 201)
        shop.services[minutes] = service["service_id"]
    return shop


def booking_body(shop: Shop, start: str, minutes: Optional[int] = None) -> Dict[str, Any]:
    service_id = shop.services[minutes] if minutes is not None else shop.service_id
    return {"provider_id": shop.provider_id, "service_id": service_id, "start": start}


def key() -> Dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def book(api, user, shop: Shop, start: str, minutes: Optional[int] = None) -> requests.Response:
    """POST /v1/bookings for that start with a fresh Idempotency-Key."""
    return api.post("/v1/bookings", user=user, json=booking_body(shop, start, minutes), headers=key())


def available(api, shop: Shop, day: date, minutes: Optional[int] = None) -> Set[str]:
    """The UTC starts availability offers that day for the service."""
    service_id = shop.services[minutes] if minutes is not None else shop.service_id
    body = expect(api.get(f"/v1/providers/{shop.provider_id}/availability",
                          params={"service_id": service_id, "from": day.isoformat(), "to": day.isoformat()}), 200)
    return {slot["start"] for slot in body["slots"]}


def provider_bookings(api, shop: Shop, day: date, status: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every booking of the provider that starts that (local) day, all pages, as its owner sees them."""
    params: Dict[str, Any] = {"from": day.isoformat(), "to": day.isoformat(), "limit": 100}
    if status:
        params["status"] = status
    found: List[Dict[str, Any]] = []
    while True:
        page = expect(api.get(f"/v1/providers/{shop.provider_id}/bookings", user=shop.owner, params=params), 200)
        found.extend(page["bookings"])
        if not page.get("next_cursor"):
            return found
        params["cursor"] = page["next_cursor"]


def my_bookings(api, user) -> List[Dict[str, Any]]:
    params: Dict[str, Any] = {"limit": 100}
    found: List[Dict[str, Any]] = []
    while True:
        page = expect(api.get("/v1/me/bookings", user=user, params=params), 200)
        found.extend(page["bookings"])
        if not page.get("next_cursor"):
            return found
        params["cursor"] = page["next_cursor"]


# --- racing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Call:
    """One request to race: method, path, who, body, extra headers."""

    method: str
    path: str
    user: Any = None
    json: Any = None
    headers: Dict[str, str] = field(default_factory=dict)


def race(base_url: str, calls: Sequence[Call], timeout: float = 60.0) -> List[requests.Response]:
    """Send every call at once, one thread and one requests.Session each, released by one barrier.

    Each thread opens its connection before the barrier (a warm-up GET of /v1/health), so the racing
    requests leave within microseconds of each other on open connections. Answers come back in call
    order.
    """
    barrier = threading.Barrier(len(calls))
    connecting = threading.Lock()

    def run(call: Call) -> requests.Response:
        with requests.Session() as session:
            # Open the keep-alive connection first, one thread at a time: `chalice local` listens
            # with a backlog of 5, and 50 simultaneous connects get some of them reset by the OS
            # before the app ever sees the request.
            with connecting:
                expect(session.get(base_url + "/v1/health", timeout=timeout), 200)
            headers = dict(call.user.headers) if call.user is not None else {}
            headers.update(call.headers)
            request = session.prepare_request(
                requests.Request(call.method, base_url + call.path, json=call.json, headers=headers))
            # As session.request does: the environment's settings (e.g. REQUESTS_CA_BUNDLE) are part
            # of the connection pool's key, so without them send() would open a new connection.
            settings = session.merge_environment_settings(request.url, {}, None, None, None)
            barrier.wait(timeout=timeout)
            return session.send(request, timeout=timeout, **settings)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def assert_no_5xx(responses: Iterable[requests.Response]) -> None:
    bad = [describe(r) for r in responses if r.status_code >= 500]
    assert not bad, "5xx answers:\n" + "\n".join(bad)


def in_parallel(fn: Callable[[int], Any], count: int, workers: int = 10) -> List[Any]:
    """fn(0..count-1) on a few threads (for setup, e.g. creating many users)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, range(count)))
