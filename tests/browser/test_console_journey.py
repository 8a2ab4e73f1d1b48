"""The provider's day in the console, end to end: sign in, set up the business, open hours, add a service, block
an afternoon, see a customer's booking (made through the API) arrive, confirm it; the customer then reads it
CONFIRMED. Also: keyboard-only sign-in, sign-out, an expired session, and screenshots of the main screens.

The business is in Asia/Kathmandu (+05:45) while the browser runs in UTC: a time handled on the wrong clock is
a wrong instant in the API or a wrong label on the page.
"""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.clock import Clock, day_label, long_day_label
from tests.e2e.helpers import expect as answered
from tests.e2e.helpers import key

TZ_NAME = "Asia/Kathmandu"
CLOCK = Clock(TZ_NAME)
local_today, utc = CLOCK.today, CLOCK.utc
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def test_a_provider_sets_up_and_confirms_a_customers_booking(console, users, api, shots):
    # Given a new provider account, and the console's sign-in page at both sizes
    owner = users.provider()
    phone = console(phone=True)
    phone.open()
    expect(phone.page.get_by_role("heading", name="Sign in")).to_be_visible()
    shots.take(phone.page, "signin-phone")
    session = console()
    page = session.page
    session.open()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shots.take(page, "signin-desktop")

    # When they sign in, having no business yet, and fill in the onboarding form
    session.sign_in(owner)
    expect(page.get_by_role("heading", name="Set up your business")).to_be_visible()
    page.get_by_label("Business name").fill("Himalaya Massage")
    page.get_by_label("Description").fill("Traditional massage near Durbar Square.")
    page.get_by_label("Massage").check()
    page.get_by_label("Address").fill("12 Freak Street, Kathmandu")
    page.get_by_label("Latitude").fill("27.7041")
    page.get_by_label("Longitude").fill("85.3066")
    page.get_by_label("Time zone").fill(TZ_NAME)
    shots.take(page, "onboarding-desktop")
    page.get_by_role("button", name="Create business").click()
    # Then the business exists as typed, and the schedule is next
    expect(page.get_by_role("heading", name="Schedule", level=1)).to_be_visible()
    mine = answered(api.get("/v1/me/providers", user=owner), 200)["providers"]
    assert [(p["name"], p["timezone"], p["categories"]) for p in mine] == [
        ("Himalaya Massage", TZ_NAME, ["massage"])]
    provider_id = mine[0]["provider_id"]
    assert mine[0]["location"] == {"lat": 27.7041, "lon": 85.3066, "address": "12 Freak Street, Kathmandu"}

    # When they open 09:00-17:00 on the day after tomorrow's weekday
    day = local_today() + timedelta(days=2)
    weekday = WEEKDAY_NAMES[day.weekday()]
    page.get_by_role("button", name=f"Add hours to {weekday}").click()
    page.get_by_label(f"{weekday} opens 1").fill("09:00")
    page.get_by_label(f"{weekday} closes 1").fill("17:00")
    page.get_by_role("button", name="Save working hours").click()
    expect(page.get_by_text("Working hours saved.")).to_be_visible()
    hours = answered(api.get(f"/v1/providers/{provider_id}/working-hours", user=owner), 200)
    assert hours["weekly"][weekday[:3].lower()] == [{"start": "09:00", "end": "17:00"}]

    # And add a service and have bookings confirmed by hand
    page.get_by_role("link", name="Services & rules").click()
    adding = page.get_by_role("form", name="Add a service")
    adding.get_by_label("Name").fill("Back massage")
    adding.get_by_label("Category").select_option(label="Massage")
    adding.get_by_label("Duration").select_option(label="1 h")
    adding.get_by_label("Price").fill("30.00")
    adding.get_by_role("button", name="Add service").click()
    expect(adding.get_by_text("Added Back massage.")).to_be_visible()
    rules = page.get_by_role("form", name="Booking rules")
    rules.get_by_label("Confirm bookings automatically").uncheck()
    rules.get_by_role("button", name="Save rules").click()
    expect(rules.get_by_text("Rules saved.")).to_be_visible()
    shots.take(page, "services-journey-desktop")
    profile = answered(api.get(f"/v1/providers/{provider_id}"), 200)
    assert profile["booking_rules"]["auto_confirm"] is False
    service = profile["services"][0]
    assert (service["name"], service["duration_minutes"], service["price"]) == (
        "Back massage", 60, {"amount": 3000, "currency": service["price"]["currency"]})

    # And block that day's afternoon
    page.get_by_role("link", name="Schedule").click()
    form = page.locator(".schedule-blocks form")
    form.get_by_label("Date").fill(day.isoformat())
    form.get_by_label("From").fill("13:00")
    form.get_by_label("Until").fill("17:00")
    form.get_by_label("Reason").fill("Training")
    form.get_by_role("button", name="Block time").click()
    expect(form.get_by_text(f"Blocked {day_label(day)} 13:00–17:00.")).to_be_visible()
    # Then customers are offered that morning only, on the provider's clock
    slots = answered(api.get(f"/v1/providers/{provider_id}/availability", params={
        "service_id": service["service_id"], "from": day.isoformat(), "to": day.isoformat()}), 200)["slots"]
    starts = [s["local_start"][11:16] for s in slots]
    assert starts[0] == "09:00" and starts[-1] == "12:00", starts

    # When a customer books 10:00 through the API
    customer = users.customer()
    booking = answered(api.post("/v1/bookings", user=customer, headers=key(), json={
        "provider_id": provider_id, "service_id": service["service_id"], "start": utc(day, "10:00"),
        "note": "Lower back, please"}), 201)
    assert booking["status"] == "PENDING"
    # Then the provider's week shows it beside the block, at the local time
    CLOCK.show_week_of(page, day - timedelta(days=day.weekday()))
    page.get_by_role("button", name="Refresh").click()
    box = page.get_by_role("region", name=long_day_label(day))
    expect(box.locator(".entry")).to_have_text([
        "Open 09:00–17:00", "10:00–11:00 · Back massage · Pending", "13:00–17:00 · Blocked · Training"])
    expect(page.get_by_role("button", name="Refresh")).to_be_enabled()
    shots.take(page, "schedule-journey-desktop")

    # When the provider confirms it from the bookings section
    page.get_by_role("link", name="Bookings").click()
    when = f"{day_label(day)}, 10:00–11:00"
    waiting = page.get_by_role("region", name="Waiting for you")
    expect(waiting).to_contain_text("Lower back, please")
    waiting.get_by_role("button", name=f"Confirm booking {when}").click()
    expect(page.get_by_text(f"Confirmed {when}.")).to_be_visible()
    # Then the customer reads it CONFIRMED through the API
    assert answered(api.get(f"/v1/bookings/{booking['booking_id']}", user=customer), 200)["status"] == "CONFIRMED"
    expect(waiting).to_contain_text("Nothing waiting.")

    # And the onboarding form fits a phone as well
    phone.sign_in(owner)
    phone.page.get_by_label("Business").select_option(label="+ Add a business")
    expect(phone.page.get_by_role("heading", name="Set up your business")).to_be_visible()
    shots.take(phone.page, "onboarding-phone")
    assert not session.errors and not phone.errors, session.errors + phone.errors


def test_keyboard_only_sign_in_and_sign_out(console, users):
    # Given a provider who already has a business
    owner = users.provider()
    session = console()
    page = session.page
    session.open()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # When they sign in with the keyboard alone
    page.get_by_label("E-mail").focus()
    page.keyboard.type(owner.email)
    page.keyboard.press("Tab")
    page.keyboard.type(owner.password)
    page.keyboard.press("Enter")
    # Then they are in, and the page's heading has the focus
    expect(page.get_by_role("heading", name="Set up your business")).to_be_focused()
    # When they press the sign-out button from the keyboard
    page.get_by_role("button", name="Sign out").focus()
    page.keyboard.press("Enter")
    # Then they are told, the token is gone from the tab, and the sign-in form is back
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('console.session')") is None
    assert page.evaluate("document.cookie") == ""
    assert not session.errors, session.errors


def test_an_expired_session_is_told_and_asks_to_sign_in_again(console, users, api):
    # Given a signed-in provider with a business
    owner = users.provider()
    answered(api.post("/v1/providers", user=owner, json={
        "name": "Expiry Test", "categories": ["tutoring"], "location": {"lat": 27.7, "lon": 85.3},
        "timezone": TZ_NAME}), 201)
    session = console(owner)
    page = session.page
    expect(page.get_by_role("heading", name="Schedule", level=1)).to_be_visible()
    # When the API no longer accepts the token the tab holds (as once it has expired)
    page.evaluate("""() => {
        const s = JSON.parse(sessionStorage.getItem('console.session'));
        s.idToken = s.idToken.slice(0, -6) + 'AAAAAA';
        sessionStorage.setItem('console.session', JSON.stringify(s));
    }""")
    page.get_by_role("link", name="Bookings").click()
    # Then the page says so and shows the sign-in form, with no crash
    expect(page.get_by_text("Your session has expired. Please sign in again.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # When a stored session's expiry time has passed, a reload goes to sign-in at once
    session.sign_in(owner)
    page.evaluate("""() => {
        const s = JSON.parse(sessionStorage.getItem('console.session'));
        s.expiresAt = Date.now() - 1000;
        sessionStorage.setItem('console.session', JSON.stringify(s));
    }""")
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert not session.errors, session.errors
