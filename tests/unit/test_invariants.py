"""The invariant checker's rules over hand-built items (deserialised, as a scan gives them)."""
from __future__ import annotations

import inspect
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, List, Optional

import pytest

from chalicelib.domain import events, invariants, notices
from chalicelib.domain.invariants import (
    HOLD_PAST_EXPIRY,
    MISSING_AUDIT,
    MISSING_NOTIFICATION,
    MISSING_SLOT,
    SLOT_CLAIMED_TWICE,
    SLOT_WITHOUT_OWNER,
    check,
)
from chalicelib.domain.timegrid import format_utc, slot_starts

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PID, OWNER, CUSTOMER = "p1", "owner-1", "cust-1"
LONG_AGO = "2026-12-01T07:00:00Z"  # an hour before NOW: settled


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def epoch(text: str) -> Decimal:
    return Decimal(int(t(text).timestamp()))


def profile() -> Dict[str, Any]:
    return {"pk": f"PROVIDER#{PID}", "sk": "PROFILE", "provider_id": PID, "owner_id": OWNER}


def slots(start: str, until: str, status: str = "FREE", **attrs: Any) -> List[Dict[str, Any]]:
    return [{"pk": f"PROVIDER#{PID}", "sk": f"SLOT#{format_utc(s)}", "status": status, "in_hours": True, **attrs}
            for s in slot_starts(t(start), t(until))]


def booking(bid: str, start: str, until: str, status: str = "CONFIRMED", version: int = 1,
            created_at: str = LONG_AGO, updated_at: Optional[str] = None) -> Dict[str, Any]:
    return {"pk": f"BOOKING#{bid}", "sk": "BOOKING", "booking_id": bid, "status": status, "provider_id": PID,
            "customer_id": CUSTOMER, "start": start, "occupied_until": until, "created_at": created_at,
            "updated_at": updated_at or created_at, "version": Decimal(version)}


def hold(hid: str, start: str, until: str, expires: str, state: str = "ACTIVE",
         booking_id: Optional[str] = None) -> Dict[str, Any]:
    item = {"pk": f"HOLD#{hid}", "sk": "HOLD", "hold_id": hid, "provider_id": PID, "customer_id": CUSTOMER,
            "start": start, "occupied_until": until, "expires_at": epoch(expires), "state": state}
    if booking_id:
        item["booking_id"] = booking_id
    return item


def records(bid: str, version: int, type_: str, at: str, notified=("customer", "owner")) -> List[Dict[str, Any]]:
    """The audit record and inbox entries the stream writes for one booking event."""
    event_id = f"booking:{bid}:v{version:06d}"
    notice = {events.BOOKING_CREATED: notices.BOOKING_CONFIRMED, events.BOOKING_CANCELED: notices.BOOKING_CANCELED,
              events.BOOKING_RESCHEDULED: notices.BOOKING_RESCHEDULED,
              events.BOOKING_CONFIRMED: notices.BOOKING_CONFIRMED}[type_]
    users = {"customer": CUSTOMER, "owner": OWNER}
    return [{"pk": f"PROVIDER#{PID}#AUDIT", "sk": f"{at}#{event_id}", "event_id": event_id, "provider_id": PID,
             "type": type_, "at": at, "booking_id": bid}] + [
        {"pk": f"USER#{users[role]}", "sk": f"NOTIFICATION#{at}-{event_id}", "user_id": users[role],
         "event_id": event_id, "type": notice, "booking_id": bid, "created_at": at} for role in notified]


def kinds(items, now: datetime = NOW, **options) -> List[str]:
    return sorted(v.kind for v in check(items, now, **options).violations)


def healthy() -> List[Dict[str, Any]]:
    """A provider with a booking, a live hold, a lapsed hold, a canceled and a moved booking, a used hold."""
    return [
        profile(),
        *slots("2026-12-02T09:00:00Z", "2026-12-02T10:00:00Z"),
        # b1: booked 10:00-11:15
        booking("b1", "2026-12-02T10:00:00Z", "2026-12-02T11:15:00Z"),
        *slots("2026-12-02T10:00:00Z", "2026-12-02T11:15:00Z", "BOOKED", booking_id="b1"),
        *records("b1", 1, events.BOOKING_CREATED, LONG_AGO),
        # h1: live, 12:00-13:15
        hold("h1", "2026-12-02T12:00:00Z", "2026-12-02T13:15:00Z", "2026-12-01T08:05:00Z"),
        *slots("2026-12-02T12:00:00Z", "2026-12-02T13:15:00Z", "HELD", hold_id="h1",
               hold_expires=epoch("2026-12-01T08:05:00Z")),
        # h2: lapsed, its slots still HELD (the release job has not run): free for anyone, no violation
        hold("h2", "2026-12-02T14:00:00Z", "2026-12-02T15:15:00Z", "2026-12-01T07:55:00Z"),
        *slots("2026-12-02T14:00:00Z", "2026-12-02T15:15:00Z", "HELD", hold_id="h2",
               hold_expires=epoch("2026-12-01T07:55:00Z")),
        # b2: canceled, its slots freed
        booking("b2", "2026-12-03T10:00:00Z", "2026-12-03T11:15:00Z", "CANCELED", version=2,
                updated_at="2026-12-01T07:10:00Z"),
        *slots("2026-12-03T10:00:00Z", "2026-12-03T11:15:00Z"),
        *records("b2", 1, events.BOOKING_CREATED, LONG_AGO),
        *records("b2", 2, events.BOOKING_CANCELED, "2026-12-01T07:10:00Z"),
        # b3: moved from 2026-12-04 10:00 to 13:00 (overlapping nothing); the old time is FREE
        booking("b3", "2026-12-04T13:00:00Z", "2026-12-04T14:15:00Z", version=2, updated_at="2026-12-01T07:20:00Z"),
        *slots("2026-12-04T10:00:00Z", "2026-12-04T11:15:00Z"),
        *slots("2026-12-04T13:00:00Z", "2026-12-04T14:15:00Z", "BOOKED", booking_id="b3"),
        *records("b3", 1, events.BOOKING_CREATED, LONG_AGO),
        *records("b3", 2, events.BOOKING_RESCHEDULED, "2026-12-01T07:20:00Z"),
        # b4 from h3: booked a minute before the hold expired
        hold("h3", "2026-12-05T10:00:00Z", "2026-12-05T11:15:00Z", "2026-12-01T07:06:00Z", "USED", booking_id="b4"),
        booking("b4", "2026-12-05T10:00:00Z", "2026-12-05T11:15:00Z", created_at="2026-12-01T07:05:00Z"),
        *slots("2026-12-05T10:00:00Z", "2026-12-05T11:15:00Z", "BOOKED", booking_id="b4"),
        *records("b4", 1, events.BOOKING_CREATED, "2026-12-01T07:05:00Z"),
        # a block, and a card
        *slots("2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z", "BLOCKED", block_id="k1"),
        {"pk": f"PROVIDER#{PID}", "sk": "SLOT#2026-12-07", "timezone": "Europe/London"},
    ]


def without(items, pk: str, sk: str) -> List[Dict[str, Any]]:
    return [i for i in items if (i["pk"], i["sk"]) != (pk, sk)]


def replaced(items, pk: str, sk: str, **attrs: Any) -> List[Dict[str, Any]]:
    return [{**i, **attrs} if (i["pk"], i["sk"]) == (pk, sk) else i for i in items]


def test_a_healthy_table_has_no_violation():
    report = check(healthy(), NOW)
    assert report.violations == ()
    assert report.checked_events == 6 and report.skipped_recent == 0
    assert set(report.counts()) == set(invariants.KINDS)


def test_a_lapsed_held_slot_is_no_violation_whatever_its_hold_says():
    # Given a lapsed HELD slot whose hold item is gone (TTL) or released
    items = without(healthy(), "HOLD#h2", "HOLD")
    assert kinds(items) == []
    assert kinds(replaced(healthy(), "HOLD#h2", "HOLD", state="RELEASED")) == []


def test_a_booked_slot_of_a_booking_that_does_not_exist_or_is_canceled_has_no_owner():
    items = replaced(healthy(), f"PROVIDER#{PID}", "SLOT#2026-12-02T09:00:00Z", status="BOOKED", booking_id="ghost")
    report = check(items, NOW)
    assert [(v.kind, v.keys) for v in report.violations] == [
        (SLOT_WITHOUT_OWNER, ((f"PROVIDER#{PID}", "SLOT#2026-12-02T09:00:00Z"), ("BOOKING#ghost", "BOOKING")))]
    assert "absent" in report.violations[0].message and report.violations[0].provider_id == PID
    # A canceled booking that kept one slot
    items = replaced(healthy(), f"PROVIDER#{PID}", "SLOT#2026-12-03T10:15:00Z", status="BOOKED", booking_id="b2")
    [violation] = check(items, NOW).violations
    assert violation.kind == SLOT_WITHOUT_OWNER and "CANCELED" in violation.message


def test_a_live_held_slot_of_a_released_or_missing_hold_has_no_owner():
    items = replaced(healthy(), "HOLD#h1", "HOLD", state="RELEASED")
    assert kinds(items) == [SLOT_WITHOUT_OWNER] * 5
    assert kinds(without(healthy(), "HOLD#h1", "HOLD")) == [SLOT_WITHOUT_OWNER] * 5


def test_an_active_booking_missing_a_slot_is_reported_once_per_slot():
    # Given one slot of b1 deleted and another freed
    items = without(healthy(), f"PROVIDER#{PID}", "SLOT#2026-12-02T10:15:00Z")
    items = replaced(items, f"PROVIDER#{PID}", "SLOT#2026-12-02T11:00:00Z", status="FREE", booking_id=None)
    report = check(items, NOW)
    assert [v.kind for v in report.violations] == [MISSING_SLOT, MISSING_SLOT]
    assert ["absent" in v.message for v in report.violations] == [True, False]
    assert report.violations[0].keys == (("BOOKING#b1", "BOOKING"), (f"PROVIDER#{PID}", "SLOT#2026-12-02T10:15:00Z"))


def test_a_live_hold_missing_a_slot_is_reported():
    items = replaced(healthy(), f"PROVIDER#{PID}", "SLOT#2026-12-02T12:30:00Z", status="BLOCKED", block_id="k9",
                     hold_id=None)
    [violation] = check(items, NOW).violations
    assert violation.kind == MISSING_SLOT and "BLOCKED by block k9" in violation.message


def test_two_live_bookings_over_one_slot_are_a_slot_claimed_twice():
    # Given another active booking whose time overlaps b1's last two slots
    items = healthy() + [booking("b9", "2026-12-02T11:00:00Z", "2026-12-02T11:30:00Z")] + records(
        "b9", 1, events.BOOKING_CREATED, LONG_AGO)
    report = check(items, NOW)
    twice = [v for v in report.violations if v.kind == SLOT_CLAIMED_TWICE]
    assert [v.keys[0][1] for v in twice] == ["SLOT#2026-12-02T11:00:00Z"]
    assert "booking b1 and booking b9" in twice[0].message
    # And b9's slot past b1's (11:15, FREE) is missing
    assert kinds(items) == [MISSING_SLOT, SLOT_CLAIMED_TWICE]


def test_a_slot_of_one_owner_taken_by_another_is_a_slot_claimed_twice():
    # Given one of the live hold's slots BOOKED by b1 (which does not cover it)
    items = replaced(healthy(), f"PROVIDER#{PID}", "SLOT#2026-12-02T12:00:00Z", status="BOOKED", booking_id="b1")
    assert kinds(items) == [SLOT_CLAIMED_TWICE, SLOT_WITHOUT_OWNER]


def test_a_booking_committed_after_its_holds_expiry_is_reported():
    items = replaced(healthy(), "HOLD#h3", "HOLD", expires_at=epoch("2026-12-01T07:05:00Z"))
    [violation] = check(items, NOW).violations
    assert violation.kind == HOLD_PAST_EXPIRY
    assert violation.keys == (("HOLD#h3", "HOLD"), ("BOOKING#b4", "BOOKING"))


def test_a_slot_kept_held_after_its_hold_lapsed_is_reported():
    # Given the hold lapsed at 07:55 but one slot says it is held until 09:00 (unbookable now)
    items = replaced(healthy(), f"PROVIDER#{PID}", "SLOT#2026-12-02T14:15:00Z",
                     hold_expires=epoch("2026-12-01T09:00:00Z"))
    [violation] = check(items, NOW).violations
    assert violation.kind == HOLD_PAST_EXPIRY and "hold h2" in violation.message
    # And a live hold's slot held past the hold's expiry is one too
    items = replaced(healthy(), f"PROVIDER#{PID}", "SLOT#2026-12-02T12:15:00Z",
                     hold_expires=epoch("2026-12-01T09:00:00Z"))
    assert kinds(items) == [HOLD_PAST_EXPIRY]


def test_settled_events_need_their_audit_record_and_every_inbox_entry():
    # Given b1's creation without its audit record, b2's cancel without the owner's inbox entry
    items = without(healthy(), f"PROVIDER#{PID}#AUDIT", f"{LONG_AGO}#booking:b1:v000001")
    items = without(items, f"USER#{OWNER}", "NOTIFICATION#2026-12-01T07:10:00Z-booking:b2:v000002")
    report = check(items, NOW)
    assert [v.kind for v in report.violations] == [MISSING_AUDIT, MISSING_NOTIFICATION]
    assert report.violations[0].keys[0] == (f"PROVIDER#{PID}#AUDIT", f"{LONG_AGO}#booking:b1:v000001")
    assert "booking.canceled" in report.violations[1].message and "owner" in report.violations[1].message
    # And without after_commit, neither is looked at
    assert kinds(items, after_commit=False) == []


def test_an_event_named_only_by_an_inbox_entry_needs_its_audit_record_too():
    # Given b1 confirmed (v2) with the customer told, but no audit record of it
    items = replaced(healthy(), "BOOKING#b1", "BOOKING", version=Decimal(2), updated_at="2026-12-01T07:30:00Z")
    items += [r for r in records("b1", 2, events.BOOKING_CONFIRMED, "2026-12-01T07:30:00Z", ("customer",))
              if r["pk"].startswith("USER#")]
    [violation] = check(items, NOW).violations
    assert violation.kind == MISSING_AUDIT and "booking.confirmed" in violation.message


def test_events_newer_than_the_settle_time_are_skipped_and_counted():
    # Given a booking made two minutes ago whose records the stream has not written yet
    items = healthy() + [booking("b5", "2026-12-08T10:00:00Z", "2026-12-08T11:15:00Z",
                                 created_at="2026-12-01T07:58:00Z"),
                         *slots("2026-12-08T10:00:00Z", "2026-12-08T11:15:00Z", "BOOKED", booking_id="b5")]
    report = check(items, NOW, settle_seconds=300)
    assert report.violations == () and report.skipped_recent == 1
    assert kinds(items, settle_seconds=60) == [MISSING_AUDIT, MISSING_NOTIFICATION, MISSING_NOTIFICATION]


def test_what_the_ttl_may_have_removed_is_not_required():
    # Given, 200 days later, b1's slots and inbox entries gone (TTL) and its audit record kept
    later = NOW + timedelta(days=200)
    items = [i for i in healthy() if not i["sk"].startswith(("SLOT#", "NOTIFICATION#"))]
    items = [i for i in items if i["pk"] != "HOLD#h1"]
    assert kinds(items, now=later) == []


def test_items_the_rules_do_not_read_are_ignored_and_free_slots_dropped():
    assert not invariants.relevant({"pk": "PROVIDER#p", "sk": "SLOT#2026-12-02T10:00:00Z", "status": "FREE"})
    assert invariants.relevant({"pk": "PROVIDER#p", "sk": "SLOT#2026-12-02T10:00:00Z", "status": "BOOKED"})
    assert not invariants.relevant({"pk": "PROVIDER#p", "sk": "SLOT#2026-12-02"})  # a card
    assert not invariants.relevant({"pk": "PROVIDER#p", "sk": "SERVICE#s"})
    assert not invariants.relevant({"pk": "PROVIDER#p#AUDIT", "sk": "x", "event_id": "profile:p:v000002"})
    kept = [i for i in healthy() if invariants.relevant(i)]
    assert check(kept, NOW).violations == ()


# --- held together with the code that writes the items ---------------------------------------------

def test_keys_are_those_models_py_builds():
    from chalicelib.adapters import models

    start = datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert invariants.slot_key("p", start) == models.SlotItem.key("p", start)
    assert invariants.booking_key("b") == models.BookingItem.key("b")
    assert invariants.hold_key("h") == models.HoldItem.key("h")
    assert invariants.audit_key("p", "2026-12-01T08:00:00Z", "e") == models.AuditItem.key(
        "p", "2026-12-01T08:00:00Z", "e")
    keys = [
        models.SlotItem.key("p", start), models.BookingItem.key("b"), models.HoldItem.key("h"),
        models.ProviderItem.key("p"), models.AuditItem.key("p", "at", "e"), models.NotificationItem.key("u", "n"),
        models.CardItem.key("p", start.date()), models.ServiceItem.key("p", "s"), models.ReviewItem.key("b"),
        models.IdempotencyItem.key("u", "k"), models.ScheduleItem.key("p"), models.DeliveryItem.key("d")]
    assert [invariants.entity_of({"pk": pk, "sk": sk}) for pk, sk in keys] == ["slot", "booking", "hold", "profile", "audit", "notification", None, None, None,
                                     None, None, None]


@pytest.mark.parametrize("event_class", [events.BookingCreated, events.BookingConfirmed, events.BookingDeclined,
                                         events.BookingCanceled, events.BookingRescheduled])
@pytest.mark.parametrize("status", ["CONFIRMED", "PENDING"])
def test_who_is_told_agrees_with_the_notices(event_class, status):
    event = event_class(event_id="booking:b:v000001", at="2026-12-01T08:00:00Z", provider_id="p",
                        actor=events.Actor(role="customer", user_id="c"), booking_id="b", customer_id="c", version=1,
                        after={"status": status})
    assert tuple(notice.role for notice in notices.notices_of(event)) == invariants.NOTIFIED[event.type]


def test_retentions_are_the_adapters_ttls():
    from chalicelib.adapters import inbox, slots

    assert invariants.SLOT_RETENTION == slots.SLOT_RETENTION
    ttl_days = inspect.signature(inbox.put_notification).parameters["ttl_days"].default
    assert invariants.INBOX_RETENTION == timedelta(days=ttl_days)


# --- the service: a scan is no snapshot, so what it shows is confirmed by an atomic re-read -----------

class FakeReader:
    """A table read by a scan that saw `scanned`, and whose items are `now` when read again."""

    def __init__(self, scanned: List[Dict[str, Any]], now: List[Dict[str, Any]]) -> None:
        self.scanned, self.current = scanned, {(i["pk"], i["sk"]): i for i in now}
        self.rereads: List[set] = []

    def scan(self, segments, consistent_read, attributes, keep, workers):
        from chalicelib.adapters.table_scan import ScanResult

        return ScanResult(items=[i for i in self.scanned if keep(i)], scanned=len(self.scanned), capacity_units=2.5)

    def read_items(self, keys):
        self.rereads.append(set(keys))
        return {key: self.current.get(key) for key in keys}


def test_a_booking_committed_during_the_scan_is_cleared_by_the_re_read():
    from chalicelib.service import invariants as service
    from chalicelib.service.stores import using

    # Given a scan that read b6's booking item but its slots before the booking committed (FREE, dropped)
    committed = [booking("b6", "2026-12-09T10:00:00Z", "2026-12-09T10:30:00Z", created_at="2026-12-01T07:59:00Z"),
                 *slots("2026-12-09T10:00:00Z", "2026-12-09T10:30:00Z", "BOOKED", booking_id="b6")]
    reader = FakeReader(healthy() + committed[:1] + slots("2026-12-09T10:00:00Z", "2026-12-09T10:30:00Z"),
                        healthy() + committed)
    with using(scan=reader):
        result = service.check_table(segments=2, now=NOW)
    # Then the re-read of its keys shows the slots booked: nothing is reported, and what was cleared is said
    assert result.report.violations == () and result.cleared_on_reread == 2
    assert reader.rereads[0] == {("BOOKING#b6", "BOOKING"), (f"PROVIDER#{PID}", "SLOT#2026-12-09T10:00:00Z"),
                                 (f"PROVIDER#{PID}", "SLOT#2026-12-09T10:15:00Z")}
    assert result.as_dict()["events_skipped_recent"] == 1


def test_a_violation_the_re_read_still_shows_is_reported():
    from chalicelib.service import invariants as service
    from chalicelib.service.stores import using

    broken = without(healthy(), f"PROVIDER#{PID}", "SLOT#2026-12-02T10:15:00Z")
    with using(scan=FakeReader(broken, broken)):
        result = service.check_table(now=NOW)
    assert [v.kind for v in result.report.violations] == [MISSING_SLOT] and result.cleared_on_reread == 0
    lines = service.summary(result)
    assert "  missing_slot: 1" in lines and lines[-1] == "1 violation(s)"
    assert result.as_dict()["counts"]["missing_slot"] == 1 and result.as_dict()["read_capacity_units"] == 2.5


@pytest.mark.parametrize("arguments", [["--segments", "0"], ["--segments", "65"], ["--settle-seconds", "-1"],
                                       ["--segments", "four"]])
def test_the_command_refuses_bad_arguments_before_reading_anything(arguments, capsys):
    from scripts import check_invariants

    with pytest.raises(SystemExit) as exit_:
        check_invariants.main(arguments)
    assert exit_.value.code == 2 and "argument --" in capsys.readouterr().err
