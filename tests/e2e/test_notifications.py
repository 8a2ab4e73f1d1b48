"""After the commit, over real HTTP: inboxes fill from the table's stream within seconds, e-mails carry the .ics,
and the audit trail tells a booking's life in order."""
from __future__ import annotations

import email
import time
from datetime import timezone
from typing import Any, Callable, Dict, List

import requests
import vobject

from tests.e2e.helpers import at, book, create_provider, expect, future_day

INBOX_DEADLINE = 10.0


def inbox(api, user) -> List[Dict[str, Any]]:
    return expect(api.get("/v1/me/notifications?limit=100", user=user), 200)["notifications"]


def wait_for(what: str, check: Callable[[], Any], deadline: float = INBOX_DEADLINE) -> float:
    """Poll until check() is truthy; the seconds it took (fails after `deadline`)."""
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > deadline:
            raise AssertionError(f"{what}: not within {deadline:.0f} s")
        time.sleep(0.2)


def types_of(api, user, booking_id: str) -> List[str]:
    return [n["type"] for n in inbox(api, user) if n["booking_id"] == booking_id]


def test_each_step_of_a_booking_reaches_both_inboxes_within_ten_seconds(api, users):
    # Given a provider that confirms by hand, and a customer
    shop = create_provider(api, users, rules={"auto_confirm": False, "min_notice_minutes": 0})
    customer = users.customer()
    day = future_day(4)
    # When the customer books
    booking = expect(book(api, customer, shop, at(day, "10:00")), 201)
    booking_id = booking["booking_id"]
    # Then the request is in both inboxes within 10 s
    took = [wait_for("the request", lambda: "booking_pending" in types_of(api, customer, booking_id)
                     and "booking_requested" in types_of(api, shop.owner, booking_id))]
    # When the owner confirms, the customer moves it, and then cancels
    expect(api.post(f"/v1/bookings/{booking_id}/confirm", user=shop.owner), 200)
    took.append(wait_for("the confirmation", lambda: "booking_confirmed" in types_of(api, customer, booking_id)))
    expect(api.post(f"/v1/bookings/{booking_id}/reschedule", user=customer, json={"start": at(day, "14:00")}), 200)
    took.append(wait_for("the move", lambda: "booking_rescheduled" in types_of(api, customer, booking_id)
                         and "booking_rescheduled" in types_of(api, shop.owner, booking_id)))
    expect(api.post(f"/v1/bookings/{booking_id}/cancel", user=customer, json={"reason": "ill"}), 200)
    took.append(wait_for("the cancellation", lambda: "booking_canceled" in types_of(api, customer, booking_id)
                         and "booking_canceled" in types_of(api, shop.owner, booking_id)))
    # Then every notice is there once, newest first
    assert types_of(api, customer, booking_id) == [
        "booking_canceled", "booking_rescheduled", "booking_confirmed", "booking_pending"]
    assert types_of(api, shop.owner, booking_id) == ["booking_canceled", "booking_rescheduled", "booking_requested"]
    print(f"inbox latencies (s): {[round(t, 2) for t in took]}")
    assert max(took) < INBOX_DEADLINE
    # And the audit trail tells the booking's life in order
    def trail():
        events = expect(api.get(f"/v1/providers/{shop.provider_id}/audit?limit=100", user=shop.owner), 200)["events"]
        return [e["type"] for e in events if e.get("booking_id") == booking_id]

    wait_for("the audit trail", lambda: len(trail()) >= 4)
    assert trail() == ["booking.created", "booking.confirmed", "booking.rescheduled", "booking.canceled"]


def test_a_declined_request_reaches_the_customer(api, users):
    shop = create_provider(api, users, rules={"auto_confirm": False, "min_notice_minutes": 0})
    customer = users.customer()
    booking_id = expect(book(api, customer, shop, at(future_day(5), "11:00")), 201)["booking_id"]
    expect(api.post(f"/v1/bookings/{booking_id}/decline", user=shop.owner, json={"reason": "closed"}), 200)
    wait_for("the decline", lambda: "booking_declined" in types_of(api, customer, booking_id))
    declined = next(n for n in inbox(api, customer) if n["type"] == "booking_declined")
    assert "Reason: closed" in declined["body"] and declined["read"] is False
    expect(api.post(f"/v1/me/notifications/{declined['notification_id']}/read", user=customer), 204)
    assert next(n for n in inbox(api, customer) if n["type"] == "booking_declined")["read"] is True


def _sent_mails(stack) -> List[email.message.Message]:
    """The messages the emulated SES took (its server keeps the raw MIME)."""
    data = requests.get(f"{stack.aws_endpoint_url}/moto-api/data.json", timeout=10).json()
    return [email.message_from_string(m["raw_data"]) for m in data.get("ses", {}).get("RawMessage", [])]


def test_the_confirmation_e_mail_carries_an_ics_with_the_right_start(api, users, stack):
    shop = create_provider(api, users)
    customer = users.customer()
    start = at(future_day(6), "09:30")
    booking_id = expect(book(api, customer, shop, start), 201)["booking_id"]

    def mail_for_customer():
        return [m for m in _sent_mails(stack) if customer.email in m["To"]
                and any(part.get_filename() == "booking.ics" for part in m.walk())]

    wait_for("the e-mail", mail_for_customer)
    for message in mail_for_customer():
        ics = next(part.get_payload(decode=True) for part in message.walk() if part.get_filename() == "booking.ics")
        event = vobject.readOne(ics.decode()).vevent
        if event.uid.value.startswith(booking_id):
            utc = event.dtstart.value.astimezone(timezone.utc)
            assert utc.strftime("%Y-%m-%dT%H:%M:%SZ") == start
            return
    raise AssertionError("no e-mail with this booking's .ics")
