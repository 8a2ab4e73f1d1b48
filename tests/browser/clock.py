"""A provider's clock for the browser tests: local dates, wall times as UTC instants, and the console's labels."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


class Clock:
    """Wall-clock helpers in one IANA zone."""

    def __init__(self, zone: str) -> None:
        self.zone = ZoneInfo(zone)

    def today(self) -> date:
        """Today's date on this clock."""
        return datetime.now(self.zone).date()

    def utc(self, day: date, hhmm: str) -> str:
        """The instant of a wall time on this clock, as the API writes it ("...Z"); "24:00" is the next midnight."""
        hour, minute = (int(part) for part in hhmm.split(":"))
        local = datetime.combine(day, time(0, 0), tzinfo=self.zone) + timedelta(hours=hour, minutes=minute)
        return local.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def show_week_of(self, page, monday: date) -> None:
        """On the schedule, from the week it opens with (this week on this clock) to the week starting `monday`."""
        from playwright.sync_api import expect

        this_monday = self.today() - timedelta(days=self.today().weekday())
        expect(page.get_by_role("heading", name=f"Week of {day_label(this_monday)}")).to_be_visible()
        for _ in range((monday - this_monday).days // 7):
            page.get_by_role("button", name="Next week").click()
        expect(page.get_by_role("heading", name=f"Week of {day_label(monday)}")).to_be_visible()

    def hhmm(self, instant: str) -> str:
        """The wall time of an API instant on this clock."""
        return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(self.zone).strftime("%H:%M")


def day_label(day: date) -> str:
    """As console/js/time.js dayLabel: "Mon 1 Dec"."""
    return f"{day.strftime('%a')} {day.day} {day.strftime('%b')}"


def long_day_label(day: date) -> str:
    """A day box's accessible name in the week view: "Tuesday 2 December"."""
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B')}"
