"""The schedule section: hours, overrides and blocks typed on the provider's clock are stored as meant, and the
week shows bookings, holds and blocks at the provider's local time.

The provider is in Australia/Adelaide (+10:30 in summer, +09:30 in winter) while the browser runs in UTC, so
any time handled in the browser's zone instead of the provider's shows up as a wrong instant or a wrong label.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.clock import Clock, day_label, long_day_label
from tests.e2e.helpers import expect as expect_status
from tests.e2e.helpers import key

TZ_NAME = "Australia/Adelaide"
CLOCK = Clock(TZ_NAME)
local_today, utc = CLOCK.today, CLOCK.utc
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def new_provider(api, users, hours=None, rules=None):
    """A provider in Adelaide with one 60-minute service, and (optionally) working hours and booking rules."""
    owner = users.provider()
    body = {"name": f"Adelaide massage {uuid.uuid4().hex[:6]}", "categories": ["massage"],
            "location": {"lat": -34.9285, "lon": 138.6007}, "timezone": TZ_NAME}
    if rules:
        body["booking_rules"] = rules
    profile = expect_status(api.post("/v1/providers", user=owner, json=body), 201)
    provider_id = profile["provider_id"]
    service = expect_status(api.post(f"/v1/providers/{provider_id}/services", user=owner, json={
        "name": "Massage 60", "category": "massage", "duration_minutes": 60,
        "price": {"amount": 6000, "currency": "AUD"}}), 201)
    if hours is not None:
        expect_status(api.put(f"/v1/providers/{provider_id}/working-hours", user=owner, json=hours), 200)
    return owner, provider_id, service["service_id"]


def test_working_hours_and_overrides_typed_in_the_console_are_stored_as_typed(console, users, api):
    # Given a new provider in Adelaide with no hours, signed in to the console in a browser running in UTC
    owner, provider_id, _ = new_provider(api, users)
    session = console(owner)
    page = session.page
    expect(page.get_by_role("heading", name="Schedule", level=1)).to_be_visible()
    expect(page.get_by_text(TZ_NAME, exact=False).first).to_be_visible()
    expect(page.get_by_role("group", name="Monday").get_by_text("Closed")).to_be_visible()

    # When they give Monday two intervals, the second closing at midnight (typed 00:00), and copy it to Tue-Fri
    page.get_by_role("button", name="Add hours to Monday").click()
    page.get_by_label("Monday opens 1").fill("08:30")
    page.get_by_label("Monday closes 1").fill("09:30")
    page.get_by_role("button", name="Add hours to Monday").click()
    page.get_by_label("Monday opens 2").fill("22:45")
    page.get_by_label("Monday closes 2").fill("00:00")
    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    page.get_by_role("button", name="Copy Monday to Tuesday–Friday").click()
    expect(page.get_by_label("Friday closes 2")).to_have_value("00:00")
    # And add a date with special hours and a date closed all day
    special, closed = local_today() + timedelta(days=10), local_today() + timedelta(days=11)
    overrides = page.locator(".override-add")
    overrides.get_by_label("Date").fill(special.isoformat())
    overrides.get_by_label("Special hours").check()
    page.get_by_label("Override opens 1").fill("10:00")
    page.get_by_label("Override closes 1").fill("14:00")
    page.get_by_role("button", name="Add override").click()
    overrides.get_by_label("Date").fill(closed.isoformat())
    overrides.get_by_label("Closed all day").check()
    page.get_by_role("button", name="Add override").click()
    expect(page.locator(".override-list")).to_contain_text(f"{day_label(special)}: 10:00–14:00")
    expect(page.locator(".override-list")).to_contain_text(f"{day_label(closed)}: Closed all day")
    # And save
    page.get_by_role("button", name="Save working hours").click()

    # Then the console says so, and the API holds exactly what was typed
    expect(page.get_by_text("Working hours saved.")).to_be_visible()
    expect(page.get_by_text("Unsaved changes")).to_be_hidden()
    stored = expect_status(api.get(f"/v1/providers/{provider_id}/working-hours", user=owner), 200)
    two = [{"start": "08:30", "end": "09:30"}, {"start": "22:45", "end": "24:00"}]
    assert stored == {
        "weekly": {day: two if day in WEEKDAYS[:5] else [] for day in WEEKDAYS},
        "overrides": [{"date": special.isoformat(), "intervals": [{"start": "10:00", "end": "14:00"}]},
                      {"date": closed.isoformat(), "intervals": []}],
    }
    # And this week's Monday shows them
    monday = local_today() - timedelta(days=local_today().weekday())
    monday_box = page.get_by_role("region", name=long_day_label(monday))
    expect(monday_box.locator(".entry.open")).to_have_text(["Open 08:30–09:30", "Open 22:45–24:00"])

    # When Tuesday's first interval closes before it opens and they save
    page.get_by_label("Tuesday closes 1").fill("08:00")
    page.get_by_role("button", name="Save working hours").click()
    # Then the API's own message is shown, the field is marked, and nothing changed
    wrong = dict(stored, weekly=dict(stored["weekly"], tue=[{"start": "08:30", "end": "08:00"}] + two[1:]))
    message = expect_status(api.put(f"/v1/providers/{provider_id}/working-hours", user=owner, json=wrong),
                            400)["error"]["message"]
    expect(page.get_by_text(message, exact=True)).to_be_visible()
    expect(page.get_by_label("Tuesday closes 1")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    assert expect_status(api.get(f"/v1/providers/{provider_id}/working-hours", user=owner), 200) == stored
    assert not session.errors, session.errors


def test_blocks_bookings_and_holds_are_shown_on_the_providers_clock(console, users, api, shots):
    # Given a provider in Adelaide open 09:00-17:00 on the day after tomorrow and another day of its week (only
    # two weekdays: laying out the slots of open hours is what makes saving hours slow), confirming bookings
    # by hand, signed in to the console and looking at that week, where nothing is booked yet
    day = local_today() + timedelta(days=2)
    monday = day - timedelta(days=day.weekday())
    other = monday if monday != day else monday + timedelta(days=1)
    owner, provider_id, service_id = new_provider(
        api, users, rules={"auto_confirm": False},
        hours={"weekly": {WEEKDAYS[d.weekday()]: [{"start": "09:00", "end": "17:00"}] for d in (day, other)}})
    session = console(owner)
    page = session.page
    CLOCK.show_week_of(page, monday)
    box = page.get_by_role("region", name=long_day_label(day))
    expect(box.locator(".entry")).to_have_text(["Open 09:00–17:00"])
    expect(box).to_contain_text("Nothing booked")
    # And, meanwhile, a customer books 10:00 (which the owner confirms) and 11:00, and holds 14:00 (local)
    customer = users.customer()
    booked = []
    for start in ("10:00", "11:00"):
        booked.append(expect_status(api.post("/v1/bookings", user=customer, headers=key(), json={
            "provider_id": provider_id, "service_id": service_id, "start": utc(day, start)}), 201))
    expect_status(api.post(f"/v1/bookings/{booked[0]['booking_id']}/confirm", user=owner), 200)
    hold = expect_status(api.post("/v1/holds", user=customer, json={
        "provider_id": provider_id, "service_id": service_id, "start": utc(day, "14:00")}), 201)

    # When the provider blocks the afternoon from 15:00 until midnight (typed 00:00)
    form = page.locator(".schedule-blocks form")
    form.get_by_label("Date").fill(day.isoformat())
    form.get_by_label("From").fill("15:00")
    form.get_by_label("Until").fill("00:00")
    form.get_by_label("Reason").fill("Dentist")
    form.get_by_role("button", name="Block time").click()
    # Then it is told, and the API stores the right instants in UTC
    expect(form.get_by_text(f"Blocked {day_label(day)} 15:00–24:00.")).to_be_visible()
    blocks = expect_status(api.get(f"/v1/providers/{provider_id}/blocks", user=owner), 200)["blocks"]
    assert [(b["start"], b["end"], b["reason"]) for b in blocks] == [
        (utc(day, "15:00"), utc(day + timedelta(days=1), "00:00"), "Dentist")]
    block_label = f"{day_label(day)}, 15:00–24:00"
    expect(page.get_by_role("button", name=f"Remove block {block_label}")).to_be_visible()

    # When they try to block time over the confirmed booking
    form.get_by_label("From").fill("09:45")
    form.get_by_label("Until").fill("10:30")
    form.get_by_label("Reason").fill("")
    form.get_by_role("button", name="Block time").click()
    # Then the API's refusal is shown, with the booking in the way
    refused = expect_status(api.post(f"/v1/providers/{provider_id}/blocks", user=owner, json={
        "start": utc(day, "09:45"), "end": utc(day, "10:30")}), 409, "conflicts_with_bookings")
    expect(form.get_by_text(refused["error"]["message"], exact=True)).to_be_visible()
    expect(form.locator(".conflicts")).to_contain_text(f"{day_label(day)}, 10:00–11:00 · Massage 60 · Confirmed")
    # When they try to block the held time
    form.get_by_label("From").fill("14:00")
    form.get_by_label("Until").fill("14:30")
    form.get_by_role("button", name="Block time").click()
    # Then that refusal is shown as the API words it
    taken = expect_status(api.post(f"/v1/providers/{provider_id}/blocks", user=owner, json={
        "start": utc(day, "14:00"), "end": utc(day, "14:30")}), 409, "slot_unavailable")
    expect(form.get_by_text(taken["error"]["message"], exact=True)).to_be_visible()
    expect(form.locator(".conflicts")).to_be_hidden()

    # When they refresh the week
    page.get_by_role("button", name="Refresh").click()
    # Then the day lists, by local start, its hours, both bookings, the hold and the block
    expect(box.locator(".entry")).to_have_text([
        "Open 09:00–17:00",
        "10:00–11:00 · Massage 60 · Confirmed",
        "11:00–12:00 · Massage 60 · Pending",
        f"14:00–15:00 · Held until {CLOCK.hhmm(hold['expires_at'])}",
        "15:00–24:00 · Blocked · Dentist",
    ])
    expect(box.locator(".entry.booking.pending")).to_have_text("11:00–12:00 · Massage 60 · Pending")
    # And the other open day of the week has nothing booked, and a third is closed
    closed_day = next(monday + timedelta(days=n) for n in range(7) if monday + timedelta(days=n) not in (day, other))
    expect(page.get_by_role("region", name=long_day_label(closed_day))).to_contain_text("Closed")
    expect(page.get_by_role("region", name=long_day_label(other))).to_contain_text("Nothing booked")
    expect(page.get_by_role("button", name="Refresh")).to_be_enabled()
    shots.take(page, "schedule-desktop")

    # When the same provider looks on a phone
    phone = console(owner, phone=True)
    CLOCK.show_week_of(phone.page, monday)
    expect(phone.page.get_by_role("region", name=long_day_label(day)).locator(".entry.hold")).to_be_visible()
    # Then the page fits the screen's width
    assert phone.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shots.take(phone.page, "schedule-phone")

    # When they remove the block
    page.get_by_role("button", name=f"Remove block {block_label}").click()
    # Then it is gone from the list, the week and the API
    expect(page.get_by_text("No blocked time coming up.")).to_be_visible()
    expect(box.locator(".entry.block")).to_have_count(0)
    assert expect_status(api.get(f"/v1/providers/{provider_id}/blocks", user=owner), 200)["blocks"] == []
    assert not session.errors, session.errors
    assert not phone.errors, phone.errors
