"""The console's "Services & rules" and "Bookings" sections, for a provider in St John's (-03:30) seen from a
browser in UTC: services added, edited and removed, rules changed, requests confirmed, declined and canceled,
the calendar link shown and replaced, refusals shown as the API's messages, and a phone's width."""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import expect

from tests.e2e.helpers import DAYS, expect as answered

TZ_NAME = "America/St_Johns"
TZ = ZoneInfo(TZ_NAME)


# --- through the API ---------------------------------------------------------------------------

def make_provider(api, users, services: List[Dict[str, Any]], rules: Optional[Dict[str, Any]] = None,
                  open_on: Optional[date] = None):
    """A new provider account owning a business in St John's with these services; with open_on, weekly hours
    08:00-18:00 on that date's weekday only (every day's slots would take the local stack some 10 s to lay out)."""
    owner = users.provider()
    body: Dict[str, Any] = {"name": f"Harbour spa {uuid.uuid4().hex[:6]}", "categories": ["massage", "beauty"],
                            "location": {"lat": 47.5615, "lon": -52.7126}, "timezone": TZ_NAME}
    if rules:
        body["booking_rules"] = rules
    provider_id = answered(api.post("/v1/providers", user=owner, json=body), 201)["provider_id"]
    if open_on is not None:
        weekly = {DAYS[open_on.weekday()]: [{"start": "08:00", "end": "18:00"}]}
        answered(api.put(f"/v1/providers/{provider_id}/working-hours", user=owner, json={"weekly": weekly}), 200)
    made = {}
    for service in services:
        made[service["name"]] = answered(api.post(f"/v1/providers/{provider_id}/services", user=owner,
                                                  json=service), 201)["service_id"]
    return owner, provider_id, made


def massage(name: str = "Swedish massage", minutes: int = 60) -> Dict[str, Any]:
    return {"name": name, "category": "massage", "duration_minutes": minutes,
            "price": {"amount": 4500, "currency": "EUR"}}


def profile(api, provider_id: str) -> Dict[str, Any]:
    return answered(api.get(f"/v1/providers/{provider_id}"), 200)


def local_today() -> date:
    return datetime.now(TZ).date()


def book(api, customer, provider_id: str, service_id: str, day: date, hhmm: str, note: Optional[str] = None):
    """The customer books the start at hhmm (St John's clock) that day, which availability must offer."""
    slots = answered(api.get(f"/v1/providers/{provider_id}/availability", params={
        "service_id": service_id, "from": day.isoformat(), "to": day.isoformat()}), 200)["slots"]
    wanted = [s["start"] for s in slots if s["local_start"][11:16] == hhmm]
    assert wanted, f"{hhmm} on {day} is not offered: {[s['local_start'] for s in slots][:5]}..."
    body = {"provider_id": provider_id, "service_id": service_id, "start": wanted[0]}
    if note:
        body["note"] = note
    return answered(api.post("/v1/bookings", user=customer, json=body,
                             headers={"Idempotency-Key": uuid.uuid4().hex}), 201)


def label(booking: Dict[str, Any]) -> str:
    """How the console names a booking: "Sun 29 Nov, 09:00–10:00" on the provider's clock."""
    start = datetime.fromisoformat(booking["start"].replace("Z", "+00:00")).astimezone(TZ)
    end = datetime.fromisoformat(booking["end"].replace("Z", "+00:00")).astimezone(TZ)
    return f"{start:%a} {start.day} {start:%b}, {start:%H:%M}–{end:%H:%M}"


def read_booking(api, user, booking_id: str) -> Dict[str, Any]:
    return answered(api.get(f"/v1/bookings/{booking_id}", user=user), 200)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


# --- the tests ---------------------------------------------------------------------------------

def test_services_are_added_edited_and_removed_and_rules_saved(console, users, api, shots):
    # Given a provider in St John's with one service, signed in to the console (whose browser runs in UTC)
    owner, provider_id, made = make_provider(api, users, [massage("Old massage")])
    session = console(owner)
    page = session.page
    page.get_by_role("link", name="Services & rules").click()
    expect(page.get_by_role("heading", name="Services & rules", level=1)).to_be_visible()
    expect(page.get_by_role("cell", name="Old massage", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="€45.00", exact=True)).to_be_visible()
    adding = page.get_by_role("form", name="Add a service")

    # When they add a service with a price of three decimals
    adding.get_by_label("Name").fill("Hot stones")
    adding.get_by_label("Category").select_option(label="Beauty")
    adding.get_by_label("Duration").select_option(label="1 h 30 min")
    adding.get_by_label("Buffer after").select_option(label="15 min")
    adding.get_by_label("Price").fill("12.345")
    adding.get_by_role("button", name="Add service").click()
    # Then the form refuses it itself, and nothing was added
    expect(adding.get_by_text("Price: at most 2 decimals in EUR, e.g. 45.00.")).to_be_visible()
    assert [s["name"] for s in profile(api, provider_id)["services"]] == ["Old massage"]

    # When the price is a proper one
    adding.get_by_label("Price").fill("45.50")
    adding.get_by_role("button", name="Add service").click()
    # Then it is added as typed, the price in whole cents, and listed
    expect(adding.get_by_text("Added Hot stones.")).to_be_visible()
    added = {s["name"]: s for s in profile(api, provider_id)["services"]}["Hot stones"]
    assert (added["category"], added["duration_minutes"], added["buffer_minutes"]) == ("beauty", 90, 15)
    assert added["price"] == {"amount": 4550, "currency": "EUR"}
    expect(page.get_by_role("row", name=re.compile("Hot stones"))).to_contain_text("1 h 30 min")

    # When they edit its price
    page.get_by_role("button", name="Edit Hot stones").click()
    editing = page.get_by_role("form", name="Edit Hot stones")
    editing.get_by_label("Price").fill("0.29")
    editing.get_by_role("button", name="Save service").click()
    # Then only the price changed, to exactly 29 cents
    expect(page.get_by_text("Saved Hot stones.")).to_be_visible()
    edited = {s["name"]: s for s in profile(api, provider_id)["services"]}["Hot stones"]
    assert edited["price"] == {"amount": 29, "currency": "EUR"}
    assert (edited["duration_minutes"], edited["buffer_minutes"]) == (90, 15)
    expect(page.get_by_role("cell", name="€0.29", exact=True)).to_be_visible()

    # When they remove the other service, first keeping it, then confirming
    page.get_by_role("button", name="Remove Old massage").click()
    expect(page.get_by_text("Remove Old massage?")).to_be_visible()
    page.get_by_role("button", name="Keep").click()
    expect(page.get_by_role("button", name="Remove Old massage")).to_be_focused()
    page.get_by_role("button", name="Remove Old massage").click()
    page.get_by_role("button", name="Yes, remove").click()
    # Then it is no longer offered
    expect(page.get_by_text("Removed Old massage.")).to_be_visible()
    assert [s["name"] for s in profile(api, provider_id)["services"]] == ["Hot stones"]
    expect(page.get_by_role("cell", name="Old massage", exact=True)).to_have_count(0)

    # When they turn auto-confirm off and ask for an impossible notice
    rules = page.get_by_role("form", name="Booking rules")
    rules.get_by_label("Confirm bookings automatically").uncheck()
    rules.get_by_label("Minimum notice (minutes)").fill("999999")
    rules.get_by_role("button", name="Save rules").click()
    # Then the API's own refusal is shown, and nothing changed
    refusal = api.patch(f"/v1/providers/{provider_id}", user=owner,
                        json={"booking_rules": {"auto_confirm": False, "min_notice_minutes": 999999}})
    assert refusal.status_code == 400
    expect(rules.get_by_text(refusal.json()["error"]["message"], exact=True)).to_be_visible()
    assert profile(api, provider_id)["booking_rules"]["auto_confirm"] is True

    # When the notice is a possible one
    rules.get_by_label("Minimum notice (minutes)").fill("30")
    rules.get_by_role("button", name="Save rules").click()
    # Then both rules are saved, and only they
    expect(rules.get_by_text("Rules saved.")).to_be_visible()
    saved = profile(api, provider_id)["booking_rules"]
    assert saved == {"auto_confirm": False, "min_notice_minutes": 30, "max_days_ahead": 60, "hold_minutes": 5,
                     "cancel_cutoff_minutes": 0}
    shots.take(page, "services-desktop")
    assert not session.errors, session.errors


def test_requests_are_confirmed_declined_and_canceled_on_the_providers_clock(console, users, api, shots, stack):
    # Given a provider in St John's who confirms by hand, and a customer's four requests two days ahead
    day = local_today() + timedelta(days=2)
    owner, provider_id, made = make_provider(api, users, [massage()], rules={"auto_confirm": False}, open_on=day)
    service_id = made["Swedish massage"]
    customer = users.customer()
    first = book(api, customer, provider_id, service_id, day, "09:00", note="Please use the side door")
    second = book(api, customer, provider_id, service_id, day, "11:00")
    third = book(api, customer, provider_id, service_id, day, "13:00")
    fourth = book(api, customer, provider_id, service_id, day, "15:30")
    assert {b["status"] for b in (first, second, third, fourth)} == {"PENDING"}
    assert label(first) == f"{day:%a} {day.day} {day:%b}, 09:00–10:00"

    # When the provider opens Bookings
    session = console(owner)
    page = session.page
    page.get_by_role("link", name="Bookings").click()
    waiting = page.get_by_role("region", name="Waiting for you")
    # Then the requests wait there, at their St John's times (12:30 UTC is 09:00 there), with the note
    card = waiting.get_by_role("listitem").filter(has_text=label(first))
    expect(card).to_contain_text("Swedish massage")
    expect(card).to_contain_text("Please use the side door")
    expect(waiting.get_by_role("listitem")).to_have_count(4)

    # When they confirm the first
    waiting.get_by_role("button", name=f"Confirm booking {label(first)}").click()
    # Then it is confirmed, for the customer too, and no longer waits
    expect(waiting.get_by_text(f"Confirmed {label(first)}.")).to_be_visible()
    assert read_booking(api, customer, first["booking_id"])["status"] == "CONFIRMED"
    expect(waiting.get_by_role("listitem")).to_have_count(3)

    # When they decline the second, saying why
    waiting.get_by_role("button", name=f"Decline booking {label(second)}").click()
    waiting.get_by_label("Reason for declining").fill("Fully booked that morning")
    waiting.get_by_role("button", name="Decline booking", exact=True).click()
    # Then the customer's booking is declined with that reason
    expect(waiting.get_by_text(f"Declined {label(second)}.")).to_be_visible()
    declined = read_booking(api, customer, second["booking_id"])
    assert (declined["status"], declined["reason"]) == ("DECLINED", "Fully booked that morning")

    # When the customer cancels the fourth meanwhile, and the provider then confirms it from the stale page
    answered(api.post(f"/v1/bookings/{fourth['booking_id']}/cancel", user=customer, json={}), 200)
    waiting.get_by_role("button", name=f"Confirm booking {label(fourth)}").click()
    # Then the API's refusal is shown next to that booking
    fourth_card = waiting.get_by_role("listitem").filter(has_text=label(fourth))
    expect(fourth_card.locator(".form-status.error")).not_to_be_empty()
    refusal = api.post(f"/v1/bookings/{fourth['booking_id']}/confirm", user=owner)
    assert refusal.status_code == 409
    expect(fourth_card.get_by_text(refusal.json()["error"]["message"], exact=True)).to_be_visible()

    # When they list all bookings of that day and cancel the third, saying why
    everything = page.get_by_role("region", name="All bookings")
    everything.get_by_label("Day").fill(day.isoformat())
    everything.get_by_role("button", name="Show").click()
    expect(everything.get_by_role("row")).to_have_count(5)  # the header and four bookings
    expect(everything.get_by_role("row", name=re.compile("09:00–10:00"))).to_contain_text("Confirmed")
    expect(everything.get_by_role("row", name=re.compile("11:00–12:00"))).to_contain_text(
        "Fully booked that morning")
    everything.get_by_role("button", name=f"Cancel booking {label(third)}").click()
    everything.get_by_label("Reason for canceling").fill("The therapist is ill")
    everything.get_by_role("button", name="Cancel booking", exact=True).click()
    # Then it is canceled with that reason, and the table says so
    expect(everything.get_by_text(f"Canceled {label(third)}.")).to_be_visible()
    canceled = read_booking(api, customer, third["booking_id"])
    assert (canceled["status"], canceled["reason"]) == ("CANCELED", "The therapist is ill")
    expect(everything.get_by_role("row", name=re.compile("13:00–14:00"))).to_contain_text("Canceled")
    expect(waiting.get_by_text("Nothing waiting.")).to_be_visible()

    # When they ask for the calendar link, then replace it
    calendar = page.get_by_role("region", name="Calendar subscription")
    calendar.get_by_role("button", name="Show calendar link").click()
    link = calendar.get_by_label("Calendar link")
    expect(link).to_have_value(re.compile("^" + re.escape(stack.api_url)))
    old_url = link.input_value()
    assert requests.get(old_url, timeout=10).status_code == 200
    calendar.get_by_role("button", name="Make a new link").click()
    calendar.get_by_role("button", name="Yes, make a new link").click()
    # Then a new link is shown and the old one no longer answers
    expect(calendar.get_by_text("The old link no longer works", exact=False)).to_be_visible()
    expect(link).not_to_have_value(old_url)
    assert link.input_value().startswith(stack.api_url)
    assert requests.get(old_url, timeout=10).status_code == 404
    # When they copy it, the browser allowing
    session.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.api_url)
    calendar.get_by_role("button", name="Copy link").click()
    # Then the clipboard holds the new link
    expect(calendar.get_by_text("Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link.input_value()
    shots.take(page, "bookings-desktop")
    assert not session.errors, session.errors


def test_a_phone_shows_both_sections_without_sideways_scrolling(console, users, api, shots):
    # Given a provider with two services and a request waiting
    day = local_today() + timedelta(days=1)
    owner, provider_id, made = make_provider(api, users, [
        massage("Deep tissue massage with hot stones and aromatherapy oils", 90), massage("Head massage", 30)],
        rules={"auto_confirm": False}, open_on=day)
    customer = users.customer()
    book(api, customer, provider_id, made["Head massage"], day, "10:00",
         note="Second floor, the buzzer is broken: please call when you arrive")

    # When they open Services & rules on a phone, and edit a service
    session = console(owner, phone=True)
    page = session.page
    page.get_by_role("link", name="Services & rules").click()
    page.get_by_role("button", name="Edit Head massage").click()
    expect(page.get_by_role("form", name="Edit Head massage")).to_be_visible()
    # Then nothing makes the page scroll sideways
    assert no_sideways_scroll(page)
    shots.take(page, "services-phone")

    # When they open Bookings, with a decline being written
    page.get_by_role("link", name="Bookings").click()
    waiting = page.get_by_role("region", name="Waiting for you")
    waiting.get_by_role("button", name=re.compile("^Decline booking")).click()
    expect(waiting.get_by_label("Reason for declining")).to_be_focused()
    calendar = page.get_by_role("region", name="Calendar subscription")
    calendar.get_by_role("button", name="Show calendar link").click()
    expect(calendar.get_by_label("Calendar link")).to_be_visible()
    # And when the browser refuses to copy the link
    page.evaluate("() => { navigator.clipboard.writeText = "
                  "() => Promise.reject(new DOMException('refused', 'NotAllowedError')); }")
    calendar.get_by_role("button", name="Copy link").click()
    # Then the link is selected for copying by hand, and the page says so
    expect(calendar.get_by_text("press Ctrl+C", exact=False)).to_be_visible()
    expect(calendar.get_by_label("Calendar link")).to_be_focused()
    # Then it fits the phone's width too
    assert no_sideways_scroll(page)
    shots.take(page, "bookings-phone")
    assert not session.errors, session.errors
