"""The public JSON shapes of the contract, built from entities (pure)."""
from __future__ import annotations

from typing import Any, Dict, List
from zoneinfo import ZoneInfo

from chalicelib.domain.model import Block, Booking, Hold, Provider, Service
from chalicelib.domain.timegrid import format_local, format_utc


def service_view(service: Service) -> Dict[str, Any]:
    return {
        "service_id": service.service_id, "provider_id": service.provider_id, "name": service.name,
        "category": service.category, "duration_minutes": service.duration_minutes,
        "buffer_minutes": service.buffer_minutes,
        "price": {"amount": service.price_amount, "currency": service.price_currency},
        "active": service.active, "created_at": service.created_at, "updated_at": service.updated_at,
    }


def provider_view(provider: Provider, services: List[Service]) -> Dict[str, Any]:
    return {
        "provider_id": provider.provider_id, "name": provider.name, "description": provider.description,
        "categories": provider.categories,
        "location": {"lat": provider.lat, "lon": provider.lon, "address": provider.address},
        "timezone": provider.timezone, "rating": provider.rating, "review_count": provider.review_count,
        "services": [service_view(s) for s in services if s.active],
        "booking_rules": provider.rules.model_dump(),
        "created_at": provider.created_at, "updated_at": provider.updated_at,
    }


def booking_view(booking: Booking) -> Dict[str, Any]:
    return {
        "booking_id": booking.booking_id, "status": booking.status, "provider_id": booking.provider_id,
        "service_id": booking.service_id, "customer_id": booking.customer_id,
        "start": format_utc(booking.start), "end": format_utc(booking.end), "timezone": booking.timezone,
        "local_start": format_local(booking.start, ZoneInfo(booking.timezone)), "note": booking.note,
        "reason": booking.reason, "created_at": booking.created_at, "updated_at": booking.updated_at,
    }


def hold_view(hold: Hold) -> Dict[str, Any]:
    return {
        "hold_id": hold.hold_id, "provider_id": hold.provider_id, "service_id": hold.service_id,
        "start": format_utc(hold.start), "end": format_utc(hold.end), "expires_at": format_utc(hold.expires_at),
    }


def block_view(block: Block) -> Dict[str, Any]:
    return {
        "block_id": block.block_id, "provider_id": block.provider_id, "start": format_utc(block.start),
        "end": format_utc(block.end), "reason": block.reason, "created_at": block.created_at,
    }
