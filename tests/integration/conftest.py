"""Integration tests: the Chalice app in-process against moto's emulated DynamoDB and Cognito."""
from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# Settings are read once per process: set them before anything of the app is imported.
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1", "TABLE_NAME": "marketplace-test",
    "STAGE": "test", "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.utilities.utils import load_resource  # noqa: E402


def _serve_jwks() -> str:
    """In-process moto serves no HTTP: publish its pool signing keys on a loopback port instead."""
    keys = json.dumps(load_resource("cognitoidp/resources/jwks-public.json")).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(keys)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/jwks.json"


os.environ["JWKS_URL"] = _serve_jwks()

from chalice.test import Client  # noqa: E402

from chalicelib.adapters.table import create_table_request  # noqa: E402
from chalicelib.service import clock  # noqa: E402
from local import bootstrap, moto_patches  # noqa: E402

moto_patches.apply()


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture()
def aws():
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(**create_table_request(os.environ["TABLE_NAME"]))
        cognito = boto3.client("cognito-idp")
        pool_id, client_id = bootstrap.create_user_pool(cognito, "test")
        os.environ["USER_POOL_ID"], os.environ["USER_POOL_CLIENT_ID"] = pool_id, client_id
        from chalicelib.config import get_settings
        get_settings.cache_clear()
        settings = get_settings()
        _reset_cached_clients(settings)
        yield {"cognito": cognito, "pool_id": pool_id, "client_id": client_id, "dynamodb": dynamodb}


def _reset_cached_clients(settings) -> None:
    import chalicelib.adapters.tokens as tokens
    import chalicelib.adapters.transaction as transaction
    from chalicelib.adapters.models import ALL_MODELS
    tokens._jwks = None
    transaction._connection = None
    for model in ALL_MODELS:
        model._connection = None


@pytest.fixture()
def fixed_clock():
    fixed = FixedClock(datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))
    clock.set_clock(fixed)
    yield fixed
    clock.set_clock(lambda: datetime.now(timezone.utc))


@pytest.fixture()
def client(aws):
    import app
    with Client(app.app) as test_client:
        yield test_client


class User:
    def __init__(self, email: str, sub: str, token: str):
        self.email, self.sub, self.token = email, sub, token
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@pytest.fixture()
def make_user(aws):
    def make(provider: bool = False) -> User:
        email = f"{uuid.uuid4().hex[:10]}@example.test"
        password = "Test-pass-2026!"
        sub = bootstrap.ensure_user(aws["cognito"], aws["pool_id"], email, password,
                                    groups=("providers",) if provider else ())
        token = bootstrap.sign_in(aws["cognito"], aws["client_id"], email, password)
        return User(email, sub, token)
    return make


def call(client, method: str, path: str, user=None, body=None, headers=None):
    """One request through the Chalice test client; returns (status, json or None, headers)."""
    all_headers = dict(user.headers if user else {"Content-Type": "application/json"})
    all_headers.update(headers or {})
    payload = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    response = getattr(client.http, method.lower())(path, headers=all_headers, body=payload)
    data = json.loads(response.body) if response.body else None
    return response.status_code, data, response.headers
