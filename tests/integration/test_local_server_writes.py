"""The local API server sends each answer in one write, on a connection with Nagle's algorithm off: headers and
body written apart made a keep-alive client wait for its own delayed ACK before the body came."""
from __future__ import annotations

import http.client
import socket

import pytest

from local.api_server import ContractRequestHandler
from tests.integration.test_local_gateway import server  # noqa: F401 (the fixture)


class CountingWriter:
    """The connection's writer, noting the size of each write."""

    def __init__(self, inner, writes):
        self.inner, self.writes = inner, writes

    def write(self, data):
        self.writes.append(len(data))
        return self.inner.write(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture()
def watched(monkeypatch):
    """Each accepted connection's TCP_NODELAY, and the writes of its answers."""
    seen = {"nodelay": [], "writes": []}
    setup = ContractRequestHandler.setup

    def watching_setup(self):
        setup(self)
        seen["nodelay"].append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        self.wfile = CountingWriter(self.wfile, seen["writes"])

    monkeypatch.setattr(ContractRequestHandler, "setup", watching_setup)
    return seen


def test_each_answer_on_a_keep_alive_connection_is_one_write(watched, server):  # noqa: F811
    # Given one keep-alive connection; When it asks for answers of every kind the server writes
    connection = http.client.HTTPConnection(*server, timeout=10)
    asked = [("GET", "/v1/health", 200), ("GET", "/v1/openapi.json", 200), ("GET", "/v1/nope", 404),
             ("DELETE", "/v1/health", 405), ("HEAD", "/v1/health", 405), ("GET", "/console/", 200), ("HEAD", "/console/", 200),
             ("GET", "/console/nope.js", 404)]
    lengths = []
    for method, path, status in asked:
        connection.request(method, path)
        response = connection.getresponse()
        body = response.read()
        assert response.status == status, (method, path, response.status, body[:200])
        lengths.append(len(body))
    connection.close()
    # Then Nagle's algorithm is off on the connection, and each answer went out in one write with its body
    assert watched["nodelay"] and all(watched["nodelay"])
    assert len(watched["writes"]) == len(asked), watched["writes"]
    for written, length in zip(watched["writes"], lengths):
        assert written > length
    assert lengths[1] > 10_000  # a body far larger than the headers travelled with them


def test_a_malformed_request_is_answered_in_one_write(watched, server):  # noqa: F811
    with socket.create_connection(server, timeout=10) as connection:
        connection.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ") and b'"code"' in answer
    assert watched["writes"] == [len(answer)]
