"""Demo data for the local stack: providers in four cities over all six categories, with hours and services."""
from __future__ import annotations

import os
import random
import time
from datetime import date, datetime, timedelta, timezone
from typing import Tuple

from chalicelib.domain.entities import Caller
from chalicelib.domain.model import BookSlot, CreateProvider, CreateService
from chalicelib.service import availability, bookings, catalog, providers, schedule

CITIES = [
    ("London", "Europe/London", 51.5074, -0.1278),
    ("New York", "America/New_York", 40.7128, -74.0060),
    ("Berlin", "Europe/Berlin", 52.5200, 13.4050),
    ("Sydney", "Australia/Sydney", -33.8688, 151.2093),
]
SERVICES = {
    "cleaning": [("Standard clean", 120, 30, 6000), ("Deep clean", 240, 30, 14000)],
    "home-repair": [("Handyman hour", 60, 15, 5500), ("Furniture assembly", 120, 15, 9000)],
    "plumbing": [("Leak repair", 60, 30, 8000), ("Boiler service", 90, 30, 12000)],
    "beauty": [("Haircut", 45, 15, 3500), ("Manicure", 30, 0, 2500), ("Colour", 120, 15, 9000)],
    "massage": [("Swedish massage", 60, 15, 6500), ("Deep tissue", 90, 15, 8500)],
    "tutoring": [("Maths lesson", 60, 0, 4000), ("Exam prep", 90, 0, 6000)],
}
NAMES = {
    "cleaning": ["Sparkle", "Fresh Home", "Tidy Crew"],
    "home-repair": ["Fix-It", "Handy Hands", "Sound Build"],
    "plumbing": ["Pipe Pros", "Flow Plumbing", "Drip Stop"],
    "beauty": ["Glow Studio", "Cut & Colour", "Polish Bar"],
    "massage": ["Knead", "Calm Rooms", "Tension Off"],
    "tutoring": ["Bright Minds", "Study Hall", "Top Marks"],
}
WEEKDAY_HOURS = [{"start": "09:00", "end": "12:30"}, {"start": "13:30", "end": "18:00"}]
SATURDAY_HOURS = [{"start": "10:00", "end": "14:00"}]


def _hours():
    week = {day: WEEKDAY_HOURS for day in ("mon", "tue", "wed", "thu", "fri")}
    return {"weekly": {**week, "sat": SATURDAY_HOURS, "sun": []}}


def seed(demo_provider_sub: str) -> list:
    """Create the demo providers; the first two belong to the demo provider account."""
    rng = random.Random(2026)
    created = []
    index = 0
    for city, tz, lat, lon in CITIES:
        for category in SERVICES:
            for name in NAMES[category][: 2 if city == "London" else 1]:
                index += 1
                owner = demo_provider_sub if index <= 2 else f"seed-owner-{index}"
                caller = Caller(user_id=owner, groups=frozenset({"providers"}))
                profile = providers.create_provider(caller, CreateProvider(
                    name=f"{name} {city}", description=f"{category.replace('-', ' ').title()} in {city}.",
                    categories=[category],
                    location={"lat": lat + rng.uniform(-0.08, 0.08), "lon": lon + rng.uniform(-0.08, 0.08),
                              "address": f"{rng.randint(1, 200)} High Street, {city}"},
                    timezone=tz,
                    booking_rules={"auto_confirm": index % 3 != 0, "min_notice_minutes": 60,
                                   "max_days_ahead": 60, "hold_minutes": 5, "cancel_cutoff_minutes": 120}))
                provider_id = profile["provider_id"]
                for service_name, duration, buffer, price in SERVICES[category]:
                    catalog.create_service(caller, provider_id, CreateService(
                        name=service_name, category=category, duration_minutes=duration, buffer_minutes=buffer,
                        price={"amount": price, "currency": "USD" if city == "New York" else
                               "AUD" if city == "Sydney" else "GBP" if city == "London" else "EUR"}))
                schedule.put_working_hours(caller, provider_id, _hours())
                created.append((profile["name"], provider_id, tz, owner == demo_provider_sub))
    return created


def book_for_demo_customer(customer_sub: str, provider_id: str) -> Tuple[str, str]:
    """The demo customer books the provider's first service at its first free time from the day after tomorrow."""
    service_id = providers.get_profile(provider_id)["services"][0]["service_id"]
    first = date.today() + timedelta(days=2)
    slots = availability.get_availability(provider_id, service_id, first.isoformat(),
                                          (first + timedelta(days=6)).isoformat())["slots"]
    key = f"demo-{datetime.now(timezone.utc):%Y%m%d}"
    answer = bookings.book(Caller(user_id=customer_sub), key,
                           BookSlot(provider_id=provider_id, service_id=service_id, start=slots[0]["start"]))
    return answer.body["booking_id"], answer.body["local_start"]


def main() -> None:
    started = time.monotonic()
    created = seed(os.environ["DEMO_PROVIDER_SUB"])
    print(f"Loaded {len(created)} demo providers in {len(CITIES)} cities in {time.monotonic() - started:.0f} s.")
    for name, provider_id, tz, demo in created:
        if demo:
            print(f"  demo provider's own: {name} ({tz}) id {provider_id}")
    if os.environ.get("DEMO_CUSTOMER_SUB"):
        name, provider_id = next((name, pid) for name, pid, _, demo in created if demo)
        booking_id, local_start = book_for_demo_customer(os.environ["DEMO_CUSTOMER_SUB"], provider_id)
        print(f"  the demo customer booked {name} at {local_start} (booking {booking_id}): its notices are in "
              "both demo users' inboxes and e-mails (make mail)")


if __name__ == "__main__":
    main()
