"""Chaos on the booking path: many clients hold, book, reschedule and cancel while DynamoDB misbehaves.

The app runs in-process (the Chalice test client, one thread per client) on the serialised moto server (decision 3:
in-process moto is not thread-safe). tests/faults.py injects throttling, TransactionConflict, timeouts and lost
responses into the app's one DynamoDB client at CHAOS_RATE. Clients behave as a real app: a 503 (or 409
request_in_progress) is retried after Retry-After (scaled down) with the same Idempotency-Key.

Afterwards, with the faults off: every 5xx was a 503; each key that committed yields exactly one booking (the one
its client was told of, or its late retry is), and no booking is without its key; no slot is double-booked, and
the slots say exactly what the live bookings hold. Figures go to build/test-artifacts/reliability/chaos.json.
Bounded: CHAOS_SECONDS of load at most (about 30-60 s in all on two cores).
"""
from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import boto3
import pytest
from chalice.test import Client

from chalicelib.adapters.table import create_table_request
from chalicelib.domain.timegrid import EARLIEST, LATEST, slot_starts
from chalicelib.service.invariants import check_table, summary
from local import bootstrap
from tests.faults import FaultInjector
from tests.integration.conftest import User, call, clock_at, new_user, serialised_moto

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
DAY = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)  # a Wednesday; London is on UTC in winter
STARTS = [DAY + timedelta(minutes=15 * n) for n in range(31)]  # 09:00 .. 16:30: a 30-minute service fits
HOURS = {"weekly": {day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}}
CLIENTS = 10
OPERATIONS_PER_CLIENT = 30
CHAOS_SECONDS = 45.0
CHAOS_RATE = 0.3
SEED = 20261202
TRIES = 8  # a client's tries of one request before it gives up (and retries once more at the end)
RETRY_AFTER_SCALE = 0.02  # Retry-After: 1 becomes 20 ms
ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "build" / "test-artifacts" / "reliability" / "chaos.json"


def _reset_clients() -> None:
    from chalicelib.adapters import aws as aws_clients
    from chalicelib.adapters import dynamo
    from chalicelib.config import get_settings

    get_settings.cache_clear()
    dynamo.reset()
    aws_clients.reset()


@dataclass
class World:
    client: Client
    env: Dict[str, Any]
    providers: List[Dict[str, Any]]

    def user(self, provider: bool = False) -> User:
        return new_user(self.env, f"{uuid.uuid4().hex[:10]}@chaos.test", provider)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """The app in-process on a serialised moto server, with two London providers open on weekdays."""
    # Chalice's test client swaps os.environ for a copy around each request and puts back what it found; from ten
    # threads at once, the last to finish can leave another's copy in place, settings of this run included.
    environ = os.environ
    try:
        yield from _world()
    finally:
        os.environ = environ


def _world() -> Iterator[World]:
    with serialised_moto() as endpoint, pytest.MonkeyPatch.context() as patch, clock_at(NOW):
        boto3.client("dynamodb", endpoint_url=endpoint).create_table(**create_table_request(os.environ["TABLE_NAME"]))
        cognito = boto3.client("cognito-idp", endpoint_url=endpoint)
        pool_id, client_id = bootstrap.create_user_pool(cognito, "chaos")
        for name, value in {"AWS_ENDPOINT_URL": endpoint, "USER_POOL_ID": pool_id,
                            "USER_POOL_CLIENT_ID": client_id}.items():
            patch.setenv(name, value)
        _reset_clients()
        import app
        with Client(app.app) as client:
            env = {"cognito": cognito, "pool_id": pool_id, "client_id": client_id}
            made = World(client, env, [])
            for name in ("North", "South"):
                owner = made.user(provider=True)
                status, provider, _ = call(client, "POST", "/v1/providers", owner, {
                    "name": name, "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
                    "timezone": "Europe/London", "booking_rules": {"min_notice_minutes": 0, "hold_minutes": 5,
                                                                   "cancel_cutoff_minutes": 60}})
                assert status == 201, provider
                pid = provider["provider_id"]
                assert call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, HOURS)[0] == 200
                status, service, _ = call(client, "POST", f"/v1/providers/{pid}/services", owner, {
                    "name": "Massage", "category": "massage", "duration_minutes": 30,
                    "price": {"amount": 4500, "currency": "GBP"}})
                assert status == 201, service
                made.providers.append({"pid": pid, "sid": service["service_id"], "owner": owner})
            yield made
    _reset_clients()


@dataclass
class KeyRecord:
    """One Idempotency-Key: what was sent with it and every answer it got."""

    user: User
    key: str
    body: Dict[str, Any]
    answers: List[Tuple[int, Optional[str]]] = field(default_factory=list)  # (status, booking id or error code)


@dataclass
class Tally:
    """What the clients did and got, shared by their threads."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: List[Tuple[int, str, Any]] = field(default_factory=list)
    keys: List[KeyRecord] = field(default_factory=list)
    operations: Counter = field(default_factory=Counter)
    gave_up: int = 0
    replayed: int = 0  # 201s replayed for a key whose earlier attempt had committed
    lock: threading.Lock = field(default_factory=threading.Lock)


def send(world: World, tally: Tally, method: str, path: str, user: User, body: Any = None,
         headers: Optional[Dict[str, str]] = None) -> Tuple[int, Any]:
    """One request as a real app sends it: a 503 (or 409 request_in_progress) is retried after Retry-After."""
    for _ in range(TRIES):
        status, data, answer_headers = call(world.client, method, path, user, body, headers)
        with tally.lock:
            tally.requests += 1
            tally.statuses[status] += 1
            if status >= 500 and status != 503:
                tally.server_errors.append((status, f"{method} {path}", data))
            tally.replayed += answer_headers.get("Idempotent-Replayed") == "true"
        code = (data or {}).get("error", {}).get("code") if isinstance(data, dict) else None
        retry = status == 503 or (status == 409 and code == "request_in_progress")
        if not retry:
            return status, data
        time.sleep(float(answer_headers.get("Retry-After", "1")) * RETRY_AFTER_SCALE)
    with tally.lock:
        tally.gave_up += 1
    return status, data


def book(world: World, tally: Tally, user: User, body: Dict[str, Any]) -> Optional[str]:
    """Book with a new key (retried with it); the booking id when 201."""
    record = KeyRecord(user, uuid.uuid4().hex, body)
    with tally.lock:
        tally.keys.append(record)
    status, data = send(world, tally, "POST", "/v1/bookings", user, body, {"Idempotency-Key": record.key})
    outcome = data.get("booking_id") if status == 201 else (data or {}).get("error", {}).get("code")
    record.answers.append((status, outcome))
    return data["booking_id"] if status == 201 else None


def customer_run(world: World, tally: Tally, user: User, seed: int, stop_at: float) -> None:
    """One client's session: availability, holds, bookings, moves and cancels at random."""
    rng = random.Random(seed)
    mine: List[str] = []
    for _ in range(OPERATIONS_PER_CLIENT):
        if time.monotonic() > stop_at:
            return
        shop = rng.choice(world.providers)
        start = rng.choice(STARTS).strftime("%Y-%m-%dT%H:%M:%SZ")
        kind = rng.choices(["look", "book", "hold_book", "reschedule", "cancel"], [1, 4, 2, 2, 1])[0]
        if kind in ("reschedule", "cancel") and not mine:
            kind = "book"
        with tally.lock:
            tally.operations[kind] += 1
        if kind == "look":
            send(world, tally, "GET", f"/v1/providers/{shop['pid']}/availability?service_id={shop['sid']}"
                                      "&from=2026-12-02&to=2026-12-02", user)
        elif kind == "book":
            booked = book(world, tally, user, {"provider_id": shop["pid"], "service_id": shop["sid"], "start": start})
            mine += [booked] if booked else []
        elif kind == "hold_book":
            status, hold = send(world, tally, "POST", "/v1/holds", user,
                                {"provider_id": shop["pid"], "service_id": shop["sid"], "start": start})
            if status == 201:
                booked = book(world, tally, user, {"hold_id": hold["hold_id"]})
                mine += [booked] if booked else []
        elif kind == "reschedule":
            send(world, tally, "POST", f"/v1/bookings/{rng.choice(mine)}/reschedule", user, {"start": start})
        else:
            booking_id = mine.pop(rng.randrange(len(mine)))
            send(world, tally, "POST", f"/v1/bookings/{booking_id}/cancel", user, {})


def all_bookings(world: World) -> Dict[str, Any]:
    """Every booking of the providers, by id (read from the table, not from what clients were told)."""
    from chalicelib.adapters import bookings as booking_store

    found: Dict[str, Any] = {}
    for shop in world.providers:
        cursor = None
        while True:
            page, cursor = booking_store.list_provider_bookings(shop["pid"], EARLIEST, LATEST, None, 100, cursor)
            found.update({b.booking_id: b for b in page})
            if not cursor:
                break
    return found


def check_keys(world: World, tally: Tally, bookings: Dict[str, Any]) -> Dict[str, int]:
    """Each key: one booking when any attempt committed (told to its client, or found by a late retry), else none."""
    from chalicelib.adapters import bookings as booking_store

    by_key: Dict[str, str] = {}
    late = Counter()
    for record in tally.keys:
        stored = booking_store.get_idempotent_answer(record.user.sub, record.key)
        told = {outcome for status, outcome in record.answers if status == 201}
        if stored is None:
            assert not told, (record.key, record.answers)
            continue
        booking_id = stored.body["booking_id"]
        by_key[record.key] = booking_id
        assert told <= {booking_id}, (record.key, record.answers, booking_id)
        if not told:
            # The first answers were lost or 503: the client's retry with the same key finds the booking
            status, data, headers = call(world.client, "POST", "/v1/bookings", record.user, record.body,
                                         {"Idempotency-Key": record.key})
            assert (status, data["booking_id"], headers.get("Idempotent-Replayed")) == (201, booking_id, "true")
            late["committed_but_not_told"] += 1
    # Every booking has exactly one key, and no key two bookings
    assert sorted(by_key.values()) == sorted(bookings), "a booking without its key, or a key with two"
    return {"keys_committed": len(by_key), **late}


def check_slots(world: World, bookings: Dict[str, Any]) -> Dict[str, int]:
    """No slot double-booked: the live bookings of a provider never overlap, and the slots say exactly that."""
    from chalicelib.adapters import slots as slot_store
    from chalicelib.domain.entities import ACTIVE_STATUSES, BOOKED

    live = 0
    for shop in world.providers:
        taken: Dict[datetime, str] = {}
        for booking in bookings.values():
            if booking.provider_id != shop["pid"] or booking.status not in ACTIVE_STATUSES:
                continue
            live += 1
            for start in slot_starts(booking.start, booking.occupied_until):
                assert start not in taken, f"slot {start} double-booked: {taken[start]} and {booking.booking_id}"
                taken[start] = booking.booking_id
        states = slot_store.query_slots(shop["pid"], DAY - timedelta(hours=1), DAY + timedelta(hours=9))
        booked = {state.start: state.booking_id for state in states if state.status == BOOKED}
        assert booked == taken, "the slots disagree with the live bookings"
    return {"live_bookings": live}


def test_bookings_under_injected_faults_lose_nothing_and_double_nothing(world):
    from chalicelib.adapters import dynamo

    customers = [world.user() for _ in range(CLIENTS)]
    tally = Tally()
    began = time.monotonic()
    # Given DynamoDB throttling, conflicting, timing out and losing responses at CHAOS_RATE
    with FaultInjector(dynamo.client(), rate=CHAOS_RATE, seed=SEED) as faults:
        # When many clients hold, book, move and cancel at once
        stop_at = began + CHAOS_SECONDS
        threads = [threading.Thread(target=customer_run, args=(world, tally, user, SEED + n, stop_at))
                   for n, user in enumerate(customers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=CHAOS_SECONDS + 60)
        assert not any(thread.is_alive() for thread in threads), "a client never got an answer"
        faults.enabled = False
        chaos_seconds = time.monotonic() - began
        # Then every server error was a 503
        assert tally.server_errors == [], tally.server_errors[:5]
        # And each key yields exactly one booking when any attempt committed; no booking is without its key
        bookings = all_bookings(world)
        key_figures = check_keys(world, tally, bookings)
        # And no slot is double-booked
        slot_figures = check_slots(world, bookings)
    figures = {
        "seed": SEED, "clients": CLIENTS, "fault_rate": CHAOS_RATE, "seconds": round(chaos_seconds, 1),
        "requests_tried": tally.requests, "dynamodb_requests": faults.requests,
        "faults_injected": dict(sorted(faults.injected.items())), "faults_total": faults.total,
        "answers": {str(status): count for status, count in sorted(tally.statuses.items())},
        "answers_503": tally.statuses[503], "server_errors_not_503": len(tally.server_errors),
        "gave_up_after_tries": tally.gave_up,
        "bookings_replayed_to_a_retry": tally.replayed, "operations": dict(sorted(tally.operations.items())),
        "booking_keys": len(tally.keys), "bookings": len(bookings), **key_figures, **slot_figures,
    }
    # And the invariant checker an operator runs finds every slot, hold and booking in agreement (the stream is
    # not fed here, so the audit and inbox rules are the after-the-commit tests' to check)
    check = check_table(segments=4, settle_seconds=0, after_commit=False, workers=4)
    figures["invariant_check"] = {"items_scanned": check.scanned, "violations": len(check.report.violations),
                                  "cleared_on_reread": check.cleared_on_reread}
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(figures, indent=2) + "\n")
    print("chaos figures:", json.dumps(figures))
    assert not check.report.violations, "\n".join(summary(check))
    # And the faults were really there, and bookings really happened
    assert faults.total > 0 and set(faults.injected) == {"throttle", "conflict", "timeout", "lost"}
    assert key_figures["keys_committed"] > 0
