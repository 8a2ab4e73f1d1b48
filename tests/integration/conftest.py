"""Integration tests: the Chalice app in-process against moto's emulated DynamoDB and Cognito."""
from __future__ import annotations

import json
import os
import uuid
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.adapters.table import create_table_request
from chalicelib.service import clock
from local import bootstrap, moto_patches

ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1", "TABLE_NAME": "marketplace-test",
    "STAGE": "test", "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    # A stage other than local: what the template gives the e-mailing functions (chalicelib/config.py).
    "EMAIL_FROM": "bookings@marketplace.example",
    # The tests hold the clock still: all of a test's writes fall in one minute and none of its holds lapse. The
    # limits' own tests (test_abuse_limits.py) set the product's values.
    "WRITE_RATE_PER_MINUTE": "100000", "MAX_ACTIVE_HOLDS": "1000",
}


@pytest.fixture(scope="session")
def search_engine():
    """The real OpenSearch-compatible engine (osmem-server), in memory, for the whole session."""
    from osmem_server import OsmemServer

    with OsmemServer.start(freeze=False, japanese=False) as server:
        yield server


#: Set (by tests/infra/test_moto_stack.py) to run these tests against a stack created from the packaged
#: template in a moto server: its URL, and the stack's table, user pool and client in INTEGRATION_STACK_TABLE_NAME,
#: INTEGRATION_STACK_USER_POOL_ID and INTEGRATION_STACK_USER_POOL_CLIENT_ID. Unset: moto in-process, as always.
STACK_ENDPOINT = os.environ.get("INTEGRATION_STACK_ENDPOINT")


@pytest.fixture(scope="session", autouse=True)
def test_environment(search_engine):
    """The environment the app reads (lazily, on first use), with AWS emulated in-process and fake credentials."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**ENVIRONMENT, "JWKS_URL": bootstrap.serve_jwks()[0], "SEARCH_ENDPOINT": search_engine.url}.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        if STACK_ENDPOINT:
            patch.setenv("AWS_ENDPOINT_URL", STACK_ENDPOINT)
            patch.setenv("TABLE_NAME", os.environ["INTEGRATION_STACK_TABLE_NAME"])
        moto_patches.apply()
        yield


ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serialised_moto() -> Iterator[str]:
    """A moto server on a free port, every request serialised as the local stack runs it (decision 3); its URL.

    For tests that send requests from several threads at once: in-process moto is not thread-safe.
    """
    from local.moto_server import serialised_moto as started

    try:
        with started() as url:
            yield url
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _empty_table(dynamodb, table_name: str) -> None:
    """Delete every item: each test starts from an empty table, as it does with a table of its own."""
    for page in dynamodb.get_paginator("scan").paginate(TableName=table_name, ProjectionExpression="pk, sk"):
        items = page["Items"]
        for start in range(0, len(items), 25):
            dynamodb.batch_write_item(RequestItems={table_name: [
                {"DeleteRequest": {"Key": item}} for item in items[start:start + 25]]})


@contextmanager
def emulated_aws():
    """Emulated DynamoDB and Cognito holding the app's table and user pool, with the app's clients reset.

    With INTEGRATION_STACK_ENDPOINT set: the stack's table (emptied first) and user pool in that moto server."""
    with nullcontext() if STACK_ENDPOINT else mock_aws():
        dynamodb = boto3.client("dynamodb")
        cognito = boto3.client("cognito-idp")
        if STACK_ENDPOINT:
            _empty_table(dynamodb, os.environ["TABLE_NAME"])
            pool_id = os.environ["INTEGRATION_STACK_USER_POOL_ID"]
            client_id = os.environ["INTEGRATION_STACK_USER_POOL_CLIENT_ID"]
        else:
            dynamodb.create_table(**create_table_request(os.environ["TABLE_NAME"]))
            pool_id, client_id = bootstrap.create_user_pool(cognito, "test")
        os.environ["USER_POOL_ID"], os.environ["USER_POOL_CLIENT_ID"] = pool_id, client_id
        # Each test its own index alias in the session's engine: no test sees another's providers.
        os.environ["SEARCH_INDEX"] = f"providers-{uuid.uuid4().hex[:12]}"
        from chalicelib.config import get_settings
        get_settings.cache_clear()
        _reset_cached_clients()
        yield {"cognito": cognito, "pool_id": pool_id, "client_id": client_id, "dynamodb": dynamodb}


@contextmanager
def clock_at(now: datetime):
    """The services' clock fixed at `now` (movable through the yielded clock), then real again."""
    fixed = FixedClock(now)
    clock.set_clock(fixed)
    try:
        yield fixed
    finally:
        clock.set_clock(lambda: datetime.now(timezone.utc))


@pytest.fixture()
def environment_kept():
    """A benchmark part points this process's settings at its own moto server; afterwards they are as they were."""
    def settings():
        return {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"}

    before = settings()
    yield
    assert settings() == before


@pytest.fixture()
def aws():
    with emulated_aws() as env:
        yield env


def _reset_cached_clients() -> None:
    from chalicelib.adapters import dynamo, search
    dynamo.reset()
    search.reset()


@pytest.fixture()
def fixed_clock():
    with clock_at(datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)) as fixed:
        yield fixed


@pytest.fixture()
def client(aws):
    import app
    with Client(app.app) as test_client:
        yield test_client


class User:
    def __init__(self, email: str, sub: str, token: str):
        self.email, self.sub, self.token = email, sub, token
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


PASSWORD = "Test-pass-2026!"


def new_user(env, email: str, provider: bool = False) -> User:
    """A real user of the emulated pool (in group providers if asked) with a fresh ID token."""
    sub = bootstrap.ensure_user(env["cognito"], env["pool_id"], email, PASSWORD,
                                groups=("providers",) if provider else ())
    return User(email, sub, bootstrap.sign_in(env["cognito"], env["client_id"], email, PASSWORD))


@pytest.fixture()
def make_user(aws):
    def make(provider: bool = False) -> User:
        return new_user(aws, f"{uuid.uuid4().hex[:10]}@example.test", provider)
    return make


def call(client, method: str, path: str, user=None, body=None, headers=None):
    """One request through the Chalice test client; returns (status, json, text of a text answer, or None, headers)."""
    all_headers = dict(user.headers if user else {"Content-Type": "application/json"})
    all_headers.update(headers or {})
    payload = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    response = getattr(client.http, method.lower())(path, headers=all_headers, body=payload)
    text = response.headers.get("Content-Type", response.headers.get("content-type", "")).startswith("text/")
    data = (response.body.decode("utf-8") if text else json.loads(response.body)) if response.body else None
    return response.status_code, data, response.headers


# --- a provider to book with -------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def throttle_queries(monkeypatch) -> None:
    """From now on DynamoDB refuses every Query as throttled (the client's other calls go through)."""
    from botocore.exceptions import ClientError

    from chalicelib.adapters import dynamo

    real = dynamo.client()._make_api_call

    def throttled(operation, params):
        if operation == "Query":
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, operation)
        return real(operation, params)

    monkeypatch.setattr(dynamo.client(), "_make_api_call", throttled)


def open_shop(client, owner, timezone_name: str = "Europe/London", currency: str = "GBP", rules=None) -> dict:
    """A provider in that zone, open 09:00-17:00 on weekdays, with a 60-minute service and a 15-minute buffer."""
    body = {"name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
            "timezone": timezone_name}
    if rules:
        body["booking_rules"] = rules
    status, provider, _ = call(client, "POST", "/v1/providers", owner, body)
    assert status == 201, provider
    pid = provider["provider_id"]
    week = {day: [{"start": "09:00", "end": "17:00"}] for day in WEEKDAYS}
    assert call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, {"weekly": week})[0] == 200
    status, service, _ = call(client, "POST", f"/v1/providers/{pid}/services", owner, {
        "name": "Massage", "category": "massage", "duration_minutes": 60, "buffer_minutes": 15,
        "price": {"amount": 4500, "currency": currency}})
    assert status == 201, service
    return {"owner": owner, "pid": pid, "sid": service["service_id"]}


@pytest.fixture()
def shop(client, make_user, fixed_clock):
    """Given a London provider open 09:00-17:00 on weekdays with a 60-minute service (+15 buffer)."""
    return open_shop(client, make_user(provider=True), rules={"hold_minutes": 5, "cancel_cutoff_minutes": 60})


def starts(client, shop, day):
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/availability"
                                         f"?service_id={shop['sid']}&from={day}&to={day}")
    assert status == 200, body
    return [slot["start"] for slot in body["slots"]]


def book(client, shop, user, start, key):
    return call(client, "POST", "/v1/bookings", user,
                {"provider_id": shop["pid"], "service_id": shop["sid"], "start": start}, {"Idempotency-Key": key})
