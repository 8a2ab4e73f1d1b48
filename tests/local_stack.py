"""Fixtures of the running local stack, for the e2e and browser tests (registered by tests/conftest.py).

    stack  -- session: `python -m local.stack --no-seed --quiet` on free ports; its addresses and ids
    users  -- factory: users(provider=False) -> a fresh signed-in Cognito user (email, sub, id_token,
              headers)
    api    -- session: api.get/post/put/patch/delete(path, user=None, json=None, headers=None)

One stack serves the whole session: tests/e2e and tests/browser share it.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional

import boto3
import pytest
import requests
from requests.adapters import HTTPAdapter

from local import bootstrap

ROOT = Path(__file__).resolve().parents[1]
STACK_START_TIMEOUT = 120.0
STACK_STOP_TIMEOUT = 30.0
TEST_PASSWORD = "E2e-pass-2026!"


def free_ports(count: int) -> List[int]:
    """Ports the OS says are free; all held open together so no two are the same."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass(frozen=True)
class Stack:
    api_url: str
    aws_endpoint_url: str
    region: str
    user_pool_id: str
    user_pool_client_id: str
    table_name: str
    log_path: Path

    def log(self, name: str = "stack") -> str:
        """Output so far: the stack's own ("stack") or a child's ("moto", "api", "jobs")."""
        path = self.log_path if name == "stack" else self.log_path.with_name(f"{name}.log")
        return path.read_text(errors="replace")

    def client(self, service: str):
        """A boto3 client for the stack's emulated AWS."""
        return boto3.client(
            service,
            endpoint_url=self.aws_endpoint_url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STACK_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


#: Settings of the tests' stack beyond the product's (`make run` keeps those): the contract fuzzer and the
#: contention bench make hundreds of changes a minute as a handful of users, past the write rate.
TEST_STACK_SETTINGS = {"WRITE_RATE_PER_MINUTE": "100000"}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("local-stack")
    state_file = workdir / "state.json"
    log_path = workdir / "stack.log"  # beside moto.log, api.log and jobs.log
    api_port, aws_port, search_port = free_ports(3)
    command = [
        sys.executable, "-m", "local.stack", "--no-seed", "--quiet",
        "--api-port", str(api_port), "--aws-port", str(aws_port), "--search-port", str(search_port),
        "--state-file", str(state_file), "--log-dir", str(workdir),
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **TEST_STACK_SETTINGS},
        )
    try:
        deadline = time.monotonic() + STACK_START_TIMEOUT
        while not state_file.exists():
            if process.poll() is not None:
                pytest.fail(
                    f"the local stack exited with code {process.returncode} before it was up:\n"
                    + log_path.read_text(errors="replace"),
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the local stack was not up within {STACK_START_TIMEOUT:.0f}s:\n"
                    + log_path.read_text(errors="replace"),
                    pytrace=False,
                )
            time.sleep(0.2)
        state: Dict[str, Any] = json.loads(state_file.read_text())
        info = Stack(
            api_url=state["api_url"],
            aws_endpoint_url=state["aws_endpoint_url"],
            region=state["region"],
            user_pool_id=state["user_pool_id"],
            user_pool_client_id=state["user_pool_client_id"],
            table_name=state["table_name"],
            log_path=log_path,
        )
        response = requests.get(info.api_url + "/v1/health", timeout=10)
        assert response.status_code == 200, f"health: {response.status_code} {response.text}"
        yield info
    finally:
        _stop(process)


@dataclass(frozen=True)
class User:
    email: str
    password: str
    sub: str
    id_token: str
    groups: tuple = ()
    headers: Dict[str, str] = field(default_factory=dict)

    @property
    def is_provider(self) -> bool:
        return bootstrap.PROVIDERS_GROUP in self.groups


class UserFactory:
    """users() -> a new customer; users(provider=True) -> a new provider. Each has its own e-mail."""

    def __init__(self, stack: Stack, cognito) -> None:
        self.stack = stack
        self.cognito = cognito

    def __call__(
        self,
        provider: bool = False,
        groups: Iterable[str] = (),
        email: Optional[str] = None,
        password: str = TEST_PASSWORD,
    ) -> User:
        all_groups = tuple(groups) + ((bootstrap.PROVIDERS_GROUP,) if provider else ())
        if email is None:
            kind = "provider" if provider else "customer"
            email = f"{kind}-{uuid.uuid4().hex[:12]}@e2e.example"
        sub = bootstrap.ensure_user(
            self.cognito, self.stack.user_pool_id, email, password, groups=all_groups
        )
        token = bootstrap.sign_in(self.cognito, self.stack.user_pool_client_id, email, password)
        return User(
            email=email,
            password=password,
            sub=sub,
            id_token=token,
            groups=all_groups,
            headers={"Authorization": f"Bearer {token}"},
        )

    def provider(self, **kwargs: Any) -> User:
        return self(provider=True, **kwargs)

    def customer(self, **kwargs: Any) -> User:
        return self(provider=False, **kwargs)


@pytest.fixture(scope="session")
def cognito(stack: Stack):
    return stack.client("cognito-idp")


@pytest.fixture(scope="session")
def users(stack: Stack, cognito) -> UserFactory:
    return UserFactory(stack, cognito)


class Api:
    """requests bound to the stack's API: api.post("/v1/...", user=alice, json={...})."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64)
        self.session.mount("http://", adapter)

    def url(self, path: str) -> str:
        return self.base_url + ("" if path.startswith("/") else "/") + path

    def request(
        self,
        method: str,
        path: str,
        user: Optional[User] = None,
        json: Any = None,
        headers: Optional[Dict[str, str]] = None,
        **kwargs: Any,
    ) -> requests.Response:
        merged: Dict[str, str] = {}
        if user is not None:
            merged.update(user.headers)
        if headers:
            merged.update(headers)
        kwargs.setdefault("timeout", self.timeout)
        return self.session.request(method, self.url(path), json=json, headers=merged, **kwargs)

    def get(self, path: str, user: Optional[User] = None, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, user=user, **kwargs)

    def post(self, path: str, user: Optional[User] = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, user=user, **kwargs)

    def put(self, path: str, user: Optional[User] = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, user=user, **kwargs)

    def patch(self, path: str, user: Optional[User] = None, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, user=user, **kwargs)

    def delete(self, path: str, user: Optional[User] = None, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, user=user, **kwargs)

    def close(self) -> None:
        self.session.close()


@pytest.fixture(scope="session")
def api(stack: Stack) -> Iterator[Api]:
    client = Api(stack.api_url)
    yield client
    client.close()
