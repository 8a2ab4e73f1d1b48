"""HTTP caching through the app: public reads carry an ETag and a short public max-age and answer 304 to a
current If-None-Match; a hold, a booking or an edit changes the tag; everything else is no-store (decision 0015)."""
from __future__ import annotations

import socket

from tests.integration.conftest import book, call
from tests.integration.test_local_gateway import server  # noqa: F401  (the app served over real HTTP)

DAY = "2026-12-02"


def availability_path(shop) -> str:
    return f"/v1/providers/{shop['pid']}/availability?service_id={shop['sid']}&from={DAY}&to={DAY}"


def cached(answer, max_age: int):
    """The 200's body and ETag, after checking its caching headers."""
    status, body, headers = answer
    assert status == 200, body
    assert headers["Cache-Control"] == f"public, max-age={max_age}", headers
    assert headers["ETag"].startswith('W/"'), headers
    return body, headers["ETag"]


def not_modified(answer, tag: str, max_age: int) -> None:
    status, body, headers = answer
    assert (status, body) == (304, None), body
    assert headers["ETag"] == tag and headers["Cache-Control"] == f"public, max-age={max_age}", headers


def no_store(answer, status: int):
    got, body, headers = answer
    assert got == status, body
    assert headers["Cache-Control"] == "no-store" and "ETag" not in headers, headers
    return body


# --- availability ---------------------------------------------------------------------------------

def test_availability_is_cached_briefly_and_answers_304_while_unchanged(client, shop):
    slots, tag = cached(call(client, "GET", availability_path(shop)), 10)
    assert slots["slots"]
    not_modified(call(client, "GET", availability_path(shop), headers={"If-None-Match": tag}), tag, 10)
    not_modified(call(client, "GET", availability_path(shop), headers={"If-None-Match": f'"old", {tag}'}), tag, 10)
    not_modified(call(client, "GET", availability_path(shop), headers={"If-None-Match": "*"}), tag, 10)
    # Unchanged time, unchanged answer: the same tag again
    again, same = cached(call(client, "GET", availability_path(shop)), 10)
    assert (again, same) == (slots, tag)


def test_a_hold_and_a_booking_change_the_tag_and_bring_a_200(client, shop, make_user):
    customer = make_user()
    before, tag = cached(call(client, "GET", availability_path(shop)), 10)
    first = before["slots"][0]["start"]
    status, hold, _ = call(client, "POST", "/v1/holds", customer,
                           {"provider_id": shop["pid"], "service_id": shop["sid"], "start": first})
    assert status == 201, hold
    held, held_tag = cached(call(client, "GET", availability_path(shop), headers={"If-None-Match": tag}), 10)
    assert held_tag != tag and first not in [slot["start"] for slot in held["slots"]]
    later = held["slots"][-1]["start"]
    assert book(client, shop, customer, later, "cache-1")[0] == 201
    booked, booked_tag = cached(call(client, "GET", availability_path(shop), headers={"If-None-Match": held_tag}), 10)
    assert booked_tag not in (tag, held_tag) and later not in [slot["start"] for slot in booked["slots"]]


def test_a_stale_free_slot_is_refused_by_the_write(client, shop, make_user):
    # A copy taken before the time was booked still shows it free; holding it from that copy is 409
    stale, _ = cached(call(client, "GET", availability_path(shop)), 10)
    first = stale["slots"][0]["start"]
    assert book(client, shop, make_user(), first, "cache-2")[0] == 201
    status, body, headers = call(client, "POST", "/v1/holds", make_user(),
                                 {"provider_id": shop["pid"], "service_id": shop["sid"], "start": first})
    assert (status, body["error"]["code"]) == (409, "slot_unavailable") and headers["Cache-Control"] == "no-store"


# --- profile and reviews ----------------------------------------------------------------------------

def test_the_profile_is_the_same_for_every_caller_and_changes_tag_when_edited(client, shop, make_user):
    path = f"/v1/providers/{shop['pid']}"
    anonymous, tag = cached(call(client, "GET", path), 60)
    # A token is ignored on a public route: the same body, the same tag, still public
    for caller in (shop["owner"], make_user()):
        assert cached(call(client, "GET", path, caller), 60) == (anonymous, tag)
    not_modified(call(client, "GET", path, headers={"If-None-Match": tag}), tag, 60)
    status, _, headers = call(client, "PATCH", path, shop["owner"], {"name": "Spa and More"})
    assert status == 200 and headers["Cache-Control"] == "no-store"
    edited, edited_tag = cached(call(client, "GET", path, headers={"If-None-Match": tag}), 60)
    assert edited["name"] == "Spa and More" and edited_tag != tag


def test_the_reviews_list_is_cached_for_a_minute(client, shop):
    path = f"/v1/providers/{shop['pid']}/reviews"
    page, tag = cached(call(client, "GET", path), 60)
    assert page == {"reviews": [], "next_cursor": None}
    not_modified(call(client, "GET", path, headers={"If-None-Match": tag}), tag, 60)


def test_deploy_only_reads_are_cached_and_health_is_not(client):
    for path in ("/v1/config", "/v1/categories", "/v1/openapi.json"):
        _, tag = cached(call(client, "GET", path), 300)
        not_modified(call(client, "GET", path, headers={"If-None-Match": tag}), tag, 300)
    no_store(call(client, "GET", "/v1/health", headers={"If-None-Match": "*"}), 200)


# --- no-store -------------------------------------------------------------------------------------

def test_signed_in_answers_are_no_store_and_never_304(client, shop, make_user):
    customer, owner, pid = make_user(), shop["owner"], shop["pid"]
    status, booking, _ = book(client, shop, customer, "2026-12-02T10:00:00Z", "cache-3")
    assert status == 201
    star = {"If-None-Match": "*"}
    for user, path in ((customer, "/v1/me/bookings"), (customer, f"/v1/bookings/{booking['booking_id']}"),
                       (owner, "/v1/me/providers"), (owner, f"/v1/providers/{pid}/working-hours"),
                       (owner, f"/v1/providers/{pid}/bookings"), (owner, f"/v1/providers/{pid}/blocks"),
                       (customer, "/v1/me/notifications"), (customer, "/v1/search?category=massage")):
        no_store(call(client, "GET", path, user, headers=star), 200)
    no_store(call(client, "GET", f"/v1/bookings/{booking['booking_id']}/calendar.ics", customer, headers=star), 200)
    no_store(call(client, "POST", f"/v1/bookings/{booking['booking_id']}/cancel", customer), 200)


def test_the_secret_calendar_feed_is_no_store(client, shop):
    status, feed, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/calendar-feed", shop["owner"],
                           headers={"Host": "localhost:8000"})
    assert status == 200, feed
    no_store(call(client, "GET", feed["url"].removeprefix("http://localhost:8000"), headers={"If-None-Match": "*"}),
             200)


def test_refusals_are_no_store_and_never_304(client, shop, make_user):
    star = {"If-None-Match": "*"}
    assert no_store(call(client, "GET", "/v1/providers/nobody", headers=star), 404)["error"]["code"] == "not_found"
    bad = f"/v1/providers/{shop['pid']}/availability?service_id={shop['sid']}&from={DAY}"
    assert no_store(call(client, "GET", bad, headers=star), 400)["error"]["code"] == "invalid_request"
    assert no_store(call(client, "GET", "/v1/me/bookings", headers=star), 401)["error"]["code"] == "unauthenticated"
    hours = f"/v1/providers/{shop['pid']}/working-hours"
    assert no_store(call(client, "GET", hours, make_user(), headers=star), 403)["error"]["code"] == "forbidden"


# --- over HTTP, through the local server ----------------------------------------------------------

def test_a_304_over_http_has_no_body_and_the_connection_stays_usable(server):  # noqa: F811  (the fixture)
    with socket.create_connection(server, timeout=10) as connection:
        def exchange(headers: str) -> bytes:
            connection.sendall(f"GET /v1/categories HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n".encode())
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += connection.recv(65536)
            head, _, rest = answer.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))
            while len(rest) < length:
                rest += connection.recv(65536)
            return head + b"\r\n\r\n" + rest

        first = exchange("")
        assert first.startswith(b"HTTP/1.1 200") and b"Cache-Control: public, max-age=300" in first
        tag = next(line.split(b": ", 1)[1] for line in first.split(b"\r\n") if line.startswith(b"ETag:"))
        second = exchange(f"If-None-Match: {tag.decode()}\r\n")
        assert second.startswith(b"HTTP/1.1 304") and second.endswith(b"\r\n\r\n")
        assert f"ETag: {tag.decode()}".encode() in second
        # Nothing of a body was left on the connection: the next request is answered in full
        assert exchange("").startswith(b"HTTP/1.1 200")
