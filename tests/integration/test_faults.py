"""DynamoDB failing under the API: a hung endpoint, throttling, lost responses (faults from tests/faults.py).

What is checked: with DynamoDB accepting connections and never answering, availability and booking requests
answer 503 `try_again` with Retry-After inside the request's time budget; a booking whose every response is
lost answers 503, and the client's retry with the same Idempotency-Key gets the one booking that committed.
"""
from __future__ import annotations

import socket
import threading
import time
from typing import Iterator, List

import pytest

from chalicelib.adapters import dynamo
from chalicelib.config import get_settings
from chalicelib.domain.errors import TryAgain
from tests.faults import FaultInjector
from tests.integration.conftest import book, call, starts

# A generous ceiling on a hung dependency's answer: "an answer comes", well under API Gateway's 29 s. The policy's
# bound is 10 s: the 3 s budget, one 5 s read timeout, 2 s of backoff (docs/decisions/0018); before it, 15 s.
ANSWER_CEILING_SECONDS = 13.0


@pytest.fixture()
def unresponsive_dynamodb(monkeypatch) -> Iterator[str]:
    """The settings' endpoint pointed at a TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: List[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    get_settings.cache_clear()
    dynamo.reset()
    try:
        yield url
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()
        monkeypatch.delenv("AWS_ENDPOINT_URL")
        get_settings.cache_clear()
        dynamo.reset()


def timed(client, *args, **kwargs):
    began = time.monotonic()
    answer = call(client, *args, **kwargs)
    return answer, time.monotonic() - began


def test_a_hung_dynamodb_gets_availability_and_bookings_a_503_in_time(client, shop, make_user,
                                                                       unresponsive_dynamodb):
    customer = make_user()
    # Given DynamoDB accepts connections and never answers
    # When a customer looks up availability and books
    (status, body, headers), looked = timed(
        client, "GET", f"/v1/providers/{shop['pid']}/availability?service_id={shop['sid']}"
                       "&from=2026-12-02&to=2026-12-02")
    print(f"availability answered {status} after {looked:.1f} s")
    assert (status, body["error"]["code"]) == (503, "try_again") and int(headers["Retry-After"]) >= 1
    (status, body, headers), booked = timed(
        client, "POST", "/v1/bookings", customer,
        {"provider_id": shop["pid"], "service_id": shop["sid"], "start": "2026-12-02T10:00:00Z"},
        {"Idempotency-Key": "hung"})
    print(f"booking answered {status} after {booked:.1f} s")
    # Then each answers 503 try_again with Retry-After, and an answer comes
    assert (status, body["error"]["code"]) == (503, "try_again") and int(headers["Retry-After"]) >= 1
    assert looked < ANSWER_CEILING_SECONDS and booked < ANSWER_CEILING_SECONDS


def test_a_booking_whose_responses_are_all_lost_is_found_by_the_retry_with_its_key(client, shop, make_user):
    customer = make_user()
    body = {"provider_id": shop["pid"], "service_id": shop["sid"], "start": "2026-12-02T10:00:00Z"}
    # Given every response to the booking's transaction is lost (the first send commits)
    with FaultInjector(dynamo.client(), rate=1.0, kinds=["lost"], operations={"TransactWriteItems"}) as faults:
        status, answer, headers = call(client, "POST", "/v1/bookings", customer, body, {"Idempotency-Key": "lost"})
    # Then the client is told to try again
    assert (status, answer["error"]["code"]) == (503, "try_again") and headers["Retry-After"]
    assert faults.injected["lost"] == dynamo.MAX_ATTEMPTS
    # When it retries with the same key, it gets the booking that committed: one, not two, not none
    status, first, headers = call(client, "POST", "/v1/bookings", customer, body, {"Idempotency-Key": "lost"})
    assert status == 201 and headers.get("Idempotent-Replayed") == "true"
    mine = call(client, "GET", "/v1/me/bookings", customer)[1]["bookings"]
    assert [b["booking_id"] for b in mine] == [first["booking_id"]]
    assert "2026-12-02T10:00:00Z" not in starts(client, shop, "2026-12-02")


def test_throttling_on_every_attempt_is_a_503_and_nothing_is_written(client, shop, make_user):
    customer = make_user()
    body = {"provider_id": shop["pid"], "service_id": shop["sid"], "start": "2026-12-02T11:00:00Z"}
    # Given DynamoDB throttles every transaction
    with FaultInjector(dynamo.client(), rate=1.0, kinds=["throttle"], operations={"TransactWriteItems"}) as faults:
        status, answer, headers = call(client, "POST", "/v1/bookings", customer, body, {"Idempotency-Key": "slow"})
    # Then botocore tried each of its attempts, and the answer is 503 with nothing booked
    assert faults.injected["throttle"] == dynamo.MAX_ATTEMPTS
    assert (status, answer["error"]["code"]) == (503, "try_again") and headers["Retry-After"]
    assert call(client, "GET", "/v1/me/bookings", customer)[1]["bookings"] == []
    # And once it takes requests again, the same key books
    assert book(client, shop, customer, "2026-12-02T11:00:00Z", "slow")[0] == 201


@pytest.fixture()
def no_budget(monkeypatch):
    """An API request's budget for retries is spent at once."""
    monkeypatch.setenv("DYNAMODB_REQUEST_BUDGET_SECONDS", "0")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("DYNAMODB_REQUEST_BUDGET_SECONDS")
    get_settings.cache_clear()


def test_no_retry_starts_once_the_requests_budget_is_spent(client, shop, make_user, no_budget):
    customer = make_user()
    body = {"provider_id": shop["pid"], "service_id": shop["sid"], "start": "2026-12-02T12:00:00Z"}
    # Given a request's budget is spent from its start, and DynamoDB throttles the booking's transaction
    with FaultInjector(dynamo.client(), rate=1.0, kinds=["throttle"], operations={"TransactWriteItems"}) as faults:
        status, answer, _ = call(client, "POST", "/v1/bookings", customer, body, {"Idempotency-Key": "spent"})
    # Then the first attempt went, botocore started no retry, and the answer is 503
    assert faults.injected["throttle"] == 1 and (status, answer["error"]["code"]) == (503, "try_again")
    # And a transaction cancelled by a conflict is not tried again either
    with FaultInjector(dynamo.client(), rate=1.0, kinds=["conflict"], operations={"TransactWriteItems"}) as faults:
        status, answer, _ = call(client, "POST", "/v1/bookings", customer, body, {"Idempotency-Key": "spent"})
    assert faults.injected["conflict"] == 1 and (status, answer["error"]["code"]) == (503, "try_again")
    assert call(client, "GET", "/v1/me/bookings", customer)[1]["bookings"] == []


def test_outside_a_request_a_throttled_call_gets_every_attempt(aws):
    from chalicelib.adapters import budget

    # Given no API request around it (a stream function, a job) and a budget spent inside one
    with FaultInjector(dynamo.client(), rate=1.0, kinds=["throttle"], operations={"GetItem"}) as faults:
        with pytest.raises(TryAgain):
            dynamo.table_connection().get_item("x", "y")
        with budget.request_budget(0), pytest.raises(TryAgain):
            dynamo.table_connection().get_item("x", "y")
    # Then the first call was tried MAX_ATTEMPTS times, the second once
    assert faults.injected["throttle"] == dynamo.MAX_ATTEMPTS + 1


def test_a_confirm_whose_response_was_lost_answers_confirmed(client, make_user, fixed_clock):
    from tests.integration.conftest import open_shop

    shop = open_shop(client, make_user(provider=True), rules={"auto_confirm": False})
    customer = make_user()
    answer, booking, _ = book(client, shop, customer, "2026-12-02T10:00:00Z", "by-hand")
    assert answer == 201 and booking["status"] == "PENDING"
    # Given the response to the owner's one conditional update is lost once (it committed; botocore resends it)
    with FaultInjector(dynamo.client(), rate=1.0, kinds=["lost"], operations={"UpdateItem"}, limit=1) as faults:
        answer, body, _ = call(client, "POST", f"/v1/bookings/{booking['booking_id']}/confirm", shop["owner"])
    # Then the owner is told it is confirmed, not that the booking is no longer pending (409)
    assert faults.injected["lost"] == 1
    assert (answer, body["status"]) == (200, "CONFIRMED"), body
    assert call(client, "GET", f"/v1/bookings/{booking['booking_id']}", customer)[1]["status"] == "CONFIRMED"
    # And a second confirm is still refused: the booking is no longer pending
    answer, body, _ = call(client, "POST", f"/v1/bookings/{booking['booking_id']}/confirm", shop["owner"])
    assert (answer, body["error"]["code"]) == (409, "booking_not_modifiable")
