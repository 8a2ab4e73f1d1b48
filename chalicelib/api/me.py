"""The caller's own routes beyond bookings: the inbox, phones for push, SMS."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import page_limit, parse, query, route
from chalicelib.api.schemas import NotificationQuery
from chalicelib.domain.model import OptInSms, RegisterDevice
from chalicelib.api.answers import NotificationPage
from chalicelib.service import inbox

bp = Blueprint(__name__)
D = "/v1/me/devices/{device_id}"


@route(bp, "/v1/me/notifications", "GET", "My notifications, newest first", query=NotificationQuery,
       response=NotificationPage)
def my_notifications(caller):
    request = bp.current_request
    return inbox.list_mine(caller, page_limit(request), query(request, "cursor"))


@route(bp, "/v1/me/notifications/{notification_id}/read", "POST", "Mark a notification read", status=204)
def mark_notification_read(caller, notification_id):
    inbox.mark_read(caller, notification_id)


@route(bp, D, "PUT", "Register a phone for push notifications", status=204, body=RegisterDevice)
def register_device(caller, device_id):
    inbox.register_device(caller, device_id, parse(RegisterDevice, bp.current_request))


@route(bp, D, "DELETE", "Stop push notifications to a phone", status=204)
def remove_device(caller, device_id):
    inbox.remove_device(caller, device_id)


@route(bp, "/v1/me/sms", "PUT", "Get notifications by SMS too", status=204, body=OptInSms)
def opt_in_sms(caller):
    inbox.opt_in_sms(caller, parse(OptInSms, bp.current_request))


@route(bp, "/v1/me/sms", "DELETE", "Stop SMS notifications", status=204)
def opt_out_sms(caller):
    inbox.opt_out_sms(caller)
