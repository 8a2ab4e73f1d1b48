"""The core under the conditions a hostile newcomer creates: racing writes, lost responses, crashes mid-sync.

Races are interleaved deterministically: a hook runs the competing request between a request's read and its
conditional write, exactly where a real race would put it.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters import bookings as booking_store
from chalicelib.adapters import dynamo
from chalicelib.adapters import providers as provider_store
from chalicelib.adapters import slots as slot_store
from chalicelib.adapters.models import HoldItem
from chalicelib.adapters.transaction import Transaction
from chalicelib.domain.schedule import WorkingHours, days_changed, working_slots
from chalicelib.domain.sync import runs
from chalicelib.service import schedule as schedule_service
from tests.integration.conftest import WEEKDAYS, book, call, starts
from tests.invariants import assert_no_violations

NINE_TO_FIVE = {"weekly": {day: [{"start": "09:00", "end": "17:00"}] for day in WEEKDAYS}}
TEN_TO_TWO = {"weekly": {day: [{"start": "10:00", "end": "14:00"}] for day in WEEKDAYS}}


@pytest.fixture()
def api_calls():
    """Every DynamoDB operation the app sends from now on, in order."""
    calls = []

    def record(model, params, **_):
        calls.append(model.name)

    dynamo.client().meta.events.register("before-call.dynamodb.*", record)
    yield calls
    dynamo.client().meta.events.unregister("before-call.dynamodb.*", record)


def interleave(monkeypatch, target, name, competitor):
    """Run `competitor()` once, just before the first call of target.name goes through."""
    original = getattr(target, name)
    state = {"done": False}

    def hooked(*args, **kwargs):
        if not state["done"]:
            state["done"] = True
            competitor()
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, hooked)


# --- one call per lookup, one update per confirm ---------------------------------------------

def test_an_availability_lookup_is_one_dynamodb_query(client, shop, api_calls):
    # Given a provider with hours and a service
    api_calls.clear()
    # When a week of availability is looked up
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/availability"
                                         f"?service_id={shop['sid']}&from=2026-12-01&to=2026-12-07")
    # Then it took one Query and found the week's starts
    assert status == 200 and len(body["slots"]) > 100
    assert api_calls == ["Query"]


def test_availability_follows_a_service_change_at_once(client, shop):
    # Given 60 minutes plus 15 of buffer: 09:00 .. 15:45 on a 09:00-17:00 day
    day = "2026-12-02"
    assert starts(client, shop, day)[-1] == "2026-12-02T15:45:00Z"
    # When the owner makes the service 120 minutes
    status, _, _ = call(client, "PATCH", f"/v1/providers/{shop['pid']}/services/{shop['sid']}", shop["owner"],
                        {"duration_minutes": 120})
    assert status == 200
    # Then the very next lookup obeys it, and a deleted service is gone
    assert starts(client, shop, day)[-1] == "2026-12-02T14:45:00Z"
    assert call(client, "DELETE", f"/v1/providers/{shop['pid']}/services/{shop['sid']}", shop["owner"])[0] == 204
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/availability"
                                         f"?service_id={shop['sid']}&from={day}&to={day}")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_availability_outside_the_card_dates_still_answers_right(client, shop, api_calls):
    # Given a lookup of yesterday (no current card is dated there)
    api_calls.clear()
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/availability"
                                         f"?service_id={shop['sid']}&from=2026-11-20&to=2026-11-21")
    # Then it answers from the profile (a second read), with nothing offered in the past
    assert status == 200 and body["slots"] == [] and body["timezone"] == "Europe/London"
    assert api_calls == ["Query", "Query"]
    # And an unknown provider is 404
    status, body, _ = call(client, "GET", f"/v1/providers/nobody/availability?service_id={shop['sid']}"
                                         "&from=2026-12-01&to=2026-12-02")
    assert status == 404


def test_confirm_is_one_conditional_update(client, make_user, fixed_clock, api_calls):
    owner = make_user(provider=True)
    status, provider, _ = call(client, "POST", "/v1/providers", owner, {
        "name": "By hand", "categories": ["beauty"], "location": {"lat": 51.5, "lon": -0.1},
        "timezone": "Europe/London", "booking_rules": {"auto_confirm": False}})
    pid = provider["provider_id"]
    assert call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, NINE_TO_FIVE)[0] == 200
    sid = call(client, "POST", f"/v1/providers/{pid}/services", owner, {
        "name": "Cut", "category": "beauty", "duration_minutes": 30, "price": {"amount": 100, "currency": "GBP"}})[1][
        "service_id"]
    status, booking, _ = call(client, "POST", "/v1/bookings", make_user(),
                              {"provider_id": pid, "service_id": sid, "start": "2026-12-02T10:00:00Z"},
                              {"Idempotency-Key": "pending"})
    assert status == 201 and booking["status"] == "PENDING"
    api_calls.clear()
    status, confirmed, _ = call(client, "POST", f"/v1/bookings/{booking['booking_id']}/confirm", owner)
    assert status == 200 and confirmed["status"] == "CONFIRMED"
    writes = [op for op in api_calls if op in {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}]
    # The caller's write-rate count (decision 17: a change that commits no transaction pays it apart), then the
    # confirm itself: one conditional update
    assert writes == ["UpdateItem", "UpdateItem"]


# --- races end as the contract says -----------------------------------------------------------

def test_a_cancel_racing_another_cancel_answers_canceled(client, shop, make_user, monkeypatch):
    customer = make_user()
    status, booking, _ = book(client, shop, customer, "2026-12-02T10:00:00Z", "race-cancel")
    assert status == 201
    path = f"/v1/bookings/{booking['booking_id']}/cancel"
    answers = []
    # Given another cancel commits between this cancel's read and its write
    interleave(monkeypatch, booking_store, "commit_booking_change",
               lambda: answers.append(call(client, "POST", path, customer, {})))
    # When this cancel writes
    status, body, _ = call(client, "POST", path, customer, {})
    # Then both answer 200 CANCELED, and the time is free once
    assert (status, body["status"]) == (200, "CANCELED")
    assert [(s, b["status"]) for s, b, _ in answers] == [(200, "CANCELED")]
    assert "2026-12-02T10:00:00Z" in starts(client, shop, "2026-12-02")
    # And slots and bookings agree (no stream runs here: no audit records or inboxes to look for)
    assert_no_violations(after_commit=False)


def test_working_hours_written_at_once_last_writer_wins(client, shop, monkeypatch):
    pid, owner = shop["pid"], shop["owner"]
    competing = []
    # Given another owner's session saves 10:00-14:00 while this one prepares 09:00-17:00 ... in reverse
    interleave(monkeypatch, provider_store, "commit_schedule",
               lambda: competing.append(call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, TEN_TO_TWO)))
    status, body, _ = call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, NINE_TO_FIVE)
    # Then both answer 200 (no code outside the contract), and the one that committed last stands
    assert status == 200 and competing[0][0] == 200
    assert call(client, "GET", f"/v1/providers/{pid}/working-hours", owner)[1]["weekly"]["mon"] == [
        {"start": "09:00", "end": "17:00"}]
    now, saved = datetime(2026, 12, 1, 8, tzinfo=timezone.utc), WorkingHours.parse(NINE_TO_FIVE)
    # And no slot is open outside them; what the request's time did not cover, the job finishes
    assert_slots_follow_hours(pid, saved, now, exact=False)
    schedule_service.finish_all_syncs()
    assert_slots_follow_hours(pid, saved, now, exact=True)
    assert starts(client, shop, "2026-12-02")[0] == "2026-12-02T09:00:00Z"


def test_profile_patches_at_once_both_apply(client, shop, monkeypatch):
    pid, owner = shop["pid"], shop["owner"]
    competing = []
    interleave(monkeypatch, provider_store, "replace_provider",
               lambda: competing.append(call(client, "PATCH", f"/v1/providers/{pid}", owner, {"name": "Renamed"})))
    status, body, _ = call(client, "PATCH", f"/v1/providers/{pid}", owner, {"description": "Now with sauna"})
    assert status == 200 and competing[0][0] == 200
    profile = call(client, "GET", f"/v1/providers/{pid}")[1]
    assert (profile["name"], profile["description"]) == ("Renamed", "Now with sauna")


# --- a resend after a lost response -----------------------------------------------------------

def test_a_transaction_resent_with_its_token_is_recognised_as_done(client, shop, make_user, api_calls):
    # Given a committed transaction (a hold's item created on condition it does not exist)
    item = HoldItem(*HoldItem.key("resent"), hold_id="resent", provider_id="p", service_id="s", customer_id="c",
                    start="s", end="e", occupied_until="o", expires_at=1, created_at="now", ttl=1)
    tx = Transaction("hold:resent")
    tx.put("hold", item, condition=HoldItem.pk.does_not_exist())
    tx.commit()
    # When the same transaction is sent again (as after a lost response), it succeeds: DynamoDB knows its token
    tx.commit()
    # And a different change under another intent is judged on its conditions
    other = Transaction("hold:resent-again")
    other.put("hold", item, condition=HoldItem.pk.does_not_exist())
    with pytest.raises(Exception):
        other.commit()


def test_every_transaction_carries_a_client_request_token(client, shop, make_user):
    tokens = []

    def record(params, **_):
        tokens.append(params.get("ClientRequestToken"))

    dynamo.client().meta.events.register("provide-client-params.dynamodb.TransactWriteItems", record)
    try:
        assert book(client, shop, make_user(), "2026-12-02T11:00:00Z", "token")[0] == 201
    finally:
        dynamo.client().meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", record)
    assert tokens and all(token and len(token) <= 36 for token in tokens)


# --- a crash in the middle of a working-hours change ------------------------------------------

def open_slots(pid, now):
    states = slot_store.query_slots(pid, now - timedelta(days=1), now + timedelta(days=62))
    return {s.start for s in states if s.in_hours}


def assert_slots_follow_hours(pid, hours, now, exact=True):
    """Open slots are within the saved hours (all of them, when exact) over the horizon."""
    tz = ZoneInfo("Europe/London")
    wanted = set()
    for day in schedule_service.horizon(tz, now):
        wanted.update(working_slots(hours, day, tz))
    opened = {s for s in open_slots(pid, now) if s >= datetime(2026, 12, 1, tzinfo=timezone.utc)}
    assert opened <= wanted, sorted(opened - wanted)[:5]
    if exact:
        assert opened == wanted, sorted(wanted - opened)[:5]


class Crash(Exception):
    """A Lambda timing out or dying mid-request."""


@pytest.mark.parametrize("phase, offset", [("closing", 1), ("closing", -1), ("opening", 0), ("opening", 4)])
def test_a_crash_mid_change_never_opens_time_outside_the_saved_hours(client, shop, make_user, monkeypatch,
                                                                     fixed_clock, phase, offset):
    pid, owner = shop["pid"], shop["owner"]
    # The change closes, then opens, one run of days per slot write: crash in either phase.
    tz = ZoneInfo("Europe/London")
    changed = days_changed(WorkingHours.parse(NINE_TO_FIVE), WorkingHours.parse(TEN_TO_TWO),
                           schedule_service.horizon(tz, fixed_clock.now))
    run_count = len(runs(changed))
    crash_after = (offset if offset > 0 else run_count + offset) if phase == "closing" else run_count + offset
    original = slot_store.write_working_time
    calls = {"n": 0}

    def crashing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > crash_after:
            raise Crash("the function died here")
        return original(*args, **kwargs)

    # The crash must come before the request's own time budget ends (a loaded machine reaches it sooner)
    monkeypatch.setattr(schedule_service, "sync_deadline", lambda: time.monotonic() + 600)
    # Given 09:00-17:00 saved, when a change to 10:00-14:00 dies after a few slot transactions
    monkeypatch.setattr(slot_store, "write_working_time", crashing)
    died = client.http.put(f"/v1/providers/{pid}/working-hours", headers=owner.headers, body=json.dumps(TEN_TO_TWO))
    assert died.status_code == 500  # what the platform answers for a function that died
    monkeypatch.setattr(slot_store, "write_working_time", original)
    saved = WorkingHours.parse(call(client, "GET", f"/v1/providers/{pid}/working-hours", owner)[1])
    assert saved == WorkingHours.parse(NINE_TO_FIVE if phase == "closing" else TEN_TO_TWO)
    # Then no slot is open outside the hours that are saved, whichever they are
    assert_slots_follow_hours(pid, saved, fixed_clock.now, exact=False)
    # And no booking can land outside them
    customer, tz = make_user(), ZoneInfo("Europe/London")
    for start in ("2026-12-02T09:00:00Z", "2026-12-03T14:00:00Z", "2026-12-04T15:45:00Z"):
        at = datetime.fromisoformat(start.replace("Z", "+00:00"))
        fits = all(at + timedelta(minutes=15 * n) in set(working_slots(saved, at.date(), tz)) for n in range(5))
        status, body, _ = book(client, shop, customer, start, f"crash-{phase}{offset}-{start}")
        assert fits or status == 409, (start, status, body)
    # And when the scheduled job runs, the slots converge to the saved hours
    from scheduled.finish_syncs import handler
    assert handler({}, None)["failed"] == 0
    assert provider_store.get_schedule(pid).pending == frozenset()
    assert_slots_follow_hours(pid, saved, fixed_clock.now, exact=True)
    assert_no_violations(after_commit=False)


def test_a_change_too_big_for_its_request_time_is_finished_by_the_job(client, shop, make_user, monkeypatch,
                                                                      fixed_clock):
    pid, owner = shop["pid"], shop["owner"]
    # Given a request may spend no time at all opening slots
    give_time = schedule_service.sync_deadline
    monkeypatch.setattr(schedule_service, "sync_deadline", lambda: 0.0)
    # When hours widen from 09:00-17:00 to 07:00-19:00
    wide = {"weekly": {day: [{"start": "07:00", "end": "19:00"}] for day in WEEKDAYS}}
    assert call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, wide)[0] == 200
    # Then the hours are saved, their days still pending, and nothing is open beyond them
    assert provider_store.get_schedule(pid).pending
    saved = WorkingHours.parse(wide)
    assert_slots_follow_hours(pid, saved, fixed_clock.now, exact=False)
    assert "2026-12-02T07:00:00Z" not in starts(client, shop, "2026-12-02")  # not opened yet: never more
    # And the scheduled job opens the rest
    from scheduled.finish_syncs import handler
    monkeypatch.setattr(schedule_service, "sync_deadline", give_time)
    assert handler({}, None) == {"finished": 1, "failed": 0}
    assert_slots_follow_hours(pid, saved, fixed_clock.now, exact=True)
    assert "2026-12-02T07:00:00Z" in starts(client, shop, "2026-12-02")


def test_a_zone_change_moves_bookings_local_time_and_the_slots(client, shop, make_user, fixed_clock):
    pid, owner, customer = shop["pid"], shop["owner"], make_user()
    # Given a booking at 10:00 London (UTC in December)
    status, booking, _ = book(client, shop, customer, "2026-12-02T10:00:00Z", "zone")
    assert status == 201 and booking["local_start"] == "2026-12-02T10:00:00+00:00"
    # When the provider moves to Kathmandu (+05:45)
    status, profile, _ = call(client, "PATCH", f"/v1/providers/{pid}", owner, {"timezone": "Asia/Kathmandu"})
    assert status == 200 and profile["timezone"] == "Asia/Kathmandu"
    # Then the booking keeps its instant and is shown in the provider's current zone, everywhere
    for path, who in ((f"/v1/bookings/{booking['booking_id']}", customer),
                      (f"/v1/bookings/{booking['booking_id']}", owner)):
        shown = call(client, "GET", path, who)[1]
        assert (shown["start"], shown["timezone"], shown["local_start"]) == (
            "2026-12-02T10:00:00Z", "Asia/Kathmandu", "2026-12-02T15:45:00+05:45")
    mine = call(client, "GET", "/v1/me/bookings", customer)[1]["bookings"]
    assert [(b["timezone"], b["local_start"]) for b in mine] == [("Asia/Kathmandu", "2026-12-02T15:45:00+05:45")]
    listed = call(client, "GET", f"/v1/providers/{pid}/bookings", owner)[1]["bookings"]
    assert [b["local_start"] for b in listed] == ["2026-12-02T15:45:00+05:45"]
    # And once the slots are laid out (what the request's time budget did not cover, the job finishes; on a
    # loaded machine that can be every day)
    schedule_service.finish_all_syncs()
    assert provider_store.get_schedule(pid).pending == frozenset()
    assert provider_store.get_schedule(pid).previous_timezone is None
    # availability is laid out on the Kathmandu clock: 09:00 there is 03:15 UTC
    offered = call(client, "GET", f"/v1/providers/{pid}/availability?service_id={shop['sid']}"
                                  "&from=2026-12-03&to=2026-12-03")[1]
    assert offered["timezone"] == "Asia/Kathmandu"
    assert offered["slots"][0]["local_start"] == "2026-12-03T09:00:00+05:45"
    assert offered["slots"][0]["start"] == "2026-12-03T03:15:00Z"
    # (London's old 09:00-17:00 UTC is closed: the last start is 15:45 Kathmandu, 10:00 UTC)
    assert offered["slots"][-1]["start"] == "2026-12-03T10:00:00Z"
    assert_no_violations(after_commit=False)


def test_hours_closed_during_checkout_win_over_the_hold(client, shop, make_user):
    customer = make_user()
    # Given a customer holds 10:00 on a day the provider then closes
    status, hold, _ = call(client, "POST", "/v1/holds", customer,
                           {"provider_id": shop["pid"], "service_id": shop["sid"], "start": "2026-12-02T10:00:00Z"})
    assert status == 201
    closed = {"weekly": NINE_TO_FIVE["weekly"], "overrides": [{"date": "2026-12-02", "intervals": []}]}
    assert call(client, "PUT", f"/v1/providers/{shop['pid']}/working-hours", shop["owner"], closed)[0] == 200
    # When the customer books with the hold, then the closed hours win: nothing is booked
    status, body, _ = call(client, "POST", "/v1/bookings", customer, {"hold_id": hold["hold_id"]},
                           {"Idempotency-Key": "closed-meanwhile"})
    assert (status, body["error"]["code"]) == (409, "slot_unavailable")
    assert call(client, "GET", "/v1/me/bookings", customer)[1]["bookings"] == []
    # And the hold still has its time (HELD in closed hours, until it lapses): slots and holds agree
    assert_no_violations(after_commit=False)


def test_a_profile_edit_does_not_undo_a_service_change_made_meanwhile(client, shop, monkeypatch):
    pid, owner = shop["pid"], shop["owner"]
    # Given a service is added between a profile edit's read and its write
    interleave(monkeypatch, provider_store, "replace_provider", lambda: call(
        client, "POST", f"/v1/providers/{pid}/services", owner, {
            "name": "Extra", "category": "massage", "duration_minutes": 30, "price": {"amount": 10, "currency": "GBP"}}))
    assert call(client, "PATCH", f"/v1/providers/{pid}", owner, {"name": "Renamed"})[0] == 200
    # Then the card still lists the new service: availability for it answers at once, in one Query
    profile = call(client, "GET", f"/v1/providers/{pid}")[1]
    extra = [s["service_id"] for s in profile["services"] if s["name"] == "Extra"]
    assert profile["name"] == "Renamed" and len(extra) == 1
    stored = provider_store.get_provider(pid)
    assert stored.card_version == 3  # created (1), the first service (2), the extra one (3)
    status, body, _ = call(client, "GET", f"/v1/providers/{pid}/availability?service_id={extra[0]}"
                                         "&from=2026-12-02&to=2026-12-02")
    assert status == 200 and body["slots"]
