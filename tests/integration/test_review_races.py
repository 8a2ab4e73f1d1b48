"""Reviews racing each other over real HTTP: the app in-process, served from threads as the local stack serves it,
on the serialised moto server (decision 3: in-process moto is not thread-safe). The review transaction's
conditions and ADDs alone decide: every review of many at once counts, exactly, and one booking is reviewed once.
"""
from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import boto3
import pytest
import requests

from chalicelib.adapters.table import create_table_request
from local import bootstrap
from tests.integration.conftest import FixedClock, User, clock_at, new_user, serialised_moto
from tests.invariants import assert_no_violations

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
DAY = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)  # a Wednesday; London is on UTC in winter
AFTER_THE_DAY = datetime(2026, 12, 2, 18, 0, tzinfo=timezone.utc)
PROVIDER = {"name": "Busy Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
            "timezone": "Europe/London", "booking_rules": {"min_notice_minutes": 0}}
HOURS = {"weekly": {day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}}
SERVICE = {"name": "Massage", "category": "massage", "duration_minutes": 30,
           "price": {"amount": 4500, "currency": "GBP"}}
TIMEOUT = 60


def _reset_clients() -> None:
    from chalicelib.adapters import aws as aws_clients
    from chalicelib.adapters import dynamo
    from chalicelib.config import get_settings

    get_settings.cache_clear()
    dynamo.reset()
    aws_clients.reset()


@dataclass
class Served:
    url: str
    env: Dict[str, Any]
    clock: FixedClock

    def call(self, method: str, path: str, user: Optional[User] = None, body: Any = None,
             headers: Optional[Dict[str, str]] = None) -> Tuple[int, Any]:
        response = requests.request(method, self.url + path, json=body, timeout=TIMEOUT,
                                    headers={**(user.headers if user else {}), **(headers or {})})
        return response.status_code, response.json() if response.content else None

    def ok(self, method: str, path: str, user: Optional[User] = None, body: Any = None, status: int = 201) -> Any:
        got, data = self.call(method, path, user, body)
        assert got == status, data
        return data

    def user(self, provider: bool = False) -> User:
        return new_user(self.env, f"{uuid.uuid4().hex[:10]}@races.test", provider)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """The app over HTTP on a threaded server, its table and user pool on a serialised moto server."""
    from chalice import local
    from chalice.config import Config

    from local.api_server import ContractRequestHandler

    with serialised_moto() as endpoint, pytest.MonkeyPatch.context() as patch, clock_at(NOW) as fixed:
        boto3.client("dynamodb", endpoint_url=endpoint).create_table(**create_table_request(os.environ["TABLE_NAME"]))
        cognito = boto3.client("cognito-idp", endpoint_url=endpoint)
        pool_id, client_id = bootstrap.create_user_pool(cognito, "races")
        for name, value in {"AWS_ENDPOINT_URL": endpoint, "USER_POOL_ID": pool_id,
                            "USER_POOL_CLIENT_ID": client_id}.items():
            patch.setenv(name, value)
        _reset_clients()
        import app
        dev = local.LocalDevServer(app.app, Config.create(), "127.0.0.1", 0, handler_cls=ContractRequestHandler)
        threading.Thread(target=dev.server.serve_forever, daemon=True).start()
        host, port = dev.server.server_address
        try:
            yield Served(f"http://{host}:{port}", {"cognito": cognito, "pool_id": pool_id, "client_id": client_id},
                         fixed)
        finally:
            dev.server.shutdown()
            dev.server.server_close()
    _reset_clients()


@pytest.fixture()
def shop(served: Served) -> Dict[str, Any]:
    """A provider of its own for the test, open on weekdays, with a 30-minute service; the clock before the day."""
    served.clock.now = NOW
    owner = served.user(provider=True)
    pid = served.ok("POST", "/v1/providers", owner, PROVIDER)["provider_id"]
    served.ok("PUT", f"/v1/providers/{pid}/working-hours", owner, HOURS, status=200)
    sid = served.ok("POST", f"/v1/providers/{pid}/services", owner, SERVICE)["service_id"]
    return {"pid": pid, "sid": sid, "owner": owner}


def book(served: Served, shop: Dict[str, Any], customer: User, start: datetime) -> str:
    status, booking = served.call("POST", "/v1/bookings", customer, {
        "provider_id": shop["pid"], "service_id": shop["sid"], "start": start.strftime("%Y-%m-%dT%H:%M:%SZ")},
        {"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201 and booking["status"] == "CONFIRMED", booking
    return booking["booking_id"]


def race(served: Served, posts: Sequence[Tuple[User, str, Dict[str, Any]]]) -> List[Tuple[int, Any]]:
    """POST every review at once: one thread and one connection each, released by one barrier; answers in order."""
    barrier = threading.Barrier(len(posts))
    connecting = threading.Lock()
    answers: List[Any] = [None] * len(posts)

    def run(index: int) -> None:
        user, booking_id, body = posts[index]
        with requests.Session() as session:
            with connecting:  # the connection is open before the barrier: the requests leave together
                assert session.get(served.url + "/v1/health", timeout=TIMEOUT).status_code == 200
            barrier.wait(timeout=TIMEOUT)
            response = session.post(f"{served.url}/v1/bookings/{booking_id}/review", json=body, headers=user.headers,
                                    timeout=TIMEOUT)
            answers[index] = (response.status_code, response.json())

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * TIMEOUT)
    assert all(answer is not None for answer in answers), answers
    return answers


def profile(served: Served, shop: Dict[str, Any]) -> Tuple[Optional[float], int]:
    body = served.ok("GET", f"/v1/providers/{shop['pid']}", status=200)
    return body["rating"], body["review_count"]


def test_eight_reviews_of_one_provider_at_once_all_count_exactly(served, shop):
    # Given eight customers, each with a confirmed booking of the provider that has ended
    customers = [served.user() for _ in range(8)]
    ids = [book(served, shop, who, DAY + timedelta(minutes=30 * n)) for n, who in enumerate(customers)]
    served.clock.now = AFTER_THE_DAY
    ratings = (5, 4, 4, 3, 5, 2, 2, 5)
    # When all eight review at the same moment
    answers = race(served, [(who, booking_id, {"rating": rating})
                            for who, booking_id, rating in zip(customers, ids, ratings)])
    # Then every one is taken, and the provider's count and rating hold all eight, exactly
    assert [status for status, _ in answers] == [201] * 8, answers
    assert profile(served, shop) == (round(sum(ratings) / 8, 2), 8) == (3.75, 8)
    listed = served.ok("GET", f"/v1/providers/{shop['pid']}/reviews?limit=100", status=200)["reviews"]
    assert sorted((r["booking_id"], r["rating"]) for r in listed) == sorted(zip(ids, ratings))
    # And the table's slots and bookings agree (the server's moto takes the scan's segments at once)
    assert_no_violations(after_commit=False, workers=None)


def test_two_reviews_of_one_booking_at_once_one_wins(served, shop):
    rounds = 3
    customer = served.user()
    ids = [book(served, shop, customer, DAY + timedelta(hours=n)) for n in range(rounds)]
    served.clock.now = AFTER_THE_DAY
    winners = []
    for booking_id in ids:
        # When the customer sends two different reviews of the booking at the same moment (two devices)
        answers = race(served, [(customer, booking_id, {"rating": 5, "comment": "first"}),
                                (customer, booking_id, {"rating": 1, "comment": "second"})])
        # Then exactly one is taken; the other is refused as already reviewed
        assert Counter(status for status, _ in answers) == {201: 1, 409: 1}, answers
        [(_, loser)] = [answer for answer in answers if answer[0] == 409]
        assert loser["error"]["code"] == "already_reviewed", loser
        [(_, winner)] = [answer for answer in answers if answer[0] == 201]
        winners.append(winner)
    # And the provider counts one review per booking, the winners' ratings
    expected = round(sum(w["rating"] for w in winners) / rounds, 2)
    assert profile(served, shop) == (expected, rounds)
    listed = served.ok("GET", f"/v1/providers/{shop['pid']}/reviews?limit=100", status=200)["reviews"]
    assert sorted(listed, key=lambda r: r["booking_id"]) == sorted(winners, key=lambda r: r["booking_id"])
    assert_no_violations(after_commit=False, workers=None)
