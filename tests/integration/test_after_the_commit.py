"""After the commit, in-process: the table's stream fed to the stream functions the way Lambda's event source
mappings feed them (local/streams.py's feeder), with SES, SNS and SQS emulated by moto.

What is checked: inboxes and e-mails follow a booking's life; a record delivered twice changes nothing
twice; an SES outage leaves the booking committed and the e-mail goes out once after a retry; a poison
record is parked in the dead-letter queue while the rest of its batch is handled, and the replay delivers
it once it can be; the .ics read by an independent parser starts at the right UTC instant across a clock
change and at an odd offset; reminders go out once, are re-armed by a move and never sent for a canceled
booking; the audit trail of a booking is complete and in order; a review is audited and tells nobody; a record
failing mid-batch, or the function's process dying mid-batch, loses nothing and sends nothing twice after redelivery.
"""
from __future__ import annotations

import email
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List

import boto3
import pytest
import vobject
from moto.core import DEFAULT_ACCOUNT_ID

from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters import dead_letters, directory, stream_reader
from chalicelib.service import stores
from local import bootstrap
from local.streams import SourceFeeder
from stream_handlers.sources import SOURCES
from tests.integration.conftest import WEEKDAYS, book, call, clock_at
from tests.invariants import assert_no_violations
from tests.unit.fakes_notify import ChannelDown

REGION = "eu-west-1"
FAST = (0.0, 0.0, 0.0)


class Outbox:
    """The stream functions fed in-process, and what the emulated channels took."""

    def __init__(self, feeders: List[SourceFeeder], dead_letter_queue_url: str) -> None:
        self.feeders = feeders
        self.dead_letter_queue_url = dead_letter_queue_url

    def drain(self, rounds: int = 200) -> None:
        """Feed every record so far to every function, retries and parking included, until nothing moves."""
        for _ in range(rounds):
            if not any([feeder.poll_once() for feeder in self.feeders]):
                return
        raise AssertionError("the feeders were still moving after many rounds")

    def poll_once(self) -> None:
        for feeder in self.feeders:
            feeder.poll_once()

    def mails(self, to: str = "") -> List[email.message.Message]:
        from moto.ses.models import ses_backends

        sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        return [email.message_from_string(m.raw_data) for m in sent
                if getattr(m, "raw_data", None) and (not to or to in m.destinations)]

    def texts(self) -> List[tuple]:
        from moto.sns.models import sns_backends

        return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())

    def pushes(self) -> List[str]:
        from moto.sns.models import sns_backends

        endpoints = sns_backends[DEFAULT_ACCOUNT_ID][REGION].platform_endpoints.values()
        return [message for endpoint in endpoints for message in endpoint.messages.values()]

    def parked(self) -> List[Dict[str, Any]]:
        import json

        sqs = boto3.client("sqs")
        answer = sqs.receive_message(QueueUrl=self.dead_letter_queue_url, MaxNumberOfMessages=10,
                                     VisibilityTimeout=0)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


@pytest.fixture()
def outbox(aws, monkeypatch) -> Iterator[Outbox]:
    """Given the notification channels and the dead-letter queue, and a feeder per stream function."""
    from chalicelib.config import get_settings

    queue_url = bootstrap.create_queue(boto3.client("sqs"), "stream-dlq")
    bootstrap.verify_sender(boto3.client("ses"), get_settings().email_from)
    applications = bootstrap.create_push_applications(boto3.client("sns"), "test")
    monkeypatch.setenv("STREAM_DEAD_LETTER_QUEUE_URL", queue_url)
    monkeypatch.setenv("PUSH_APNS_APPLICATION_ARN", applications["APNS"])
    monkeypatch.setenv("PUSH_FCM_APPLICATION_ARN", applications["GCM"])
    get_settings.cache_clear()
    aws_clients.reset()
    directory.forget()
    stream_reader.reset()
    arn = stream_reader.stream_arn()
    feeders = [SourceFeeder(source, arn, boto3.client("dynamodbstreams"), sqs=boto3.client("sqs"),
                            dead_letter_queue_url=queue_url, stage="test", backoff=FAST)
               # What follows a commit for people: search has its own tests (test_search.py), and rebuilding
               # providers there would only slow these down.
               for source in SOURCES if source.name != "search"]
    yield Outbox(feeders, queue_url)
    get_settings.cache_clear()
    aws_clients.reset()


def inbox(client, user) -> List[Dict[str, Any]]:
    status, body, _ = call(client, "GET", "/v1/me/notifications?limit=100", user)
    assert status == 200, body
    return body["notifications"]


def types(client, user) -> List[str]:
    return [n["type"] for n in inbox(client, user)]


def ics_of(message: email.message.Message) -> Any:
    [ics] = [part.get_payload(decode=True) for part in message.walk() if part.get_filename() == "booking.ics"]
    return vobject.readOne(ics.decode()).vevent


def utc_start(event: Any) -> str:
    return event.dtstart.value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def manual_shop(client, make_user, zone: str = "Europe/London", days=WEEKDAYS, hours=("09:00", "17:00")):
    """A provider that confirms by hand (no notice, no cutoff) with a 60-minute service."""
    owner = make_user(provider=True)
    status, provider, _ = call(client, "POST", "/v1/providers", owner, {
        "name": "Calm <b>Spa</b>", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
        "timezone": zone, "booking_rules": {"auto_confirm": False, "min_notice_minutes": 0}})
    assert status == 201, provider
    pid = provider["provider_id"]
    week = {day: [{"start": hours[0], "end": hours[1]}] for day in days}
    assert call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, {"weekly": week})[0] == 200
    status, service, _ = call(client, "POST", f"/v1/providers/{pid}/services", owner, {
        "name": "Massage", "category": "massage", "duration_minutes": 60,
        "price": {"amount": 4500, "currency": "GBP"}})
    assert status == 201
    return {"owner": owner, "pid": pid, "sid": service["service_id"]}


# --- a booking's life ---------------------------------------------------------------------------

def test_a_bookings_life_reaches_both_inboxes_and_mailboxes_and_the_audit_trail(client, make_user, fixed_clock,
                                                                                outbox):
    # Given a provider that confirms by hand and a customer with a phone for push and SMS
    shop = manual_shop(client, make_user)
    customer = make_user()
    assert call(client, "PUT", "/v1/me/devices/phone-1", customer, {"platform": "fcm", "token": "fcm-token-1"})[0] == 204
    assert call(client, "PUT", "/v1/me/sms", customer, {"phone": "+447911123456"})[0] == 204
    # When the customer books, the owner confirms, the customer moves it and then cancels it
    status, booking, _ = book(client, shop, customer, "2026-12-03T10:00:00Z", "life")
    assert status == 201 and booking["status"] == "PENDING"
    bid = booking["booking_id"]
    outbox.drain()
    assert types(client, customer) == ["booking_pending"]
    assert types(client, shop["owner"]) == ["booking_requested"]
    assert call(client, "POST", f"/v1/bookings/{bid}/confirm", shop["owner"])[0] == 200
    fixed_clock.now += timedelta(minutes=1)
    assert call(client, "POST", f"/v1/bookings/{bid}/reschedule", customer, {"start": "2026-12-04T14:00:00Z"})[0] == 200
    fixed_clock.now += timedelta(minutes=1)
    assert call(client, "POST", f"/v1/bookings/{bid}/cancel", customer, {"reason": "ill\r\nBcc: x@evil.example"})[0] == 200
    outbox.drain()
    # Then each step is in the inboxes once, newest first
    assert types(client, customer) == ["booking_canceled", "booking_rescheduled", "booking_confirmed",
                                       "booking_pending"]
    assert types(client, shop["owner"]) == ["booking_canceled", "booking_rescheduled", "booking_requested"]
    # And each went out by e-mail once, with the .ics following the booking (same UID, rising SEQUENCE)
    mails = outbox.mails(customer.email)
    assert [m["Subject"] for m in mails] == ["Booking request sent", "Booking confirmed", "Booking moved",
                                             "Booking canceled"]
    events = [ics_of(m) for m in mails]
    assert len({e.uid.value for e in events}) == 1
    assert [int(e.sequence.value) for e in events] == [1, 2, 3, 4]
    assert [e.status.value for e in events] == ["TENTATIVE", "CONFIRMED", "TENTATIVE", "CANCELLED"]
    assert utc_start(events[-1]) == "2026-12-04T14:00:00Z"
    assert len(outbox.mails(shop["owner"].email)) == 3
    # And user text is text: no header injected, the provider's markup escaped in the HTML part
    last = mails[-1]
    assert last["Bcc"] is None
    html = next(p.get_payload(decode=True).decode() for p in last.walk() if p.get_content_type() == "text/html")
    assert "Calm &lt;b&gt;Spa&lt;/b&gt;" in html and "<b>Spa</b>" not in html
    # And the customer's phone got a push and an SMS for each of their four notices
    assert len(outbox.texts()) == 4 and len(outbox.pushes()) == 4
    # And the audit trail tells the booking's life in order, with who did what
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/audit?limit=100", shop["owner"])
    assert status == 200, body
    trail = [(e["type"], e["actor"]["role"]) for e in body["events"] if e["booking_id"] == bid]
    assert trail == [("booking.created", "customer"), ("booking.confirmed", "owner"),
                     ("booking.rescheduled", "customer"), ("booking.canceled", "customer")]
    moved = next(e for e in body["events"] if e["type"] == "booking.rescheduled")
    assert (moved["before"]["start"], moved["after"]["start"]) == ("2026-12-03T10:00:00Z", "2026-12-04T14:00:00Z")
    kinds = {e["type"] for e in body["events"]}
    assert {"profile.changed", "schedule.changed", "service.changed"} <= kinds
    # And the checker, told the stream has caught up (no settle time), finds every record of every event
    assert assert_no_violations(settle_seconds=0).report.checked_events == 4


def test_a_record_delivered_twice_gives_one_inbox_entry_and_one_e_mail(client, make_user, fixed_clock, outbox):
    shop = manual_shop(client, make_user)
    customer = make_user()
    assert book(client, shop, customer, "2026-12-03T10:00:00Z", "twice")[0] == 201
    # When the notification function gets every record of the stream twice (as a retried batch would)
    from stream_handlers import notifications

    arn = stream_reader.stream_arn()
    [shard] = stream_reader.list_shards(arn)
    records, _ = stream_reader.get_records(stream_reader.shard_iterator(arn, shard["ShardId"]))
    event = {"Records": [stream_reader.event_record(r, arn) for r in records]}
    context = dead_letters.context_for(dead_letters.function_arn(REGION, "test", "notifications"))
    for _ in range(2):
        assert notifications.handler(event, context) == {"batchItemFailures": []}
    outbox.drain()  # and the feeder delivers them a third time
    # Then there is one of each
    assert types(client, customer) == ["booking_pending"]
    assert len(outbox.mails(customer.email)) == 1 and len(outbox.mails(shop["owner"].email)) == 1


def test_an_ses_outage_leaves_the_booking_committed_and_the_e_mail_goes_out_after_a_retry(client, make_user,
                                                                                        fixed_clock, outbox):
    from chalicelib.config import get_settings

    shop = manual_shop(client, make_user)
    customer = make_user()
    outbox.drain()
    # Given SES refuses the sender (as it does when its identity is gone)
    ses = boto3.client("ses")
    ses.delete_identity(Identity=get_settings().email_from)
    # When the customer books
    status, booking, _ = book(client, shop, customer, "2026-12-03T10:00:00Z", "outage")
    assert status == 201
    outbox.poll_once()
    # Then the booking stands, the inbox has it, and no e-mail went out
    assert call(client, "GET", f"/v1/bookings/{booking['booking_id']}", customer)[1]["status"] == "PENDING"
    assert types(client, customer) == ["booking_pending"]
    assert outbox.mails(customer.email) == []
    # When SES takes mail again, the retry sends it: once, and the inbox is not written twice
    bootstrap.verify_sender(ses, get_settings().email_from)
    outbox.drain()
    assert len(outbox.mails(customer.email)) == 1 and len(outbox.mails(shop["owner"].email)) == 1
    assert types(client, customer) == ["booking_pending"]
    assert outbox.parked() == []
    assert_no_violations(settle_seconds=0)


class FlakyFor:
    """SES that refuses one recipient until told to stop (a poison record); the others pass through."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.down = True

    def send(self, recipient: str, message: bytes) -> str:
        if self.down and recipient == self.address:
            raise ChannelDown(f"refusing {recipient}")
        from chalicelib.adapters import mail

        return mail.send(recipient, message)


def test_a_poison_record_is_parked_alone_and_the_replay_delivers_it_once_fixed(client, make_user, fixed_clock,
                                                                               outbox):
    shop = manual_shop(client, make_user)
    outbox.drain()
    customers = [make_user() for _ in range(3)]
    flaky = FlakyFor(customers[1].email)
    with stores.using(mail=flaky):
        # Given three bookings in one batch, the second one's e-mail failing every time
        for index, customer in enumerate(customers):
            assert book(client, shop, customer, f"2026-12-03T1{index}:00:00Z", f"poison-{index}")[0] == 201
        outbox.drain()
        # Then the other two customers got theirs, the second its inbox entry but no e-mail
        assert [len(outbox.mails(c.email)) for c in customers] == [1, 0, 1]
        assert [types(client, c) for c in customers] == [["booking_pending"]] * 3
        # And the notification function's place in the stream is parked in the dead-letter queue, from that
        # record on (a partial batch answer retries from the failed record; what follows it was handled)
        [parked] = outbox.parked()
        info = parked["DDBStreamBatchInfo"]
        [first] = stream_reader.read_range(info["streamArn"], info["shardId"], info["startSequenceNumber"],
                                           info["startSequenceNumber"])
        assert first["dynamodb"]["NewImage"]["customer_id"]["S"] == customers[1].sub
        assert parked["requestContext"]["functionArn"].endswith("-notifications")
        assert parked["requestContext"]["condition"] == "RetryAttemptsExhausted"
        # When the fault is fixed and the replay runs
        flaky.down = False
        [replayed] = dead_letters.replay(outbox.dead_letter_queue_url, SOURCES, sqs=boto3.client("sqs"),
                                         streams=boto3.client("dynamodbstreams"))
        assert replayed.ok
    # Then the e-mail went out once, nothing was sent twice, and the queue is empty
    assert [len(outbox.mails(c.email)) for c in customers] == [1, 1, 1]
    assert len(outbox.mails(shop["owner"].email)) == 3
    assert [types(client, c) for c in customers] == [["booking_pending"]] * 3
    assert outbox.parked() == []
    assert_no_violations(settle_seconds=0)


# --- the .ics across a clock change and at an odd offset ------------------------------------------

@pytest.mark.parametrize("zone, day, local, utc", [
    ("Europe/London", "2026-10-23", "10:00", "2026-10-23T09:00:00Z"),  # Friday, summer time (+01:00)
    ("Europe/London", "2026-10-26", "10:00", "2026-10-26T10:00:00Z"),  # Monday, winter time (+00:00)
    ("Asia/Kathmandu", "2026-10-26", "10:00", "2026-10-26T04:15:00Z"),  # +05:45
    ("Australia/Lord_Howe", "2026-10-05", "10:00", "2026-10-04T23:00:00Z"),  # +11:00 after its half-hour change
])
def test_the_e_mails_ics_starts_at_the_right_utc_instant(client, make_user, outbox, zone, day, local, utc):
    with clock_at(datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)):
        shop = manual_shop(client, make_user, zone=zone, days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
        customer = make_user()
        status, booking, _ = book(client, shop, customer, utc, f"ics-{zone}-{day}")
        assert status == 201, booking
        assert booking["local_start"].startswith(f"{day}T{local}")
        outbox.drain()
        [mail] = outbox.mails(customer.email)
        event = ics_of(mail)
        assert utc_start(event) == utc
        # vobject keeps the TZID the file named under its own parameter name
        assert event.dtstart.params.get("X-VOBJ-ORIGINAL-TZID") == [zone]


# --- reminders ------------------------------------------------------------------------------------

def test_a_reminder_goes_out_once_a_move_re_arms_it_and_a_cancel_disarms_it(client, make_user, fixed_clock, outbox):
    from scheduled.send_reminders import handler as send_reminders

    shop = manual_shop(client, make_user)
    kept, moved, dropped = make_user(), make_user(), make_user()
    ids = {}
    for user, start in ((kept, "2026-12-03T10:00:00Z"), (moved, "2026-12-03T12:00:00Z"),
                        (dropped, "2026-12-03T14:00:00Z")):
        status, booking, _ = book(client, shop, user, start, f"remind-{start}")
        assert status == 201
        ids[user.sub] = booking["booking_id"]
    assert call(client, "POST", f"/v1/bookings/{ids[dropped.sub]}/cancel", dropped)[0] == 200
    assert call(client, "POST", f"/v1/bookings/{ids[moved.sub]}/reschedule", moved,
                {"start": "2026-12-04T12:00:00Z"})[0] == 200
    # Nothing is due yet
    assert send_reminders({}, None) == {"sent": 0, "skipped": 0}
    # When a day before the first two starts comes
    fixed_clock.now = datetime(2026, 12, 2, 12, 30, tzinfo=timezone.utc)
    assert send_reminders({}, None)["sent"] == 1
    assert send_reminders({}, None)["sent"] == 0  # again: nothing more
    outbox.drain()
    assert types(client, kept)[0] == "booking_reminder"
    assert "booking_reminder" not in types(client, moved) and "booking_reminder" not in types(client, dropped)
    # When a day before the moved booking's new start comes
    fixed_clock.now = datetime(2026, 12, 3, 12, 30, tzinfo=timezone.utc)
    assert send_reminders({}, None)["sent"] == 1
    assert send_reminders({}, None)["sent"] == 0
    # Then each active booking got one reminder, in the inbox and by e-mail, and the canceled one none
    assert types(client, kept).count("booking_reminder") == 1
    assert types(client, moved).count("booking_reminder") == 1
    assert "booking_reminder" not in types(client, dropped)
    reminders = [m for m in outbox.mails(kept.email) if m["Subject"].startswith("Reminder")]
    assert len(reminders) == 1


def test_a_review_is_in_the_audit_trail_once_and_tells_nobody(client, make_user, fixed_clock, outbox):
    # Given a confirmed booking that has ended, its notices delivered
    shop = manual_shop(client, make_user)
    customer = make_user()
    status, booking, _ = book(client, shop, customer, "2026-12-03T10:00:00Z", "reviewed")
    assert status == 201
    bid = booking["booking_id"]
    assert call(client, "POST", f"/v1/bookings/{bid}/confirm", shop["owner"])[0] == 200
    outbox.drain()
    before = (types(client, customer), types(client, shop["owner"]), len(outbox.mails()))
    # When the customer reviews it
    fixed_clock.now = datetime(2026, 12, 3, 11, 30, tzinfo=timezone.utc)
    assert call(client, "POST", f"/v1/bookings/{bid}/review", customer, {"rating": 4, "comment": "Calm"})[0] == 201
    outbox.drain()
    # Then the owner's audit trail has it once, by the customer, with the review as it was posted
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/audit?from=2026-12-03&to=2026-12-03",
                           shop["owner"])
    assert status == 200, body
    posted = [e for e in body["events"] if e["type"] == "review.posted"]
    assert len(posted) == 1, body["events"]
    assert (posted[0]["event_id"], posted[0]["booking_id"], posted[0]["actor"]) == (
        f"review:{bid}", bid, {"user_id": customer.sub, "role": "customer"})
    assert posted[0]["before"] is None and posted[0]["after"] == {
        "booking_id": bid, "provider_id": shop["pid"], "rating": 4, "comment": "Calm",
        "created_at": "2026-12-03T11:30:00Z"}
    # And nobody was notified of it; the rating's change of the profile is no event either
    assert (types(client, customer), types(client, shop["owner"]), len(outbox.mails())) == before
    assert not any(e["type"] == "profile.changed" and e["at"] == "2026-12-03T11:30:00Z" for e in body["events"])


# --- a crash in the middle of a batch -----------------------------------------------------------------

class FailsOnce:
    """An adapter whose function `name` raises on its `at`-th call, once; every other call goes through."""

    def __init__(self, adapter: Any, name: str, at: int) -> None:
        self.adapter, self.name, self.at = adapter, name, at
        self.calls = 0

    def __getattr__(self, attribute: str) -> Any:
        real = getattr(self.adapter, attribute)
        if attribute != self.name:
            return real

        def once(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == self.at:
                raise RuntimeError(f"{self.name} failed on call {self.at}")
            return real(*args, **kwargs)

        return once


def dies_after(handler: Any, records: int, died: List[int]) -> Any:
    """A stream function whose process dies after handling `records` records of its first big batch: what those
    did is committed, the invocation ends in an error, and the batch comes again from its start."""
    state = {"died": False}

    def dying(event: Dict[str, Any], context: Any) -> Any:
        if not state["died"] and len(event["Records"]) > records:
            state["died"] = True
            died.append(len(event["Records"]))
            handler({"Records": event["Records"][:records]}, context)
            raise RuntimeError("Runtime exited with error: signal: killed")
        return handler(event, context)

    return dying


def events_in_stream() -> List[Any]:
    """Every domain event in the table's stream so far."""
    from chalicelib.adapters.stream import events_of

    arn = stream_reader.stream_arn()
    [shard] = stream_reader.list_shards(arn)
    iterator, found = stream_reader.shard_iterator(arn, shard["ShardId"]), []
    while iterator:
        records, iterator = stream_reader.get_records(iterator)
        if not records:
            return found
        found += [event for record in records for event in events_of(stream_reader.event_record(record, arn))]
    return found


@pytest.mark.parametrize("crash", ["a record fails", "the process dies"])
def test_a_crash_mid_batch_loses_nothing_and_sends_nothing_twice(client, make_user, fixed_clock, outbox,
                                                                 monkeypatch, crash):
    from chalicelib.adapters import audit as audit_adapter
    from chalicelib.adapters import mail as mail_adapter
    from chalicelib.domain.events import AUDITED_TYPES
    from stream_handlers import audit as audit_function
    from stream_handlers import notifications as notification_function

    shop = manual_shop(client, make_user)
    outbox.drain()
    # Given three customers (the first with a phone for push and SMS) book, and the owner confirms the first
    customers = [make_user() for _ in range(3)]
    assert call(client, "PUT", "/v1/me/devices/phone-1", customers[0], {"platform": "fcm", "token": "t-1"})[0] == 204
    assert call(client, "PUT", "/v1/me/sms", customers[0], {"phone": "+447911123456"})[0] == 204
    ids = []
    for index, customer in enumerate(customers):
        status, booking, _ = book(client, shop, customer, f"2026-12-03T1{index}:00:00Z", f"mid-batch-{index}")
        assert status == 201
        ids.append(booking["booking_id"])
    assert call(client, "POST", f"/v1/bookings/{ids[0]}/confirm", shop["owner"])[0] == 200
    # When, in the one batch each function gets, the third e-mail and the third audit write fail (a record's
    # failure: the batch is retried from it), or each function's process dies after two records (the whole
    # batch comes again, the first two records' work already committed)
    died: List[int] = []
    if crash == "a record fails":
        mail, trail = FailsOnce(mail_adapter, "send", 3), FailsOnce(audit_adapter, "append", 3)
        with stores.using(mail=mail, audit=trail):
            outbox.drain()
        assert mail.calls > 3 and trail.calls > 3  # each failed once and was retried
    else:
        for function in (audit_function, notification_function):
            monkeypatch.setattr(function, "handler", dies_after(function.handler, 2, died))
        outbox.drain()
        assert died == [4, 4], died  # each died on its batch of the booking records: three created, one confirmed
    # Then every event is in the audit trail exactly once
    audited = sorted(e.event_id for e in events_in_stream() if e.type in AUDITED_TYPES)
    status, body, _ = call(client, "GET", f"/v1/providers/{shop['pid']}/audit?limit=100", shop["owner"])
    assert status == 200, body
    assert sorted(e["event_id"] for e in body["events"]) == audited and len(set(audited)) == len(audited)
    assert [e["type"] for e in body["events"] if e["booking_id"] in ids].count("booking.created") == 3
    # And every notice reached each of its people once on each channel: inbox, e-mail, push and SMS
    assert types(client, customers[0]) == ["booking_confirmed", "booking_pending"]
    assert [types(client, c) for c in customers[1:]] == [["booking_pending"]] * 2
    assert types(client, shop["owner"]) == ["booking_requested"] * 3
    assert [len(outbox.mails(c.email)) for c in customers] == [2, 1, 1]
    assert len(outbox.mails(shop["owner"].email)) == 3
    assert len(outbox.pushes()) == 2 and len(outbox.texts()) == 2
    assert outbox.parked() == []
