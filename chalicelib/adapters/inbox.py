"""Access to a user's partition (USER#id): the inbox, and the contacts beyond it (phones for push, SMS)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import List, Optional, Tuple

from pynamodb.exceptions import UpdateError

from chalicelib.adapters import dynamo
from chalicelib.adapters.models import (
    CONTACT_PREFIX,
    DeviceCountItem,
    DeviceItem,
    NotificationItem,
    SmsItem,
    user_pk,
)
from chalicelib.adapters.pagination import decode_cursor, read_page
from chalicelib.adapters.transaction import Transaction, TransactionFailed
from chalicelib.domain.errors import TooManyDevices, TryAgain
from chalicelib.domain.notices import Contacts, Device, Notification
from chalicelib.domain.timegrid import format_utc, parse_instant

CONDITION_FAILED = "ConditionalCheckFailedException"
LISTING = "notifications"
# Rounds of "add it new" / "replace it" when another request adds or deletes the same device in between.
DEVICE_ATTEMPTS = 3


# --- the inbox --------------------------------------------------------------------------------

def _notification(item: NotificationItem) -> Notification:
    return Notification(user_id=item.user_id, notification_id=item.notification_id, type=item.type,
                        booking_id=item.booking_id, title=item.title, body=item.body, created_at=item.created_at,
                        event_id=item.event_id, read=bool(item.read))


def put_notification(notification: Notification, ttl_days: int = 180) -> bool:
    """Add an entry to its user's inbox; False (and nothing written) when it is there already."""
    expires = parse_instant(notification.created_at, "created_at") + timedelta(days=ttl_days)
    item = NotificationItem(
        *NotificationItem.key(notification.user_id, notification.notification_id),
        notification_id=notification.notification_id, user_id=notification.user_id, type=notification.type,
        booking_id=notification.booking_id, title=notification.title, body=notification.body,
        created_at=notification.created_at, read=notification.read, event_id=notification.event_id,
        ttl=int(expires.timestamp()))
    return item.save_if(NotificationItem.pk.does_not_exist())


def list_notifications(user_id: str, limit: int, cursor: Optional[str]) -> Tuple[List[Notification], Optional[str]]:
    """A page of a user's inbox, newest first."""
    pk = user_pk(user_id)
    result = NotificationItem.query(pk, NotificationItem.sk.startswith(NotificationItem.PREFIX),
                                    scan_index_forward=False, limit=limit,
                                    last_evaluated_key=decode_cursor(cursor, LISTING, pk))
    return read_page(result, _notification, cursor, LISTING)


def mark_read(user_id: str, notification_id: str) -> bool:
    """Mark an entry of the user's inbox read (again, if it was); False when the user has no such entry."""
    try:
        NotificationItem(*NotificationItem.key(user_id, notification_id)).update(
            actions=[NotificationItem.read.set(True)], condition=NotificationItem.pk.exists())
    except UpdateError as error:
        if error.cause_response_code == CONDITION_FAILED:
            return False
        raise
    return True


# --- contacts ---------------------------------------------------------------------------------

def get_contacts(user_id: str) -> Contacts:
    """The user's phones for push and SMS number, in one Query."""
    devices, phone = [], None
    sms_key = SmsItem.key(user_id)[1]
    for raw in dynamo.query_prefix(user_pk(user_id), CONTACT_PREFIX):
        sort_key = raw["sk"]["S"]
        if sort_key.startswith(DeviceItem.PREFIX):
            item = DeviceItem.from_raw_data(raw)
            devices.append(Device(device_id=item.device_id, platform=item.platform, token=item.token,
                                  updated_at=item.updated_at))
        elif sort_key == sms_key:
            phone = SmsItem.from_raw_data(raw).phone
    return Contacts(devices=devices, phone=phone)


def put_device(user_id: str, device: Device, max_devices: int) -> None:
    """Register a phone for push, or replace the one of that id; TooManyDevices when it would be one too many.

    The cap is atomic: a new device is written in one transaction with the user's device count, on condition
    that the count is below the cap, so racing registrations cannot overshoot it.
    """
    item = DeviceItem(*DeviceItem.key(user_id, device.device_id), device_id=device.device_id,
                      platform=device.platform, token=device.token, updated_at=device.updated_at)
    for _ in range(DEVICE_ATTEMPTS):
        if _add_device(user_id, item, max_devices):
            return
        if item.save_if(DeviceItem.pk.exists()):
            return
        # Deleted since the attempt to add it found it: add it anew.
    raise TryAgain()


def _add_device(user_id: str, item: DeviceItem, max_devices: int) -> bool:
    """Write a device that is not there yet, counting it; False when it is there already."""
    # A registration has no version to name it by: a fresh id keeps a re-registration within DynamoDB's
    # ten-minute token window from being taken for this one.
    tx = Transaction(f"device:{user_id}:{item.device_id}:{uuid.uuid4().hex}")
    tx.put("device", item, condition=DeviceItem.pk.does_not_exist())
    tx.update("count", DeviceCountItem(*DeviceCountItem.key(user_id)), [DeviceCountItem.devices.add(1)],
              condition=DeviceCountItem.devices.does_not_exist() | (DeviceCountItem.devices < max_devices))
    try:
        tx.commit()
    except TransactionFailed as failed:
        refused = failed.failure.failed()
        if "device" in refused:
            return False
        if "count" in refused:
            raise TooManyDevices(f"at most {max_devices} phones per user: delete one you no longer use "
                                 "(DELETE /v1/me/devices/{device_id}), then register this one") from failed
        raise TryAgain() from failed
    return True


def delete_device(user_id: str, device_id: str) -> None:
    """Stop push to a phone (nothing to do when it is not registered)."""
    tx = Transaction(f"device-delete:{user_id}:{device_id}:{uuid.uuid4().hex}")
    tx.delete("device", DeviceItem(*DeviceItem.key(user_id, device_id)), condition=DeviceItem.pk.exists())
    tx.update("count", DeviceCountItem(*DeviceCountItem.key(user_id)), [DeviceCountItem.devices.add(-1)])
    try:
        tx.commit()
    except TransactionFailed as failed:
        if "device" not in failed.failure.failed():
            raise TryAgain() from failed


def put_phone(user_id: str, phone: str, now: datetime) -> None:
    """Opt the user in to SMS at this number (replacing any other)."""
    SmsItem(*SmsItem.key(user_id), phone=phone, updated_at=format_utc(now)).save()


def delete_phone(user_id: str) -> None:
    """Opt the user out of SMS (nothing to do when not opted in)."""
    SmsItem(*SmsItem.key(user_id)).delete()
