"""A user's inbox and where else they want to be reached: phones for push, a number for SMS."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from chalicelib.domain.entities import Caller
from chalicelib.domain.errors import NotFound
from chalicelib.domain.timegrid import format_utc
from chalicelib.domain.views import notification_view
from chalicelib.observability import logger
from chalicelib.service import clock
from chalicelib.service.stores import inbox_store

if TYPE_CHECKING:  # commands are parsed by the API; a function that only takes them needs no pydantic
    from chalicelib.domain.model import OptInSms, RegisterDevice

MAX_DEVICES = 10


def list_mine(caller: Caller, limit: int, cursor: Optional[str]) -> Dict[str, Any]:
    """The caller's notifications, newest first."""
    notifications, next_cursor = inbox_store.list_notifications(caller.user_id, limit, cursor)
    return {"notifications": [notification_view(n) for n in notifications], "next_cursor": next_cursor}


def mark_read(caller: Caller, notification_id: str) -> None:
    """Mark one of the caller's notifications read (marking it again is no error); 404 for any other id."""
    if not inbox_store.mark_read(caller.user_id, notification_id):
        raise NotFound(f"no notification {notification_id}")


def register_device(caller: Caller, device_id: str, command: RegisterDevice) -> None:
    """Register a phone of the caller's for push, or replace the one of that id (at most MAX_DEVICES)."""
    # Here, not at the top: notices loads the event models, which the API's cold start need not pay for.
    from chalicelib.domain.notices import Device

    device = Device(device_id=device_id, platform=command.platform, token=command.token,
                    updated_at=format_utc(clock.now()))
    inbox_store.put_device(caller.user_id, device, MAX_DEVICES)
    logger.info("Device registered", device_id=device_id, platform=command.platform)


def remove_device(caller: Caller, device_id: str) -> None:
    """Stop push to one of the caller's phones (also when it is not registered)."""
    inbox_store.delete_device(caller.user_id, device_id)
    logger.info("Device removed", device_id=device_id)


def opt_in_sms(caller: Caller, command: OptInSms) -> None:
    """Send the caller's notifications also by SMS, to this number."""
    inbox_store.put_phone(caller.user_id, command.phone, clock.now())
    logger.info("SMS opted in")


def opt_out_sms(caller: Caller) -> None:
    """Send the caller no more SMS."""
    inbox_store.delete_phone(caller.user_id)
    logger.info("SMS opted out")
