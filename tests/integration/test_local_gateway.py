"""The local API server (local/api_server.py) refuses what API Gateway would, in the contract's error shape,
and no answer repeats the caller's credential: the app in-process against moto, served over real HTTP."""
from __future__ import annotations

import json
import socket
import threading

import pytest
import requests

SECRET = "eyJzZWNyZXQiOiJub3QtYS1yZWFsLXRva2VuIn0.c2VjcmV0LXBheWxvYWQtNzM5MTI.ZGlzdGluY3RpdmUtc2lnbmF0dXJl"


@pytest.fixture()
def server(aws):
    import app
    from chalice import local
    from chalice.config import Config

    from local.api_server import ContractRequestHandler

    dev = local.LocalDevServer(app.app, Config.create(), "127.0.0.1", 0, handler_cls=ContractRequestHandler)
    thread = threading.Thread(target=dev.server.serve_forever, daemon=True)
    thread.start()
    yield dev.server.server_address
    dev.server.shutdown()
    dev.server.server_close()


def url(address, path: str) -> str:
    return f"http://{address[0]}:{address[1]}{path}"


def exchange(address, raw: bytes) -> bytes:
    """Send raw bytes, read the whole answer (the request closes the connection): status line, headers, body."""
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(raw)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def request_bytes(method: str, path: str, headers: dict, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close",
             *(f"{k}: {v}" for k, v in headers.items())]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def error_of(response: requests.Response) -> dict:
    assert response.headers["Content-Type"] == "application/json", response.headers
    return response.json()["error"]


def test_an_unknown_path_is_404_not_found(server):
    for path in ("/v1/nope", "/", "/v1", "/v1/bookings/abc/refund", "/v2/health"):
        for method in ("GET", "POST", "OPTIONS"):
            response = requests.request(method, url(server, path), timeout=10)
            assert response.status_code == 404, (method, path, response.text)
            error = error_of(response)
            assert error["code"] == "not_found" and error["message"], error


def test_a_known_path_with_another_method_is_405_with_allow(server):
    cases = {("DELETE", "/v1/health"): "GET", ("PUT", "/v1/bookings"): "POST",
             ("POST", "/v1/providers/p1"): "GET, PATCH", ("TRACE", "/v1/health"): "GET",
             ("FOO", "/v1/me/bookings"): "GET", ("CONNECT", "/v1/health"): "GET",
             ("OPTIONS", "/v1/health"): "GET", ("OPTIONS", "/v1/providers/p1"): "GET, PATCH"}
    for (method, path), allow in cases.items():
        response = requests.request(method, url(server, path), timeout=10)
        assert response.status_code == 405, (method, path, response.status_code, response.text)
        assert response.headers["Allow"] == allow
        error = error_of(response)
        assert error["code"] == "method_not_allowed" and error["message"], error


def test_a_preflight_is_405_and_no_answer_allows_another_origin(server, make_user):
    """The console is served from the API's origin: no answer, the gateway's or the app's, invites another."""
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    response = requests.options(url(server, "/v1/bookings"), headers=preflight, timeout=10)
    assert response.status_code == 405 and response.headers["Allow"] == "POST", response.text
    assert error_of(response)["code"] == "method_not_allowed"
    customer = make_user()
    origin = {"Origin": "https://elsewhere.example"}
    answers = [response]
    for method, path, headers in (("GET", "/v1/health", {}), ("GET", "/v1/me/bookings", customer.headers),
                                  ("GET", "/v1/me/bookings", {}), ("POST", "/v1/holds", customer.headers),
                                  ("GET", "/v1/nope", {}), ("DELETE", "/v1/health", {}),
                                  ("OPTIONS", "/v1/nope", {}), ("OPTIONS", "/v1/providers/p1/bookings", {})):
        answers.append(requests.request(method, url(server, path), headers={**origin, **headers}, timeout=10))
    assert [a.status_code for a in answers] == [405, 200, 200, 401, 400, 404, 405, 404, 405]
    for answer in answers:
        assert not [name for name in answer.headers if name.lower().startswith("access-control-")], answer.headers


def test_head_gets_headers_and_no_body_and_the_connection_stays_usable(server):
    with requests.Session() as session:
        response = session.head(url(server, "/v1/health"), timeout=10)
        assert response.status_code == 405 and response.content == b""
        assert response.headers["Allow"] == "GET"
        assert session.get(url(server, "/v1/health"), timeout=10).json() == {"status": "ok"}


def test_a_no_content_answer_has_no_body_and_no_content_type(server, make_user):
    customer = make_user()
    response = requests.delete(url(server, "/v1/holds/no-such-hold"), headers=customer.headers, timeout=10)
    assert response.status_code == 404
    owner = make_user(provider=True)
    provider = requests.post(url(server, "/v1/providers"), headers=owner.headers, timeout=10, json={
        "name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
        "timezone": "Europe/London"}).json()
    service = requests.post(url(server, f"/v1/providers/{provider['provider_id']}/services"), headers=owner.headers,
                            timeout=10, json={"name": "Massage", "category": "massage", "duration_minutes": 60,
                                              "price": {"amount": 4500, "currency": "EUR"}}).json()
    path = f"/v1/providers/{provider['provider_id']}/services/{service['service_id']}"
    raw = exchange(server, request_bytes("DELETE", path, {"Authorization": owner.headers["Authorization"]}))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 204") and body == b"", raw
    names = {line.split(b":", 1)[0].strip().lower() for line in head.split(b"\r\n")[1:]}
    assert not names & {b"content-type", b"content-length"}, head


def test_a_malformed_request_is_400_in_the_contract_shape(server):
    for raw in (b"GARBAGE\r\n\r\n", request_bytes("POST", "/v1/holds", {"Content-Length": "ten"})):
        head, _, body = exchange(server, raw).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400") or head.startswith(b"HTTP/1.0 400"), head
        assert json.loads(body)["error"]["code"] == "invalid_request"


AUTHORIZATIONS = [f"Bearer {SECRET}", SECRET, f"Basic {SECRET}", f"AWS4-HMAC-SHA256 Credential={SECRET}"]
REQUESTS = [  # method, path, body: every kind of answer, the gateway's own and the app's
    ("GET", "/v1/nope", b""), ("POST", "/v1/nope/deeper", b"{}"), ("OPTIONS", "/v1/nope", b""),
    ("DELETE", "/v1/health", b""), ("FOO", "/v1/bookings", b""), ("HEAD", "/v1/health", b""),
    ("GET", "/v1/me/bookings", b""), ("POST", "/v1/bookings", b'{"hold_id": "h"}'),
    ("GET", "/v1/bookings/%00", b""), ("GET", "/v1/health", b""), ("OPTIONS", "/v1/me/bookings", b""),
    ("POST", "/v1/holds", b"not json"), ("GET", "/v1/providers/x/availability?from=" + SECRET, b""),
]


@pytest.mark.parametrize("authorization", AUTHORIZATIONS, ids=["bearer", "bare", "basic", "sigv4"])
def test_no_answer_repeats_the_callers_credential(server, authorization):
    for method, path, body in REQUESTS:
        headers = {"Authorization": authorization, "Content-Type": "application/json",
                   "Idempotency-Key": "k", "X-Api-Key": SECRET, "Cookie": f"session={SECRET}"}
        raw = exchange(server, request_bytes(method, path.replace(SECRET, "x"), headers, body))
        assert raw.startswith(b"HTTP/1."), (method, path, raw[:200])
        for piece in (SECRET, SECRET[:24], SECRET[-24:]):
            assert piece.encode() not in raw, (method, path, raw.decode("latin-1"))


def test_malformed_requests_do_not_repeat_the_credential_either(server):
    too_long = "x" * 70000
    for raw in (f"GET /v1/health HTTP/1.1\r\nAuthorization: Bearer {SECRET}\r\nX-Long: {too_long}\r\n\r\n",
                f"GET /{SECRET} HTTP/1.1 extra\r\nAuthorization: Bearer {SECRET}\r\n\r\n",
                f"GET /v1/health HTTP/7.0\r\nAuthorization: Bearer {SECRET}\r\n\r\n"):
        answer = exchange(server, raw.encode())
        assert answer.startswith(b"HTTP/"), answer[:200]
        assert SECRET.encode() not in answer, answer[:500]
