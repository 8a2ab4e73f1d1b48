"""The audit trail: what is recorded, once, and what a provider's owner reads of it (in-memory repositories)."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterator

import pytest

from chalicelib.domain import events
from chalicelib.domain.errors import Forbidden, InvalidRequest, NotFound
from chalicelib.domain.timegrid import format_utc
from chalicelib.service import audit, stores
from tests.unit.conftest import ALICE, NOW, OWNER
from tests.unit.fakes_inbox import FakeAudit


@pytest.fixture()
def trail(state) -> Iterator[FakeAudit]:
    fake = FakeAudit()
    with stores.using(audit=fake):
        yield fake


def canceled(shop, at: str, n: int = 1) -> events.BookingCanceled:
    return events.BookingCanceled(
        event_id=f"booking:b{n}:v000002", at=at, provider_id=shop.pid,
        actor=events.Actor(user_id="alice", role=events.CUSTOMER), booking_id=f"b{n}", customer_id="alice", version=2,
        before={"status": "CONFIRMED"}, after={"status": "CANCELED"})


def test_an_event_is_recorded_once_and_counted_once(trail, shop, monkeypatch):
    counted = []
    monkeypatch.setattr(audit, "count", counted.append)
    event = canceled(shop, "2026-12-01T07:00:00Z")
    assert audit.record(event) is True
    assert audit.record(event) is False  # a redelivery
    assert counted == ["AuditRecorded"]
    assert [e["event_id"] for e in audit.list_audit(OWNER, shop.pid, None, None, 20, None)["events"]] == [
        "booking:b1:v000002"]


def test_reminders_are_not_audited(trail, shop):
    reminder = events.BookingReminderDue(
        event_id="reminder:b1:2026-12-02T10:00:00Z", at="2026-12-01T07:00:00Z", provider_id=shop.pid,
        actor=events.Actor(role=events.SYSTEM), booking_id="b1", customer_id="alice", version=1, after={"status": "CONFIRMED"})
    assert audit.record(reminder) is False
    assert trail.calls == []


def test_the_view_of_a_record(trail, shop):
    block = events.BlockDeleted(event_id="block:k1:deleted", at="2026-12-01T07:30:00Z", provider_id=shop.pid,
                                actor=events.Actor(role=events.SYSTEM), before={"block_id": "k1"})
    audit.record(block)
    assert audit.list_audit(OWNER, shop.pid, None, None, 20, None) == {"events": [{
        "event_id": "block:k1:deleted", "type": "block.deleted", "booking_id": None,
        "actor": {"user_id": None, "role": "system"}, "at": "2026-12-01T07:30:00Z", "before": {"block_id": "k1"},
        "after": None}], "next_cursor": None}


def test_the_trail_is_oldest_first_over_the_last_30_days_by_default(trail, shop):
    ats = [NOW - timedelta(days=days, minutes=1) for days in (40, 30, 29, 2, 0)]
    for n, at in enumerate(ats):
        audit.record(canceled(shop, format_utc(at), n))
    listed = audit.list_audit(OWNER, shop.pid, None, None, 20, None)["events"]
    assert [e["at"] for e in listed] == [format_utc(at) for at in ats[2:]]
    everything = audit.list_audit(OWNER, shop.pid, "2026-01-01", None, 2, None)
    assert len(everything["events"]) == 2 and everything["next_cursor"]
    rest = audit.list_audit(OWNER, shop.pid, "2026-01-01", None, 20, everything["next_cursor"])["events"]
    assert [e["at"] for e in everything["events"] + rest] == [format_utc(at) for at in ats]


def test_from_and_to_take_dates_on_the_providers_clock_and_instants(trail, shop):
    for n, at in enumerate(["2026-11-20T23:59:59Z", "2026-11-21T00:00:00Z", "2026-11-21T23:59:59Z",
                            "2026-11-22T00:00:00Z"]):
        audit.record(canceled(shop, at, n))

    def ats(date_from, date_to):
        return [e["at"] for e in audit.list_audit(OWNER, shop.pid, date_from, date_to, 20, None)["events"]]

    assert ats("2026-11-21", "2026-11-21") == ["2026-11-21T00:00:00Z", "2026-11-21T23:59:59Z"]
    assert ats("2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z") == [
        "2026-11-21T00:00:00Z", "2026-11-21T23:59:59Z", "2026-11-22T00:00:00Z"]
    assert ats(None, "2026-11-21T00:00:00+00:00") == ["2026-11-20T23:59:59Z", "2026-11-21T00:00:00Z"]


@pytest.mark.parametrize("date_from,date_to,field", [
    ("yesterday", None, "from"), ("2026-13-01", None, "from"), ("2026-11-21T00:00:00", None, "from"),
    (None, "2026-02-30", "to"), ("2026-11-22", "2026-11-21", "to"), ("2026-12-25", None, "from"),
])
def test_a_bad_range_is_refused_naming_the_field(trail, shop, date_from, date_to, field):
    with pytest.raises(InvalidRequest, match=f"^{field}: "):
        audit.list_audit(OWNER, shop.pid, date_from, date_to, 20, None)


def test_only_the_owner_reads_the_trail(trail, shop):
    with pytest.raises(Forbidden):
        audit.list_audit(ALICE, shop.pid, None, None, 20, None)
    with pytest.raises(NotFound):
        audit.list_audit(OWNER, "no-such-provider", None, None, 20, None)
