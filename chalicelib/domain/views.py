"""The public JSON of entities, as the contract shows them (pure).

Plain dicts, cheap to build anywhere (the stream functions build the audit trail's before/after from them).
Their schemas are chalicelib/api/answers.py; tests/unit/test_views.py checks each view against its model.
"""
from __future__ import annotations

from typing import Any, Dict, List
from zoneinfo import ZoneInfo

from chalicelib.domain import entities
from chalicelib.domain.timegrid import format_local, format_utc


def service_view(service: entities.Service) -> Dict[str, Any]:
    """The public shape of a service."""
    return {"service_id": service.service_id, "provider_id": service.provider_id, "name": service.name,
            "category": service.category, "duration_minutes": service.duration_minutes,
            "buffer_minutes": service.buffer_minutes,
            "price": {"amount": service.price_amount, "currency": service.price_currency},
            "active": service.active, "created_at": service.created_at, "updated_at": service.updated_at}


def provider_view(provider: entities.Provider, services: List[entities.Service]) -> Dict[str, Any]:
    """The public profile of a provider with its active services."""
    return {"provider_id": provider.provider_id, "name": provider.name, "description": provider.description,
            "categories": list(provider.categories),
            "location": {"lat": provider.lat, "lon": provider.lon, "address": provider.address},
            "timezone": provider.timezone, "rating": provider.rating, "review_count": provider.review_count,
            "services": [service_view(s) for s in services if s.active],
            "booking_rules": provider.rules.as_dict(),
            "created_at": provider.created_at, "updated_at": provider.updated_at}


def booking_view(booking: entities.Booking) -> Dict[str, Any]:
    """The public shape of a booking."""
    return {"booking_id": booking.booking_id, "status": booking.status, "provider_id": booking.provider_id,
            "service_id": booking.service_id, "customer_id": booking.customer_id,
            "start": format_utc(booking.start), "end": format_utc(booking.end), "timezone": booking.timezone,
            "local_start": format_local(booking.start, ZoneInfo(booking.timezone)), "note": booking.note,
            "reason": booking.reason, "created_at": booking.created_at, "updated_at": booking.updated_at}


def hold_view(hold: entities.Hold) -> Dict[str, Any]:
    """The public shape of a hold."""
    return {"hold_id": hold.hold_id, "provider_id": hold.provider_id, "service_id": hold.service_id,
            "start": format_utc(hold.start), "end": format_utc(hold.end), "expires_at": format_utc(hold.expires_at)}


def held_time_view(held: entities.HeldTime, tz: ZoneInfo) -> Dict[str, Any]:
    """The owner's view of a live hold: its time on the provider's clock, not its customer."""
    return {"hold_id": held.hold_id, "start": format_utc(held.start), "end": format_utc(held.end),
            "local_start": format_local(held.start, tz), "expires_at": format_utc(held.expires_at)}


def block_view(block: entities.Block) -> Dict[str, Any]:
    """The public shape of a block."""
    return {"block_id": block.block_id, "provider_id": block.provider_id, "start": format_utc(block.start),
            "end": format_utc(block.end), "reason": block.reason, "created_at": block.created_at}


def review_view(review: entities.Review) -> Dict[str, Any]:
    """The public shape of a review (who wrote it is not shown)."""
    return {"booking_id": review.booking_id, "provider_id": review.provider_id, "rating": review.rating,
            "comment": review.comment, "created_at": review.created_at}


def calendar_feed_view(url: str) -> Dict[str, Any]:
    """The answer that gives a provider its calendar feed's address."""
    return {"url": url}


# The entities below are taken as they come: chalicelib.domain.notices and events import this module.
def notification_view(notification: Any) -> Dict[str, Any]:
    """The public shape of an inbox entry (a chalicelib.domain.notices.Notification)."""
    return {"notification_id": notification.notification_id, "type": notification.type,
            "booking_id": notification.booking_id, "title": notification.title, "body": notification.body,
            "created_at": notification.created_at, "read": notification.read}


def audit_event_view(event: Any) -> Dict[str, Any]:
    """The public shape of an audit record (a chalicelib.domain.events.Event)."""
    return {"event_id": event.event_id, "type": event.type, "booking_id": event.booking_id,
            "actor": {"user_id": event.actor.user_id, "role": event.actor.role}, "at": event.at,
            "before": event.before, "after": event.after}
