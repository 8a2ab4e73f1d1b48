"""Abuse limits through the API against emulated DynamoDB: at most 5 live holds per customer, at most 60 changes a
minute per user; both answer 429 with Retry-After, and reads are never counted."""
from __future__ import annotations

import os
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List

import boto3
import pytest
import requests

from chalicelib.adapters.table import create_table_request
from local import bootstrap
from tests.integration.conftest import call, clock_at, new_user, open_shop, serialised_moto

# Two hours apart on two weekdays: a 60-minute service with its 15-minute buffer never touches the next.
STARTS = [f"2026-12-0{day}T{hour:02d}:00:00Z" for day in (2, 3) for hour in (9, 11, 13, 15)]
HOLDS = "/v1/holds"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture()
def limits(client, monkeypatch):
    """The product's limits (the integration environment raises the write rate for the other tests)."""
    from chalicelib.config import get_settings

    monkeypatch.setenv("WRITE_RATE_PER_MINUTE", "60")
    monkeypatch.setenv("MAX_ACTIVE_HOLDS", "5")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def hold(client, shop, user, start: str):
    return call(client, "POST", HOLDS, user, {"provider_id": shop["pid"], "service_id": shop["sid"], "start": start})


def ledger(aws, user) -> Dict[str, Any]:
    item = aws["dynamodb"].get_item(TableName=os.environ["TABLE_NAME"], ConsistentRead=True,
                                    Key={"pk": {"S": f"CUSTOMER#{user.sub}"}, "sk": {"S": "HOLDS"}}).get("Item", {})
    return {name[2:]: int(value["N"]) for name, value in item.items() if name.startswith("H#")}


def test_the_sixth_live_hold_is_429_until_one_is_released_or_lapses(client, aws, shop, make_user, limits,
                                                                      fixed_clock):
    customer = make_user()
    held = [hold(client, shop, customer, start) for start in STARTS[:5]]
    assert [status for status, _, _ in held] == [201] * 5
    # When the customer holds a sixth time
    status, body, headers = hold(client, shop, customer, STARTS[5])
    # Then 429, and Retry-After is when the first hold lapses (5 minutes)
    assert status == 429, body
    assert body["error"]["code"] == "too_many_holds"
    assert body["error"]["message"] == "you hold 5 times already; book or release one first"
    assert headers["Retry-After"] == "300" and headers["Cache-Control"] == "no-store"
    assert len(ledger(aws, customer)) == 5
    # Another customer holds that very time
    assert hold(client, shop, make_user(), STARTS[5])[0] == 201
    # After a release the place is free at once
    assert call(client, "DELETE", f"{HOLDS}/{held[0][1]['hold_id']}", customer)[0] == 204
    assert held[0][1]["hold_id"] not in ledger(aws, customer)
    assert hold(client, shop, customer, STARTS[6])[0] == 201
    assert hold(client, shop, customer, STARTS[7])[0] == 429
    # After the holds lapse, new ones are taken and the lapsed leave the ledger
    fixed_clock.now += timedelta(minutes=5)
    status, fresh, _ = hold(client, shop, customer, STARTS[7])
    assert status == 201, fresh
    assert set(ledger(aws, customer)) == {fresh["hold_id"]}


def test_a_booked_hold_frees_its_place_and_a_replayed_booking_counts_nothing(client, aws, shop, make_user, limits,
                                                                             fixed_clock):
    customer = make_user()
    first = hold(client, shop, customer, STARTS[0])[1]["hold_id"]
    for start in STARTS[1:5]:
        assert hold(client, shop, customer, start)[0] == 201
    booked = call(client, "POST", "/v1/bookings", customer, {"hold_id": first}, {"Idempotency-Key": "k-1"})
    assert booked[0] == 201, booked[1]
    assert first not in ledger(aws, customer) and len(ledger(aws, customer)) == 4
    # The same request again is a replay: nothing is held or freed
    replay = call(client, "POST", "/v1/bookings", customer, {"hold_id": first}, {"Idempotency-Key": "k-1"})
    assert replay[0] == 201 and replay[2]["Idempotent-Replayed"] == "true"
    assert len(ledger(aws, customer)) == 4
    assert hold(client, shop, customer, STARTS[5])[0] == 201
    assert hold(client, shop, customer, STARTS[6])[0] == 429


def test_the_61st_change_in_a_minute_is_429_reads_are_never_counted(client, shop, make_user, limits, fixed_clock):
    customer = make_user()
    fixed_clock.now += timedelta(seconds=20)  # 08:00:20
    assert hold(client, shop, customer, STARTS[0])[0] == 201
    # A refused change costs as much as a done one: it is counted too
    for _ in range(59):
        assert call(client, "POST", HOLDS, customer, {})[0] == 400
    status, body, headers = call(client, "POST", "/v1/bookings", customer, {"hold_id": "h"}, {"Idempotency-Key": "k"})
    assert status == 429, body
    assert body["error"]["code"] == "rate_limited" and headers["Retry-After"] == "40"
    assert call(client, "DELETE", f"{HOLDS}/whatever", customer)[0] == 429
    # Reads go on, and other users and anonymous callers are not affected
    for _ in range(70):
        assert call(client, "GET", "/v1/me/bookings", customer)[0] == 200
    assert hold(client, shop, make_user(), STARTS[1])[0] == 201
    assert call(client, "POST", HOLDS, None, {})[0] == 401
    # The next minute starts a new count
    fixed_clock.now += timedelta(seconds=40)
    assert hold(client, shop, customer, STARTS[2])[0] == 201


def test_a_change_past_the_rate_counted_in_its_own_transaction_commits_nothing(client, aws, shop, make_user, limits,
                                                                             fixed_clock):
    from chalicelib.adapters import dynamo

    writes: List[str] = []

    def record(model, params, **_):
        if model.name in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"):
            writes.append(model.name)

    customer = make_user()
    # Given 59 changes counted this minute (refused ones are counted on their own)
    for _ in range(59):
        assert call(client, "POST", HOLDS, customer, {})[0] == 400
    # When the 60th is a hold: it is counted inside the hold's transaction, one write call for both
    dynamo.client().meta.events.register("before-call.dynamodb.*", record)
    try:
        assert hold(client, shop, customer, STARTS[0])[0] == 201
    finally:
        dynamo.client().meta.events.unregister("before-call.dynamodb.*", record)
    assert writes == ["TransactWriteItems"]
    # Then the 61st, another hold, is cancelled whole by the spent rate: 429, and nothing of it was written
    status, body, headers = hold(client, shop, customer, STARTS[1])
    assert (status, body["error"]["code"]) == (429, "rate_limited") and int(headers["Retry-After"]) > 0
    assert len(ledger(aws, customer)) == 1  # the first hold only
    assert hold(client, shop, make_user(), STARTS[1])[0] == 201  # the time it asked for is free


# --- at the same moment, over HTTP from threads (in-process moto is not thread-safe: decision 3) -----------------

@pytest.fixture()
def served() -> Iterator[Dict[str, Any]]:
    """The app over HTTP on a threaded server, its table and user pool on a serialised moto server."""
    from chalice import local
    from chalice.config import Config

    from chalicelib.adapters import aws as aws_clients
    from chalicelib.adapters import dynamo
    from chalicelib.config import get_settings
    from local.api_server import ContractRequestHandler
    def reset() -> None:
        get_settings.cache_clear()
        dynamo.reset()
        aws_clients.reset()

    with serialised_moto() as endpoint, pytest.MonkeyPatch.context() as patch, clock_at(NOW):
        boto3.client("dynamodb", endpoint_url=endpoint).create_table(**create_table_request(os.environ["TABLE_NAME"]))
        cognito = boto3.client("cognito-idp", endpoint_url=endpoint)
        pool_id, client_id = bootstrap.create_user_pool(cognito, "limits")
        for name, value in {"AWS_ENDPOINT_URL": endpoint, "USER_POOL_ID": pool_id,
                            "USER_POOL_CLIENT_ID": client_id, "MAX_ACTIVE_HOLDS": "5"}.items():
            patch.setenv(name, value)
        reset()
        import app
        dev = local.LocalDevServer(app.app, Config.create(), "127.0.0.1", 0, handler_cls=ContractRequestHandler)
        threading.Thread(target=dev.server.serve_forever, daemon=True).start()
        host, port = dev.server.server_address
        try:
            yield {"url": f"http://{host}:{port}", "cognito": cognito, "pool_id": pool_id, "client_id": client_id}
        finally:
            dev.server.shutdown()
            dev.server.server_close()
    reset()


def test_two_holds_at_once_at_one_below_the_cap_give_exactly_one(served):
    class Http:
        """The few calls open_shop makes, over HTTP."""

        def __init__(self) -> None:
            self.http = self

        def __getattr__(self, method: str):
            def send(path: str, headers: Dict[str, str], body: Any = None) -> Any:
                response = requests.request(method.upper(), served["url"] + path, data=body, headers=headers,
                                            timeout=60)
                return type("Answer", (), {"status_code": response.status_code, "body": response.content,
                                           "headers": dict(response.headers)})
            return send

    web = Http()
    owner = new_user(served, f"{uuid.uuid4().hex[:10]}@limits.test", provider=True)
    customer = new_user(served, f"{uuid.uuid4().hex[:10]}@limits.test")
    shop = open_shop(web, owner)
    for start in STARTS[:4]:
        assert hold(web, shop, customer, start)[0] == 201
    barrier = threading.Barrier(2)
    answers: List[Any] = [None, None]

    def place(index: int) -> None:
        with requests.Session() as session:
            assert session.get(served["url"] + "/v1/health", timeout=60).status_code == 200
            barrier.wait(timeout=60)
            response = session.post(served["url"] + HOLDS, headers=customer.headers, timeout=60, json={
                "provider_id": shop["pid"], "service_id": shop["sid"], "start": STARTS[4 + index]})
            answers[index] = (response.status_code, response.json())

    threads = [threading.Thread(target=place, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(status for status, _ in answers) == [201, 429], answers
    assert [body["error"]["code"] for status, body in answers if status == 429] == ["too_many_holds"]


# --- the request size and page size limits that were there before --------------------------------------------

def test_every_list_refuses_a_page_over_100_and_a_body_over_the_limit_is_refused_by_its_size(client, shop, make_user):
    from chalicelib.api.openapi import openapi_document

    # Given every route the document says takes a `limit` (search included, which parses its own query)
    lists = [path for path, item in openapi_document()["paths"].items()
             if any(p["name"] == "limit" for p in item.get("get", {}).get("parameters", []))]
    assert {"/v1/me/bookings", "/v1/me/notifications", "/v1/me/providers", "/v1/search",
            "/v1/providers/{provider_id}/bookings", "/v1/providers/{provider_id}/blocks",
            "/v1/providers/{provider_id}/reviews", "/v1/providers/{provider_id}/audit"} <= set(lists)
    for path in lists:
        for limit, status in (("101", 400), ("100", 200)):
            query = "?category=massage&" if path == "/v1/search" else "?"
            got, body, _ = call(client, "GET", path.format(provider_id=shop["pid"]) + f"{query}limit={limit}",
                                shop["owner"])
            assert got == status, (path, limit, body)
            if status == 400:
                assert body["error"]["code"] == "invalid_request" and body["error"]["message"].startswith("limit:")
    # A body one byte over the limit is refused naming the limit, before anything is read
    status, body, _ = call(client, "POST", HOLDS, make_user(), "{" + " " * 16_383 + "}")
    assert status == 400 and body["error"]["message"] == "body: at most 16384 bytes", body
    assert call(client, "POST", HOLDS, make_user(), "{" + " " * 16_382 + "}")[1]["error"]["message"] != \
        "body: at most 16384 bytes"


def test_a_hold_on_a_ledger_changed_since_it_was_read_writes_nothing(client, aws, shop, make_user, fixed_clock):
    """The adapter against DynamoDB's own conditions: the ledger's version decides, in the hold's transaction."""
    from chalicelib.adapters import bookings
    from chalicelib.domain.errors import StaleRead
    from chalicelib.domain.entities import Hold

    customer = make_user()
    assert hold(client, shop, customer, STARTS[0])[0] == 201
    stale = bookings.get_hold_ledger(customer.sub)
    assert stale.version == 1 and len(stale.entries) == 1
    assert hold(client, shop, customer, STARTS[1])[0] == 201  # the ledger moves on to version 2
    start = datetime(2026, 12, 2, 13, 0, tzinfo=timezone.utc)
    late = Hold(hold_id=uuid.uuid4().hex, provider_id=shop["pid"], service_id=shop["sid"], customer_id=customer.sub,
                start=start, end=start + timedelta(minutes=60), occupied_until=start + timedelta(minutes=75),
                expires_at=NOW + timedelta(minutes=5), created_at="2026-12-01T08:00:00Z")
    with pytest.raises(StaleRead):
        bookings.commit_hold(late, NOW, stale)
    assert bookings.get_hold(late.hold_id) is None
    now_ledger = bookings.get_hold_ledger(customer.sub)
    assert now_ledger.version == 2 and len(now_ledger.entries) == 2 and late.hold_id not in now_ledger.entries
    # Read afresh, the same hold goes through
    bookings.commit_hold(late, NOW, bookings.get_hold_ledger(customer.sub))
    assert len(bookings.get_hold_ledger(customer.sub).entries) == 3


def test_holds_without_a_ledger_entry_are_still_booked_and_released(client, aws, shop, make_user, limits, fixed_clock):
    # Given holds whose ledger is gone (placed before the ledger existed, or the ledger expired by TTL)
    customer = make_user()
    first = hold(client, shop, customer, STARTS[0])[1]["hold_id"]
    second = hold(client, shop, customer, STARTS[1])[1]["hold_id"]
    aws["dynamodb"].delete_item(TableName=os.environ["TABLE_NAME"],
                                Key={"pk": {"S": f"CUSTOMER#{customer.sub}"}, "sk": {"S": "HOLDS"}})
    # Then booking with one and releasing the other still work, and the customer holds again from nothing
    assert call(client, "POST", "/v1/bookings", customer, {"hold_id": first}, {"Idempotency-Key": "k-2"})[0] == 201
    assert call(client, "DELETE", f"{HOLDS}/{second}", customer)[0] == 204
    assert ledger(aws, customer) == {}
    assert [hold(client, shop, customer, start)[0] for start in STARTS[2:8]] == [201] * 5 + [429]
