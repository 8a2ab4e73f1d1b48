"""What happens to booked, held and blocked time over a booking's life, over real HTTP.

Each test makes its own provider. The two hold-expiry tests need a hold to lapse (hold_minutes 1,
about 61 s): `lapsing_holds` places those holds when this module starts, and the expiry tests come
last, so the other tests run while the holds lapse (edge case first: it needs the very second after
expiry).
"""
from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict

import pytest

from tests.e2e.helpers import (
    TZ,
    Shop,
    at,
    available,
    book,
    booking_body,
    create_provider,
    describe,
    expect,
    future_day,
    key,
    parse_utc,
    provider_bookings,
    weekly,
)


def booking_of(api, user, booking_id: str) -> Dict[str, Any]:
    return expect(api.get(f"/v1/bookings/{booking_id}", user=user), 200)


# --- holds that lapse (placed first, checked last) -----------------------------------------

@dataclass
class LapsingHold:
    shop: Shop
    holder: Any
    hold: Dict[str, Any]

    @property
    def expires_at(self) -> datetime:
        return parse_utc(self.hold["expires_at"])

    def wait_until_expired(self, margin: float) -> None:
        """Poll (0.1 s steps) until `margin` seconds after expires_at on this machine's clock."""
        deadline = self.expires_at + timedelta(seconds=margin)
        limit = clock.monotonic() + 120
        while datetime.now(timezone.utc) < deadline:
            assert clock.monotonic() < limit, f"hold {self.hold} never lapsed"
            clock.sleep(min(0.1, max(0.0, (deadline - datetime.now(timezone.utc)).total_seconds())))


@pytest.fixture(scope="module", autouse=True)
def lapsing_holds(api, users) -> Dict[str, LapsingHold]:
    """Two 1-minute holds of a fresh provider (10:00 and 14:00), placed when the module starts."""
    shop = create_provider(api, users, rules={"hold_minutes": 1})
    holder = users()
    day = future_day(3)
    placed = {}
    for name, hhmm in (("edge", "10:00"), ("lapsed", "14:00")):
        hold = expect(api.post("/v1/holds", user=holder, json=booking_body(shop, at(day, hhmm))), 201)
        assert parse_utc(hold["expires_at"]) - datetime.now(timezone.utc) <= timedelta(seconds=61), hold
        placed[name] = LapsingHold(shop, holder, hold)
    return placed


# --- holds ---------------------------------------------------------------------------------

def test_a_hold_keeps_others_out_and_its_holder_books_with_it(api, users):
    shop = create_provider(api, users)
    holder, other = users(), users()
    day = future_day(3)
    start = at(day, "10:00")
    assert start in available(api, shop, day)

    hold = expect(api.post("/v1/holds", user=holder, json=booking_body(shop, start)), 201)
    assert (hold["start"], hold["end"]) == (start, at(day, "11:00"))
    assert hold["provider_id"] == shop.provider_id and hold["service_id"] == shop.service_id
    assert parse_utc(hold["expires_at"]) > datetime.now(timezone.utc) + timedelta(minutes=4)

    expect(book(api, other, shop, start), 409, "slot_unavailable")
    expect(book(api, other, shop, at(day, "10:30")), 409, "slot_unavailable")  # overlaps the held hour
    expect(api.post("/v1/holds", user=other, json=booking_body(shop, at(day, "10:45"))), 409, "slot_unavailable")
    offered = available(api, shop, day)
    assert not offered & {at(day, "09:00", plus_minutes=m) for m in range(15, 120, 15)}, sorted(offered)
    assert {at(day, "09:00"), at(day, "11:00")} <= offered

    booking = expect(api.post("/v1/bookings", user=holder, json={"hold_id": hold["hold_id"]}, headers=key()), 201)
    assert booking["status"] == "CONFIRMED"
    assert (booking["start"], booking["end"]) == (start, at(day, "11:00"))
    assert booking["customer_id"] == holder.sub and booking["provider_id"] == shop.provider_id
    assert [b["booking_id"] for b in provider_bookings(api, shop, day)] == [booking["booking_id"]]
    expect(book(api, other, shop, start), 409, "slot_unavailable")


def test_deleting_a_hold_frees_its_time_at_once(api, users):
    shop = create_provider(api, users)
    holder, other = users(), users()
    day = future_day(3)
    start = at(day, "14:00")
    hold = expect(api.post("/v1/holds", user=holder, json=booking_body(shop, start)), 201)
    expect(book(api, other, shop, start), 409, "slot_unavailable")

    stranger = api.delete(f"/v1/holds/{hold['hold_id']}", user=other)
    assert stranger.status_code in (403, 404), describe(stranger)
    expect(book(api, other, shop, start), 409, "slot_unavailable")  # still held

    expect(api.delete(f"/v1/holds/{hold['hold_id']}", user=holder), 204)
    assert start in available(api, shop, day)
    booking = expect(book(api, other, shop, start), 201)
    assert booking["customer_id"] == other.sub and booking["start"] == start


# --- reschedule ----------------------------------------------------------------------------

def test_reschedule_onto_overlapping_time_keeps_the_id_and_frees_the_old_start(api, users):
    shop = create_provider(api, users, durations=(60, 15))
    customer = users()
    day = future_day(3)
    booking = expect(book(api, customer, shop, at(day, "10:00"), 60), 201)
    assert at(day, "09:15") not in available(api, shop, day, 60)

    moved = expect(api.post(f"/v1/bookings/{booking['booking_id']}/reschedule", user=customer,
                            json={"start": at(day, "10:15")}), 200)

    assert moved["booking_id"] == booking["booking_id"]
    assert (moved["start"], moved["end"]) == (at(day, "10:15"), at(day, "11:15"))
    assert moved["status"] == "CONFIRMED"
    again = booking_of(api, customer, booking["booking_id"])
    assert (again["start"], again["end"], again["status"]) == (at(day, "10:15"), at(day, "11:15"), "CONFIRMED")
    short = available(api, shop, day, 15)
    assert at(day, "10:00") in short  # the old start's quarter is free again
    assert not short & {at(day, "10:15", plus_minutes=m) for m in range(0, 60, 15)}
    assert at(day, "11:15") in short
    hour = available(api, shop, day, 60)
    assert at(day, "09:15") in hour and at(day, "11:15") in hour
    assert not hour & {at(day, "09:30", plus_minutes=m) for m in range(0, 105, 15)}
    assert [b["booking_id"] for b in provider_bookings(api, shop, day)] == [booking["booking_id"]]


def test_reschedule_onto_someone_elses_time_is_refused_and_changes_nothing(api, users):
    shop = create_provider(api, users, durations=(60, 15))
    customer, other = users(), users()
    day = future_day(3)
    mine = expect(book(api, customer, shop, at(day, "10:00"), 60), 201)
    theirs = expect(book(api, other, shop, at(day, "12:00"), 60), 201)

    blocker = expect(book(api, other, shop, at(day, "11:15"), 15), 201)

    # Onto the other hour; half onto it; half onto the old time and half onto a 15-minute booking.
    for start in (at(day, "12:00"), at(day, "11:30"), at(day, "10:30")):
        refused = api.post(f"/v1/bookings/{mine['booking_id']}/reschedule", user=customer, json={"start": start})
        expect(refused, 409, "slot_unavailable")
        still = booking_of(api, customer, mine["booking_id"])
        assert (still["start"], still["end"], still["status"]) == (mine["start"], mine["end"], "CONFIRMED"), start

    # All or nothing: the old time is still taken, the other booking untouched.
    expect(book(api, users(), shop, at(day, "10:00"), 15), 409, "slot_unavailable")
    short = available(api, shop, day, 15)
    assert not short & {at(day, "10:00", plus_minutes=m) for m in range(0, 60, 15)}
    assert at(day, "11:00") in short
    assert booking_of(api, other, theirs["booking_id"])["start"] == at(day, "12:00")
    assert booking_of(api, other, blocker["booking_id"])["start"] == at(day, "11:15")

    # Only the customer moves a booking; the provider's owner may see it but not move it.
    expect(api.post(f"/v1/bookings/{mine['booking_id']}/reschedule", user=shop.owner,
                    json={"start": at(day, "15:00")}), 403, "forbidden")
    assert booking_of(api, customer, mine["booking_id"])["start"] == at(day, "10:00")


# --- cancel, decline, confirm --------------------------------------------------------------

def test_cancel_frees_the_time_at_once(api, users):
    shop = create_provider(api, users)
    customer, other = users(), users()
    day = future_day(3)
    start = at(day, "10:00")
    booking = expect(book(api, customer, shop, start), 201)
    expect(book(api, other, shop, start), 409, "slot_unavailable")

    canceled = expect(api.post(f"/v1/bookings/{booking['booking_id']}/cancel", user=customer,
                               json={"reason": "cannot make it"}), 200)
    assert canceled["status"] == "CANCELED" and canceled["booking_id"] == booking["booking_id"]

    rebooked = expect(book(api, other, shop, start), 201)
    assert rebooked["status"] == "CONFIRMED" and rebooked["booking_id"] != booking["booking_id"]
    # Canceling again answers the canceled booking, and does not free the new booking's time.
    again = expect(api.post(f"/v1/bookings/{booking['booking_id']}/cancel", user=customer, json={}), 200)
    assert again["status"] == "CANCELED"
    assert booking_of(api, customer, booking["booking_id"])["status"] == "CANCELED"
    expect(book(api, users(), shop, start), 409, "slot_unavailable")
    statuses = sorted((b["booking_id"], b["status"]) for b in provider_bookings(api, shop, day))
    assert statuses == sorted([(booking["booking_id"], "CANCELED"), (rebooked["booking_id"], "CONFIRMED")])


def test_decline_frees_the_time_and_confirm_works_once(api, users):
    shop = create_provider(api, users, rules={"auto_confirm": False})
    first, second = users(), users()
    day = future_day(3)
    start = at(day, "10:00")

    pending = expect(book(api, first, shop, start), 201)
    assert pending["status"] == "PENDING"
    expect(book(api, second, shop, start), 409, "slot_unavailable")  # PENDING takes the time
    expect(api.post(f"/v1/bookings/{pending['booking_id']}/confirm", user=first), 403, "forbidden")

    declined = expect(api.post(f"/v1/bookings/{pending['booking_id']}/decline", user=shop.owner,
                               json={"reason": "fully booked"}), 200)
    assert declined["status"] == "DECLINED"
    assert booking_of(api, first, pending["booking_id"])["status"] == "DECLINED"

    other = expect(book(api, second, shop, start), 201)
    assert other["status"] == "PENDING"
    confirmed = expect(api.post(f"/v1/bookings/{other['booking_id']}/confirm", user=shop.owner), 200)
    assert confirmed["status"] == "CONFIRMED" and confirmed["start"] == start
    expect(api.post(f"/v1/bookings/{other['booking_id']}/confirm", user=shop.owner), 409, "booking_not_modifiable")
    expect(api.post(f"/v1/bookings/{other['booking_id']}/decline", user=shop.owner, json={}), 409,
           "booking_not_modifiable")
    expect(api.post(f"/v1/bookings/{pending['booking_id']}/confirm", user=shop.owner), 409, "booking_not_modifiable")
    assert booking_of(api, second, other["booking_id"])["status"] == "CONFIRMED"
    expect(book(api, users(), shop, start), 409, "slot_unavailable")


# --- blocks --------------------------------------------------------------------------------

def test_a_block_over_a_booking_is_refused_and_names_it(api, users):
    shop = create_provider(api, users)
    customer = users()
    day = future_day(3)
    booking = expect(book(api, customer, shop, at(day, "10:00")), 201)

    refused = api.post(f"/v1/providers/{shop.provider_id}/blocks", user=shop.owner,
                       json={"start": at(day, "10:30"), "end": at(day, "11:30"), "reason": "dentist"})

    error = expect(refused, 409, "conflicts_with_bookings")["error"]
    assert error["booking_ids"] == [booking["booking_id"]], error
    assert booking_of(api, customer, booking["booking_id"])["status"] == "CONFIRMED"
    # Nothing of the block was written: its free half is still offered.
    assert at(day, "11:00") in available(api, shop, day)
    blocks = expect(api.get(f"/v1/providers/{shop.provider_id}/blocks", user=shop.owner), 200)["blocks"]
    assert blocks == []


def test_a_block_on_free_time_hides_it_until_deleted(api, users):
    shop = create_provider(api, users)
    customer = users()
    day = future_day(3)
    start, end = at(day, "13:00"), at(day, "14:00")
    overlapping = {at(day, "12:15", plus_minutes=m) for m in range(0, 105, 15)}  # 12:15 .. 13:45
    assert overlapping <= available(api, shop, day)

    block = expect(api.post(f"/v1/providers/{shop.provider_id}/blocks", user=shop.owner,
                            json={"start": start, "end": end}), 201)
    assert (block["start"], block["end"]) == (start, end)

    offered = available(api, shop, day)
    assert not offered & overlapping, sorted(offered & overlapping)
    assert {at(day, "12:00"), at(day, "14:00")} <= offered
    expect(book(api, customer, shop, start), 409, "slot_unavailable")

    expect(api.delete(f"/v1/providers/{shop.provider_id}/blocks/{block['block_id']}", user=shop.owner), 204)
    assert overlapping <= available(api, shop, day)
    booked = expect(book(api, customer, shop, start), 201)
    assert booked["start"] == start


# --- working hours -------------------------------------------------------------------------

def test_closing_a_day_keeps_its_booking_and_it_can_still_be_canceled(api, users):
    shop = create_provider(api, users)
    customer = users()
    day = future_day(3)
    start = at(day, "10:00")
    booking = expect(book(api, customer, shop, start), 201)
    assert available(api, shop, day)

    document = {"weekly": weekly(), "overrides": [{"date": day.isoformat(), "intervals": []}]}
    answer = expect(api.put(f"/v1/providers/{shop.provider_id}/working-hours", user=shop.owner, json=document), 200)
    assert answer["overrides"] == [{"date": day.isoformat(), "intervals": []}]

    kept = booking_of(api, customer, booking["booking_id"])
    assert (kept["status"], kept["start"], kept["end"]) == ("CONFIRMED", start, booking["end"])
    assert available(api, shop, day) == set()
    assert available(api, shop, day + timedelta(days=1))  # the next day is untouched
    expect(book(api, users(), shop, at(day, "14:00")), 409, "slot_unavailable")
    assert [b["booking_id"] for b in provider_bookings(api, shop, day, status="CONFIRMED")] == [booking["booking_id"]]

    canceled = expect(api.post(f"/v1/bookings/{booking['booking_id']}/cancel", user=customer, json={}), 200)
    assert canceled["status"] == "CANCELED"
    assert available(api, shop, day) == set()  # freed, but the day is still closed
    expect(book(api, users(), shop, start), 409, "slot_unavailable")

    # Opening the day again offers the canceled booking's time.
    expect(api.put(f"/v1/providers/{shop.provider_id}/working-hours", user=shop.owner,
                   json={"weekly": weekly(), "overrides": []}), 200)
    assert start in available(api, shop, day)


# --- hold expiry (last: the holds placed at module start have lapsed by now) -----------------

def test_an_expired_hold_frees_its_time_in_its_first_second(api, users, lapsing_holds):
    """Right after expires_at (same whole second): the holder is refused and someone else gets the time."""
    lapsing = lapsing_holds["edge"]
    shop, hold = lapsing.shop, lapsing.hold
    other = users()

    lapsing.wait_until_expired(margin=0.05)
    expired = api.post("/v1/bookings", user=lapsing.holder, json={"hold_id": hold["hold_id"]}, headers=key())
    answer = book(api, other, shop, hold["start"])

    expect(expired, 409, "hold_expired")  # the app itself says the hold has lapsed ...
    # ... so the time is free for others (API.md, Holds: "An expired hold gives nothing").
    booking = expect(answer, 201)
    assert booking["customer_id"] == other.sub and booking["start"] == hold["start"]


def test_an_expired_hold_gives_nothing(api, users, lapsing_holds):
    lapsing = lapsing_holds["lapsed"]
    shop, hold = lapsing.shop, lapsing.hold
    other = users()

    lapsing.wait_until_expired(margin=0.2)

    expect(api.post("/v1/bookings", user=lapsing.holder, json={"hold_id": hold["hold_id"]}, headers=key()),
           409, "hold_expired")
    day = parse_utc(hold["start"]).astimezone(TZ).date()
    assert hold["start"] in available(api, shop, day)
    booking = expect(book(api, other, shop, hold["start"]), 201)
    assert booking["customer_id"] == other.sub and booking["start"] == hold["start"]
    expect(api.post("/v1/bookings", user=lapsing.holder, json={"hold_id": hold["hold_id"]}, headers=key()),
           409, "hold_expired")
