"""The services a provider offers."""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Dict

from chalicelib.adapters import providers as provider_store
from chalicelib.domain.errors import NotFound
from chalicelib.domain.model import Caller, CreateService, PatchService, Service
from chalicelib.domain.timegrid import format_utc
from chalicelib.domain.views import service_view
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.access import owned_provider


def create_service(caller: Caller, provider_id: str, command: CreateService) -> Dict[str, Any]:
    """Add a service to the caller's provider."""
    owned_provider(caller, provider_id)
    now = format_utc(clock.now())
    service = Service(
        provider_id=provider_id, service_id=str(uuid.uuid4()), name=command.name, category=command.category,
        duration_minutes=command.duration_minutes, buffer_minutes=command.buffer_minutes,
        price_amount=command.price.amount, price_currency=command.price.currency, active=True,
        created_at=now, updated_at=now)
    provider_store.save_service(service)
    logger.info("Service created", provider_id=provider_id, service_id=service.service_id)
    count("ServiceCreated")
    return service_view(service)


def _active_service(provider_id: str, service_id: str) -> Service:
    service = provider_store.get_service(provider_id, service_id)
    if service is None or not service.active:
        raise NotFound(f"no service {service_id} at provider {provider_id}")
    return service


def patch_service(caller: Caller, provider_id: str, service_id: str, command: PatchService) -> Dict[str, Any]:
    """Change a service; bookings already made keep their time."""
    owned_provider(caller, provider_id)
    service = _active_service(provider_id, service_id)
    changes = command.model_dump(exclude_none=True, exclude={"price"})
    if command.price is not None:
        changes.update(price_amount=command.price.amount, price_currency=command.price.currency)
    service = dataclasses.replace(service, **changes, updated_at=format_utc(clock.now()))
    provider_store.save_service(service)
    count("ServiceChanged")
    return service_view(service)


def delete_service(caller: Caller, provider_id: str, service_id: str) -> None:
    """Stop offering a service; its bookings stay."""
    owned_provider(caller, provider_id)
    service = _active_service(provider_id, service_id)
    provider_store.save_service(dataclasses.replace(service, active=False, updated_at=format_utc(clock.now())))
    logger.info("Service deleted", provider_id=provider_id, service_id=service_id)
    count("ServiceDeleted")


def bookable_service(provider_id: str, service_id: str) -> Service:
    """An active service of the provider, or 404."""
    return _active_service(provider_id, service_id)
