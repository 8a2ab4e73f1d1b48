"""The inbox and contact preferences, against the in-memory repositories (tests/unit/fakes_inbox.py)."""
from __future__ import annotations

from typing import Iterator

import pytest
from pydantic import ValidationError

from chalicelib.domain.errors import InvalidRequest, NotFound, TooManyDevices
from chalicelib.domain.model import OptInSms, RegisterDevice
from chalicelib.domain.notices import Notification
from chalicelib.service import inbox, stores
from tests.unit.conftest import ALICE, BOB
from tests.unit.fakes_inbox import FakeInbox


@pytest.fixture()
def store(fixed_clock) -> Iterator[FakeInbox]:
    fake = FakeInbox()
    with stores.using(inbox=fake):
        yield fake


def notice(user_id: str, minute: int, **changes) -> Notification:
    """An inbox entry of 1 December 2026 at 09:<minute>, its id sorting by that time as the real ids do."""
    fields = dict(user_id=user_id, notification_id=f"20261201T09{minute:02d}00Z-{minute:016x}",
                  type="booking_confirmed", booking_id=f"b{minute}", title="Booking confirmed",
                  body="Massage at Spa is confirmed.", created_at=f"2026-12-01T09:{minute:02d}:00Z",
                  event_id=f"booking:b{minute}:v000001")
    return Notification(**{**fields, **changes})


def walk(caller, limit):
    """Every page of the caller's inbox, in order."""
    pages, cursor = [], None
    while True:
        page = inbox.list_mine(caller, limit, cursor)
        pages.append(page["notifications"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def test_the_inbox_is_newest_first_and_pages_without_gaps_or_repeats(store):
    for minute in range(45):
        store.put_notification(notice("alice", minute))
    store.put_notification(notice("bob", 7))
    pages = walk(ALICE, 20)
    assert [len(page) for page in pages] == [20, 20, 5]
    ids = [n["notification_id"] for page in pages for n in page]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 45
    first = pages[0][0]
    assert first == {"notification_id": "20261201T094400Z-000000000000002c", "type": "booking_confirmed",
                     "booking_id": "b44", "title": "Booking confirmed", "body": "Massage at Spa is confirmed.",
                     "created_at": "2026-12-01T09:44:00Z", "read": False}
    assert [n["booking_id"] for n in inbox.list_mine(BOB, 20, None)["notifications"]] == ["b7"]


def test_a_redelivered_notification_is_one_entry(store):
    assert store.put_notification(notice("alice", 1)) is True
    assert store.put_notification(notice("alice", 1, title="again")) is False
    assert [n["title"] for n in inbox.list_mine(ALICE, 20, None)["notifications"]] == ["Booking confirmed"]


def test_marking_read_is_for_the_callers_own_notifications_and_may_be_repeated(store):
    entry = notice("alice", 3)
    store.put_notification(entry)
    inbox.mark_read(ALICE, entry.notification_id)
    inbox.mark_read(ALICE, entry.notification_id)
    assert inbox.list_mine(ALICE, 20, None)["notifications"][0]["read"] is True
    with pytest.raises(NotFound):
        inbox.mark_read(BOB, entry.notification_id)
    with pytest.raises(NotFound):
        inbox.mark_read(ALICE, "20261201T090000Z-unknown")


def test_devices_are_registered_replaced_and_removed(store):
    inbox.register_device(ALICE, "phone-1", RegisterDevice(platform="apns", token="a" * 64))
    inbox.register_device(ALICE, "phone-1", RegisterDevice(platform="fcm", token="new-token"))
    inbox.register_device(ALICE, "tablet", RegisterDevice(platform="fcm", token="t"))
    devices = store.get_contacts("alice").devices
    assert [(d.device_id, d.platform, d.token, d.updated_at) for d in devices] == [
        ("phone-1", "fcm", "new-token", "2026-12-01T08:00:00Z"), ("tablet", "fcm", "t", "2026-12-01T08:00:00Z")]
    inbox.remove_device(ALICE, "phone-1")
    inbox.remove_device(ALICE, "phone-1")  # gone already: no error
    assert [d.device_id for d in store.get_contacts("alice").devices] == ["tablet"]
    assert store.get_contacts("bob").devices == []


def test_the_eleventh_device_is_refused_but_replacing_one_is_not(store):
    for n in range(inbox.MAX_DEVICES):
        inbox.register_device(ALICE, f"phone-{n}", RegisterDevice(platform="fcm", token=f"t{n}"))
    with pytest.raises(TooManyDevices, match="at most 10") as refused:
        inbox.register_device(ALICE, "one-too-many", RegisterDevice(platform="fcm", token="x"))
    assert isinstance(refused.value, InvalidRequest)
    inbox.register_device(ALICE, "phone-3", RegisterDevice(platform="apns", token="replaced"))
    assert len(store.get_contacts("alice").devices) == 10
    inbox.remove_device(ALICE, "phone-0")
    inbox.register_device(ALICE, "one-too-many", RegisterDevice(platform="fcm", token="x"))
    inbox.register_device(BOB, "phone-0", RegisterDevice(platform="fcm", token="b"))  # the cap is per user


def test_sms_opt_in_and_out(store):
    inbox.opt_in_sms(ALICE, OptInSms(phone="+447911123456"))
    assert store.get_contacts("alice").phone == "+447911123456"
    inbox.opt_in_sms(ALICE, OptInSms(phone="+14155550123"))
    assert store.get_contacts("alice").phone == "+14155550123"
    inbox.opt_out_sms(ALICE)
    inbox.opt_out_sms(ALICE)
    assert store.get_contacts("alice").phone is None


@pytest.mark.parametrize("phone", ["+12345678", "+447911123456", "+123456789012345"])
def test_e164_numbers_are_taken(phone):
    assert OptInSms.model_validate({"phone": phone}).phone == phone


@pytest.mark.parametrize("phone", ["+1234567", "+1234567890123456", "+0447911123456", "447911123456",
                                   "+44 7911 123456", "+44-7911-123456", "", "+", "+４４7911123456", 447911123456])
def test_other_numbers_are_refused_naming_phone(phone):
    with pytest.raises(ValidationError) as refused:
        OptInSms.model_validate({"phone": phone})
    assert refused.value.errors()[0]["loc"] == ("phone",)


@pytest.mark.parametrize("body", [
    {"platform": "gcm", "token": "t"}, {"platform": "fcm", "token": ""}, {"platform": "fcm", "token": "a b"},
    {"platform": "fcm", "token": "t\n"}, {"platform": "fcm", "token": "tö"}, {"platform": "fcm", "token": "x" * 4097},
    {"platform": "fcm"}, {"token": "t"}, {"platform": "fcm", "token": "t", "name": "my phone"},
])
def test_a_device_needs_a_known_platform_and_a_visible_ascii_token(body):
    with pytest.raises(ValidationError):
        RegisterDevice.model_validate(body)
    assert RegisterDevice.model_validate({"platform": "apns", "token": "!" + "~" * 4095}).platform == "apns"
