"""In-memory fakes of the delivery claims and the channels (SES, SNS, the user directory), for unit tests.

They keep the adapters' names and semantics (chalicelib/adapters/deliveries.py, mail.py, push.py,
directory.py). A channel fails on demand: `mail.fail_next(n)` makes the next n sends raise.
"""
from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional, Tuple

from chalicelib.adapters.deliveries import ALREADY_SENT, BUSY, CLAIMED, SENDING, SENT
from chalicelib.domain.errors import DeliveryRefused
from chalicelib.domain.notices import Device


class ChannelDown(Exception):
    """The fake channel's outage."""


class FakeDeliveries:
    def __init__(self) -> None:
        self.items: Dict[str, Tuple[str, int]] = {}  # delivery id -> (state, lease until)

    def claim(self, delivery_id: str, now: datetime, lease_seconds: int) -> str:
        epoch = int(now.timestamp())
        current = self.items.get(delivery_id)
        if current is None or (current[0] == SENDING and current[1] < epoch):
            self.items[delivery_id] = (SENDING, epoch + lease_seconds)
            return CLAIMED
        return ALREADY_SENT if current[0] == SENT else BUSY

    def mark_sent(self, delivery_id: str, now: datetime) -> None:
        self.items[delivery_id] = (SENT, 0)

    def release(self, delivery_id: str) -> None:
        if self.items.get(delivery_id, ("",))[0] == SENDING:
            del self.items[delivery_id]


class _Failing:
    def __init__(self) -> None:
        self._failures = 0

    def fail_next(self, times: int = 1) -> None:
        self._failures = times

    def _maybe_fail(self) -> None:
        if self._failures:
            self._failures -= 1
            raise ChannelDown("the channel is down")


class FakeMail(_Failing):
    def __init__(self) -> None:
        super().__init__()
        self.sent: List[Tuple[str, bytes]] = []

    def send(self, recipient: str, message: bytes) -> str:
        self._maybe_fail()
        self.sent.append((recipient, message))
        return f"mail-{len(self.sent)}"


class FakePush(_Failing):
    def __init__(self, platforms=("apns", "fcm"), sms_enabled: bool = True) -> None:
        super().__init__()
        self.platforms = set(platforms)
        self.sms_enabled = sms_enabled
        self.gone: set = set()  # tokens the push service says are no more
        self.pushes: List[Tuple[str, str, str]] = []  # device id, title, body
        self.texts: List[Tuple[str, str]] = []  # phone, text

    def can_push(self, device: Device) -> bool:
        return device.platform in self.platforms

    def push(self, device: Device, title: str, body: str, data: Dict) -> str:
        if device.token in self.gone:
            raise DeliveryRefused("EndpointDisabled")
        self._maybe_fail()
        self.pushes.append((device.device_id, title, body))
        return f"push-{len(self.pushes)}"

    def can_sms(self) -> bool:
        return self.sms_enabled

    def sms(self, phone: str, text: str) -> str:
        self._maybe_fail()
        self.texts.append((phone, text))
        return f"sms-{len(self.texts)}"


class FakeDirectory:
    def __init__(self, emails: Optional[Dict[str, str]] = None) -> None:
        self.emails = dict(emails or {})

    def email_of(self, user_id: str) -> Optional[str]:
        return self.emails.get(user_id)
