"""The services a provider offers, and the availability card that carries their lengths."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from chalicelib.domain.card import card_dates, card_of
from chalicelib.domain.entities import Caller, Provider, Service
from chalicelib.domain.errors import InvalidRequest, NotFound
from chalicelib.domain.timegrid import format_utc
from chalicelib.domain.views import service_view
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.access import require_owner
from chalicelib.service.concurrency import retry_on_stale
from chalicelib.service.stores import provider_store

if TYPE_CHECKING:  # commands are parsed by the API; a function that only takes them needs no pydantic
    from chalicelib.domain.model import CreateService, PatchService

MAX_SERVICES = 100


def provider_and_services(provider_id: str) -> Tuple[Provider, List[Service]]:
    """The provider and all its services (one read), or 404."""
    found = provider_store.get_provider_with_services(provider_id)
    if found is None:
        raise NotFound(f"no provider {provider_id}")
    return found


def _active(services: List[Service], provider_id: str, service_id: str) -> Service:
    for service in services:
        if service.service_id == service_id and service.active:
            return service
    raise NotFound(f"no service {service_id} at provider {provider_id}")


def _save(provider: Provider, services: List[Service], service: Service) -> None:
    """Write the service with the provider's card made from the services as they will be."""
    others = [s for s in services if s.service_id != service.service_id]
    card = card_of(provider, [*others, service], provider.card_version + 1)
    provider_store.save_service(service, card, card_dates(clock.now()))


def create_service(caller: Caller, provider_id: str, command: CreateService) -> Dict[str, Any]:
    """Add a service to the caller's provider."""
    service_id = str(uuid.uuid4())

    def create() -> Service:
        provider, services = provider_and_services(provider_id)
        require_owner(caller, provider)
        if sum(s.active for s in services) >= MAX_SERVICES:
            raise InvalidRequest(f"a provider offers at most {MAX_SERVICES} services; delete one first")
        now = format_utc(clock.now())
        service = Service(
            provider_id=provider_id, service_id=service_id, name=command.name, category=command.category,
            duration_minutes=command.duration_minutes, buffer_minutes=command.buffer_minutes,
            price_amount=command.price.amount, price_currency=command.price.currency, active=True,
            created_at=now, updated_at=now, changed_by=caller.user_id)
        _save(provider, services, service)
        return service

    service = retry_on_stale(create, "the provider's services")
    logger.info("Service created", provider_id=provider_id, service_id=service.service_id)
    count("ServiceCreated")
    return service_view(service)


def patch_service(caller: Caller, provider_id: str, service_id: str, command: PatchService) -> Dict[str, Any]:
    """Change a service; bookings already made keep their time."""
    def patch() -> Service:
        provider, services = provider_and_services(provider_id)
        require_owner(caller, provider)
        changes = command.model_dump(exclude_none=True, exclude={"price"})
        if command.price is not None:
            changes.update(price_amount=command.price.amount, price_currency=command.price.currency)
        service = dataclasses.replace(_active(services, provider_id, service_id), **changes,
                                      updated_at=format_utc(clock.now()), changed_by=caller.user_id)
        _save(provider, services, service)
        return service

    service = retry_on_stale(patch, "the provider's services")
    logger.info("Service changed", provider_id=provider_id, service_id=service_id)
    count("ServiceChanged")
    return service_view(service)


def delete_service(caller: Caller, provider_id: str, service_id: str) -> None:
    """Stop offering a service; its bookings stay."""
    def delete() -> None:
        provider, services = provider_and_services(provider_id)
        require_owner(caller, provider)
        service = _active(services, provider_id, service_id)
        _save(provider, services, dataclasses.replace(service, active=False, updated_at=format_utc(clock.now()),
                                                         changed_by=caller.user_id))

    retry_on_stale(delete, "the provider's services")
    logger.info("Service deleted", provider_id=provider_id, service_id=service_id)
    count("ServiceDeleted")


def bookable(provider_id: str, service_id: str) -> Tuple[Provider, Service]:
    """The provider and one of its active services (one read), or 404."""
    provider, services = provider_and_services(provider_id)
    return provider, _active(services, provider_id, service_id)


def extend_cards(provider_id: str) -> int:
    """Carry the provider's current card onto the UTC dates that entered the horizon; the dates written."""
    def extend() -> int:
        provider, services = provider_and_services(provider_id)
        after = date.fromisoformat(provider.cards_through) if provider.cards_through else None
        dates = card_dates(clock.now(), after=after)
        if dates:
            provider_store.extend_cards(provider, card_of(provider, services, provider.card_version), dates)
        return len(dates)

    return retry_on_stale(extend, "the provider's card")
