"""Notifications and reminders against in-memory repositories and channels (tests/unit/fakes*.py)."""
from __future__ import annotations

import dataclasses
import email
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from chalicelib.domain import events
from chalicelib.domain.notices import Device
from chalicelib.service import notifications, reminders, stores
from chalicelib.service.notifications import DeliveriesFailed
from tests.unit.conftest import ALICE, OWNER
from tests.unit.fakes_inbox import FakeInbox
from tests.unit.fakes_notify import FakeDeliveries, FakeDirectory, FakeMail, FakePush

TEN = "2026-12-03T10:00:00Z"


@dataclasses.dataclass
class Channels:
    inbox: FakeInbox
    deliveries: FakeDeliveries
    mail: FakeMail
    push: FakePush
    directory: FakeDirectory


@pytest.fixture()
def channels(state) -> Iterator[Channels]:
    fakes = Channels(FakeInbox(), FakeDeliveries(), FakeMail(), FakePush(),
                     FakeDirectory({ALICE.user_id: "alice@example.test", OWNER.user_id: "owner@example.test"}))
    with stores.using(inbox=fakes.inbox, deliveries=fakes.deliveries, mail=fakes.mail, push=fakes.push,
                      directory=fakes.directory):
        yield fakes


def created(state, shop) -> events.BookingCreated:
    """Given Alice booked 10:00: the event of that booking."""
    answer = shop.book(ALICE, TEN)
    booking = state.bookings[answer.body["booking_id"]]
    [event] = events.changes_of_booking(None, booking)
    return event


def entries(fake: FakeInbox, user_id: str):
    return fake.list_notifications(user_id, 100, None)[0]


def test_a_booking_reaches_both_inboxes_and_mailboxes_once_however_often_it_is_delivered(state, shop, channels):
    event = created(state, shop)
    assert notifications.notify(event) == 4  # two inbox entries, two e-mails
    assert notifications.notify(event) == 0
    assert [n.type for n in entries(channels.inbox, ALICE.user_id)] == ["booking_confirmed"]
    assert [n.type for n in entries(channels.inbox, OWNER.user_id)] == ["booking_created"]
    assert sorted(to for to, _ in channels.mail.sent) == ["alice@example.test", "owner@example.test"]
    message = email.message_from_bytes(dict(channels.mail.sent)["alice@example.test"])
    assert message["Subject"] == "Booking confirmed"
    assert [p.get_filename() for p in message.walk() if p.get_filename()] == ["booking.ics"]


def test_a_failing_channel_fails_the_event_but_not_the_other_channels_and_the_retry_sends_only_what_is_missing(
        state, shop, channels):
    channels.inbox.put_device(ALICE.user_id, Device("p1", "apns", "token"), 10)
    channels.inbox.put_phone(ALICE.user_id, "+447911123456", datetime.now(timezone.utc))
    event = created(state, shop)
    channels.mail.fail_next(1)
    with pytest.raises(DeliveriesFailed):
        notifications.notify(event)
    # The push, the SMS, the inbox entries and the other e-mail went out; one e-mail did not
    assert len(channels.push.pushes) == 1 and len(channels.push.texts) == 1 and len(channels.mail.sent) == 1
    # The retry sends that one e-mail and nothing else again
    assert notifications.notify(event) == 1
    assert len(channels.push.pushes) == 1 and len(channels.push.texts) == 1 and len(channels.mail.sent) == 2


def test_a_stage_without_sms_sends_none_and_claims_none_but_the_other_channels_go(state, shop, channels):
    # Given a stage with SMS off and Alice opted in to SMS
    channels.push.sms_enabled = False
    channels.inbox.put_phone(ALICE.user_id, "+447911123456", datetime.now(timezone.utc))
    event = created(state, shop)
    # When her booking is notified
    assert notifications.notify(event) == 4  # two inbox entries, two e-mails
    # Then no SMS is sent or claimed, and a retry has nothing left to do
    assert channels.push.texts == [] and not [d for d in channels.deliveries.items if d.endswith(":sms")]
    assert notifications.notify(event) == 0
    # And with SMS on, the same opt-in is texted
    channels.push.sms_enabled = True
    assert notifications.notify(event) == 1 and len(channels.push.texts) == 1


def test_a_delivery_another_worker_is_sending_is_left_to_it_and_retried_later(state, shop, channels):
    event = created(state, shop)
    original = channels.deliveries.claim
    channels.deliveries.claim = lambda delivery_id, now, lease: "busy"
    with pytest.raises(DeliveriesFailed):
        notifications.notify(event)
    assert channels.mail.sent == []
    channels.deliveries.claim = original
    assert notifications.notify(event) == 2  # the two e-mails; the inbox entries were already in


def test_someone_without_an_address_or_phones_still_gets_the_inbox_entry(state, shop, channels):
    channels.directory.emails.clear()
    event = created(state, shop)
    assert notifications.notify(event) == 2
    assert channels.mail.sent == []


def test_events_nobody_is_told_of_send_nothing(state, shop, channels):
    block = events.BlockCreated(event_id="block:k:created", at="2026-12-01T08:00:00Z", provider_id=shop.pid,
                                actor=events.Actor(user_id=OWNER.user_id, role="owner"))
    assert notifications.notify(block) == 0
    assert channels.inbox.list_notifications(OWNER.user_id, 10, None)[0] == []


def test_reminders_go_out_once_a_day_before_and_not_for_canceled_bookings(state, shop, channels, fixed_clock):
    from chalicelib.domain.model import CancelBooking
    from chalicelib.service import bookings

    kept = shop.book(ALICE, TEN).body["booking_id"]
    dropped = shop.book(ALICE, "2026-12-03T13:00:00Z").body["booking_id"]
    bookings.cancel(ALICE, dropped, CancelBooking())
    assert reminders.send_due_reminders() == {"sent": 0, "skipped": 0}
    fixed_clock.now = datetime(2026, 12, 2, 10, 5, tzinfo=timezone.utc)
    assert reminders.send_due_reminders()["sent"] == 1
    assert reminders.send_due_reminders()["sent"] == 0
    fixed_clock.advance(hours=4)
    assert reminders.send_due_reminders()["sent"] == 0
    reminded = [n for n in entries(channels.inbox, ALICE.user_id) if n.type == "booking_reminder"]
    assert [n.booking_id for n in reminded] == [kept]
    assert state.bookings[kept].reminded_start == TEN


def test_a_reminder_missed_by_more_than_the_lookback_is_not_sent_late(state, shop, channels, fixed_clock):
    shop.book(ALICE, TEN)
    fixed_clock.now = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc) + reminders.LOOKBACK + timedelta(minutes=1)
    assert reminders.send_due_reminders()["sent"] == 0


def test_a_phone_the_push_service_disowns_is_removed_and_the_rest_goes_out(state, shop, channels):
    channels.inbox.put_device(ALICE.user_id, Device("old", "fcm", "stale-token"), 10)
    channels.inbox.put_device(ALICE.user_id, Device("new", "apns", "fresh-token"), 10)
    channels.push.gone.add("stale-token")
    event = created(state, shop)
    assert notifications.notify(event) == 5  # two inbox entries, two e-mails, one push: no retry needed
    assert [d.device_id for d in channels.inbox.get_contacts(ALICE.user_id).devices] == ["new"]


def test_a_directory_outage_for_one_recipient_does_not_hold_back_the_other(state, shop, channels):
    event = created(state, shop)
    healthy = channels.directory.email_of

    def flaky(user_id):
        if user_id == ALICE.user_id:
            raise ConnectionError("the user pool is unreachable")
        return healthy(user_id)

    channels.directory.email_of = flaky
    with pytest.raises(DeliveriesFailed):
        notifications.notify(event)
    assert [to for to, _ in channels.mail.sent] == ["owner@example.test"]
    channels.directory.email_of = healthy
    assert notifications.notify(event) == 1
    assert sorted(to for to, _ in channels.mail.sent) == ["alice@example.test", "owner@example.test"]
