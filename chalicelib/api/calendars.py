"""Calendar routes: a booking as an iCalendar file, and each provider's secret subscription feed."""
from __future__ import annotations

import re

from chalice import Blueprint

from chalicelib.api.http import route
from chalicelib.config import get_settings
from chalicelib.domain.errors import Forbidden, InvalidRequest
from chalicelib.api.answers import CalendarFeed
from chalicelib.service import calendars

bp = Blueprint(__name__)
CALENDAR = "text/calendar"
FEED = "/v1/providers/{provider_id}/calendar-feed"
HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
STAGE_PREFIX = re.compile(r"^(?:/[A-Za-z0-9._~-]+)*$")


@route(bp, "/v1/bookings/{booking_id}/calendar.ics", "GET", "A booking as an iCalendar file",
       content_type=CALENDAR)
def booking_calendar(caller, booking_id):
    return calendars.booking_ics(caller, booking_id)


@route(bp, FEED, "GET", "The address of the provider's calendar feed", response=CalendarFeed,
       raises=(Forbidden, InvalidRequest))
def calendar_feed(caller, provider_id):
    return calendars.feed_url(caller, provider_id, public_base_url(bp.current_request))


@route(bp, FEED + "/rotate", "POST", "A new address for the provider's calendar feed; the old one stops working",
       response=CalendarFeed, raises=(Forbidden, InvalidRequest))
def rotate_calendar_feed(caller, provider_id):
    return calendars.rotate_feed(caller, provider_id, public_base_url(bp.current_request))


@route(bp, "/v1/calendar-feeds/{provider_id}/{secret}", "GET", "A provider's calendar feed (the address is the key)",
       auth=False, content_type=CALENDAR)
def calendar_feed_file(provider_id, secret):
    return calendars.feed_ics(provider_id, secret)


def public_base_url(request) -> str:
    """Where callers reach this API: the configured address, else the request's scheme, host and stage prefix."""
    configured = get_settings().public_api_url
    if configured:
        return configured.rstrip("/")
    host = request.headers.get("host") or ""
    if not HOST.match(host):
        raise InvalidRequest("Host header: send the host name (and port) the API was called at")
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    forwarded = (request.headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
    scheme = forwarded if forwarded in ("http", "https") else "http" if hostname in LOOPBACK else "https"
    return f"{scheme}://{host}{_stage_prefix(request)}"


def _stage_prefix(request) -> str:
    """What precedes the route's path in the path API Gateway saw (`/prod` on an execute-api address)."""
    concrete = re.sub(r"{(\w+)}", lambda name: (request.uri_params or {})[name.group(1)], request.path)
    seen = (request.context or {}).get("path") or concrete
    prefix = seen[:-len(concrete)] if seen.endswith(concrete) else ""
    return prefix if STAGE_PREFIX.match(prefix) else ""
