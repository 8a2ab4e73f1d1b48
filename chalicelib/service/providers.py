"""Creating, showing and changing providers."""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Dict
from zoneinfo import ZoneInfo

from chalicelib.adapters import providers as provider_store
from chalicelib.domain.model import BookingRules, Caller, CreateProvider, PatchProvider, Provider
from chalicelib.domain.schedule import WorkingHours
from chalicelib.domain.timegrid import format_utc
from chalicelib.domain.views import provider_view
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.access import find_provider, owned_provider, require_provider_group
from chalicelib.service.schedule import horizon, sync_slots


def create_provider(caller: Caller, command: CreateProvider) -> Dict[str, Any]:
    """Create a provider owned by the caller, closed until working hours are set."""
    require_provider_group(caller)
    now = format_utc(clock.now())
    provider = Provider(
        provider_id=str(uuid.uuid4()), owner_id=caller.user_id, name=command.name,
        description=command.description, categories=command.categories, lat=command.location.lat,
        lon=command.location.lon, address=command.location.address, timezone=command.timezone,
        rules=command.booking_rules, rating=None, review_count=0,
        horizon_end=horizon(ZoneInfo(command.timezone), clock.now())[-1].isoformat(),
        created_at=now, updated_at=now, version=1)
    provider_store.create_provider(provider, WorkingHours.closed(), clock.now())
    logger.info("Provider created", provider_id=provider.provider_id)
    count("ProviderCreated")
    return provider_view(provider, [])


def get_profile(provider_id: str) -> Dict[str, Any]:
    """The public profile with active services."""
    provider = find_provider(provider_id)
    return provider_view(provider, provider_store.list_services(provider_id))


def patch_provider(caller: Caller, provider_id: str, command: PatchProvider) -> Dict[str, Any]:
    """Change profile fields; a new time zone moves the working hours' slots with it."""
    before = owned_provider(caller, provider_id)
    changes: Dict[str, Any] = {}
    for name in ("name", "description", "categories", "timezone"):
        value = getattr(command, name)
        if value is not None:
            changes[name] = value
    if command.location is not None:
        changes.update(lat=command.location.lat, lon=command.location.lon, address=command.location.address)
    if command.booking_rules is not None:
        patch = command.booking_rules.model_dump(exclude_none=True)
        changes["rules"] = BookingRules(**{**before.rules.model_dump(), **patch})
    after = dataclasses.replace(before, **changes, updated_at=format_utc(clock.now()),
                                version=before.version + 1)
    provider_store.replace_provider(after, before.version)
    if after.timezone != before.timezone:
        tz = ZoneInfo(after.timezone)
        sync_slots(after, tz, horizon(tz, clock.now()), old_tz=ZoneInfo(before.timezone))
        logger.info("Provider time zone changed", provider_id=provider_id, timezone=after.timezone)
    count("ProviderChanged")
    return provider_view(after, provider_store.list_services(provider_id))
