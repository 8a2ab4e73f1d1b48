"""In-memory fakes of the inbox and audit repositories, for unit tests of the services (test code, not product code).

`FakeInbox` and `FakeAudit` have the function names, signatures and semantics of chalicelib/adapters/inbox.py
and audit.py: a redelivered notification or audit record is not written twice (False), a read is marked only
on an entry of the user's own, a new device beyond the cap raises TooManyDevices and writes nothing. Every call
is recorded in `calls`. Put them behind the repository names with `stores.using(inbox=..., audit=...)`.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
from collections import defaultdict
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from chalicelib.domain.errors import InvalidRequest, TooManyDevices
from chalicelib.domain.events import Event
from chalicelib.domain.notices import Contacts, Device, Notification
from chalicelib.domain.timegrid import format_utc
from chalicelib.domain.views import audit_event_view
from tests.unit.fakes import _page


def _recorded(method):
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        self.calls.append(method.__name__)
        return method(self, *args, **kwargs)
    return run


def _newest_first(items: List[Notification], limit: int, cursor: Optional[str]
                  ) -> Tuple[List[Notification], Optional[str]]:
    """A page read backwards by id from the cursor's id; a cursor when the page filled (as a Query's limit)."""
    before = None
    if cursor:
        if not cursor.startswith("notifications:"):
            raise InvalidRequest("cursor: not a cursor from a previous answer; start again without it")
        before = cursor[len("notifications:"):]
    ordered = sorted(items, key=lambda n: n.notification_id, reverse=True)
    read = [n for n in ordered if before is None or n.notification_id < before][:limit]
    return read, f"notifications:{read[-1].notification_id}" if len(read) == limit else None


class FakeInbox:
    """chalicelib/adapters/inbox.py in memory: each user's partition as dicts."""

    def __init__(self) -> None:
        self.notifications: Dict[str, Dict[str, Notification]] = defaultdict(dict)  # USER#u / NOTIFICATION#n
        self.devices: Dict[str, Dict[str, Device]] = defaultdict(dict)              # USER#u / CONTACT#DEVICE#d
        self.phones: Dict[str, Tuple[str, str]] = {}                                # USER#u / CONTACT#SMS
        self.ttl_days: Dict[Tuple[str, str], int] = {}
        self.calls: List[str] = []

    @_recorded
    def put_notification(self, notification: Notification, ttl_days: int = 180) -> bool:
        inbox = self.notifications[notification.user_id]
        if notification.notification_id in inbox:
            return False
        inbox[notification.notification_id] = notification
        self.ttl_days[(notification.user_id, notification.notification_id)] = ttl_days
        return True

    @_recorded
    def list_notifications(self, user_id: str, limit: int, cursor: Optional[str]
                           ) -> Tuple[List[Notification], Optional[str]]:
        return _newest_first(list(self.notifications[user_id].values()), limit, cursor)

    @_recorded
    def mark_read(self, user_id: str, notification_id: str) -> bool:
        inbox = self.notifications[user_id]
        if notification_id not in inbox:
            return False
        inbox[notification_id] = dataclasses.replace(inbox[notification_id], read=True)
        return True

    @_recorded
    def get_contacts(self, user_id: str) -> Contacts:
        phone = self.phones.get(user_id)
        return Contacts(devices=[self.devices[user_id][d] for d in sorted(self.devices[user_id])],
                        phone=phone[0] if phone else None)

    @_recorded
    def put_device(self, user_id: str, device: Device, max_devices: int) -> None:
        devices = self.devices[user_id]
        if device.device_id not in devices and len(devices) >= max_devices:
            raise TooManyDevices(f"at most {max_devices} phones per user")
        devices[device.device_id] = device

    @_recorded
    def delete_device(self, user_id: str, device_id: str) -> None:
        self.devices[user_id].pop(device_id, None)

    @_recorded
    def put_phone(self, user_id: str, phone: str, now: datetime) -> None:
        self.phones[user_id] = (phone, format_utc(now))

    @_recorded
    def delete_phone(self, user_id: str) -> None:
        self.phones.pop(user_id, None)


class FakeAudit:
    """chalicelib/adapters/audit.py in memory: each provider's trail keyed "<at>#<event id>", as in the table."""

    def __init__(self) -> None:
        self.records: Dict[str, Dict[str, Event]] = defaultdict(dict)
        self.calls: List[str] = []

    @_recorded
    def append(self, event: Event) -> bool:
        trail = self.records[event.provider_id]
        key = f"{event.at}#{event.event_id}"
        if key in trail:
            return False
        trail[key] = copy.deepcopy(event)  # stored as JSON text: later changes to the dicts do not reach it
        return True

    @_recorded
    def list_events(self, provider_id: str, start: datetime, end: datetime, limit: int,
                    cursor: Optional[str]) -> Tuple[List[Dict[str, Any]], Optional[str]]:
        low, high = format_utc(start), format_utc(end) + "~"
        keys = [key for key in self.records[provider_id] if low <= key <= high]
        page, next_cursor = _page(keys, lambda key: key, limit, cursor, "audit")
        return [audit_event_view(self.records[provider_id][key]) for key in page], next_cursor
