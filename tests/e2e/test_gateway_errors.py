"""The stack's API server answers unknown paths and methods in the contract's error shape, and no answer
repeats the caller's credential."""
from __future__ import annotations

import socket
from urllib.parse import urlparse

import requests

SECRET = "eyJlMmUiOiJub3QtYS10b2tlbiJ9.ZTJlLWRpc3RpbmN0aXZlLXBheWxvYWQtNTUyMQ.ZTJlLXNpZ25hdHVyZS05OTE"


def exchange(api_url: str, method: str, path: str, headers: dict) -> bytes:
    """One request on its own connection; the whole answer as sent: status line, headers, body."""
    address = urlparse(api_url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {address.netloc}", "Connection: close",
             *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_an_unknown_path_is_404_not_found(stack):
    response = requests.get(stack.api_url + "/v1/no-such-thing", headers={"Authorization": f"Bearer {SECRET}"},
                            timeout=30)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    assert SECRET not in response.text


def test_an_unknown_method_is_405_method_not_allowed_with_allow(stack):
    for method in ("DELETE", "FOO", "OPTIONS"):
        response = requests.request(method, stack.api_url + "/v1/health", timeout=30)
        assert response.status_code == 405, response.text
        assert response.headers["Allow"] == "GET"
        assert response.json()["error"]["code"] == "method_not_allowed"


def test_no_answer_allows_another_origin(stack):
    """The console is served from the API's origin; a preflight from another is refused like any other method."""
    origin = {"Origin": "https://elsewhere.example"}
    preflight = requests.options(stack.api_url + "/v1/bookings", timeout=30, headers={
        **origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 405 and preflight.headers["Allow"] == "POST", preflight.text
    answers = [preflight] + [requests.request(method, stack.api_url + path, headers=origin, timeout=30)
                             for method, path in (("GET", "/v1/health"), ("GET", "/v1/me/bookings"),
                                                  ("GET", "/v1/no-such-thing"), ("DELETE", "/v1/health"))]
    assert [a.status_code for a in answers] == [405, 200, 401, 404, 405]
    for answer in answers:
        assert not [name for name in answer.headers if name.lower().startswith("access-control-")], answer.headers


def test_no_answer_repeats_the_credential(stack):
    for method, path in (("GET", "/v1/no-such-thing"), ("PATCH", "/v1/health"), ("TRACE", "/v1/health"),
                         ("GET", "/v1/me/bookings"), ("GET", "/v1/health"), ("OPTIONS", "/v1/nope")):
        answer = exchange(stack.api_url, method, path, {"Authorization": f"Bearer {SECRET}"})
        assert answer.startswith(b"HTTP/1.1 "), answer[:200]
        assert SECRET.encode() not in answer and SECRET[-20:].encode() not in answer, answer.decode("latin-1")
