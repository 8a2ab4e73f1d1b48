"""Creating, showing and changing providers."""
from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any, Dict, Optional
from zoneinfo import ZoneInfo

from chalicelib.domain.card import card_dates, card_of
from chalicelib.domain.entities import Caller, Provider, Rules
from chalicelib.domain.schedule import WorkingHours
from chalicelib.domain.timegrid import format_utc
from chalicelib.domain.views import provider_view
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.access import require_owner, require_provider_group
from chalicelib.service.catalog import provider_and_services
from chalicelib.service.concurrency import retry_on_stale
from chalicelib.service.schedule import finish_sync, horizon, prepare_change, sync_deadline
from chalicelib.service.stores import provider_store

if TYPE_CHECKING:  # commands are parsed by the API; a function that only takes them needs no pydantic
    from chalicelib.domain.model import CreateProvider, PatchProvider

# Fields whose change alters what an availability lookup computes (they travel on the card).
CARD_FIELDS = ("timezone", "rules")


def create_provider(caller: Caller, command: CreateProvider) -> Dict[str, Any]:
    """Create a provider owned by the caller, closed until working hours are set."""
    require_provider_group(caller)
    now = clock.now()
    stamp = format_utc(now)
    dates = card_dates(now)
    provider = Provider(
        provider_id=str(uuid.uuid4()), owner_id=caller.user_id, name=command.name,
        description=command.description, categories=command.categories, lat=command.location.lat,
        lon=command.location.lon, address=command.location.address, timezone=command.timezone,
        rules=Rules(**command.booking_rules.model_dump()), rating=None, review_count=0,
        horizon_end=horizon(ZoneInfo(command.timezone), now)[-1].isoformat(),
        created_at=stamp, updated_at=stamp, version=1, card_version=1, cards_through=dates[-1].isoformat(),
        changed_by=caller.user_id)
    provider_store.create_provider(provider, WorkingHours.closed(), card_of(provider, [], 1), dates, now)
    logger.info("Provider created", provider_id=provider.provider_id)
    count("ProviderCreated")
    return provider_view(provider, [])


def get_profile(provider_id: str) -> Dict[str, Any]:
    """The public profile with active services (one read)."""
    return provider_view(*provider_and_services(provider_id))


def list_mine(caller: Caller, limit: int, cursor: Optional[str]) -> Dict[str, Any]:
    """The providers the caller owns, oldest first, each as its public profile (read from the table, not the index)."""
    provider_ids, next_cursor = provider_store.list_owned_provider_ids(caller.user_id, limit, cursor)
    found = (provider_store.get_provider_with_services(provider_id) for provider_id in provider_ids)
    return {"providers": [provider_view(*pair) for pair in found if pair is not None], "next_cursor": next_cursor}


def _changes(before: Provider, command: PatchProvider) -> Dict[str, Any]:
    changes: Dict[str, Any] = {}
    for name in ("name", "description", "categories", "timezone"):
        value = getattr(command, name)
        if value is not None:
            changes[name] = value
    if command.location is not None:
        changes.update(lat=command.location.lat, lon=command.location.lon, address=command.location.address)
    if command.booking_rules is not None:
        patch = command.booking_rules.model_dump(exclude_none=True)
        changes["rules"] = Rules(**{**before.rules.as_dict(), **patch})
    return changes


def patch_provider(caller: Caller, provider_id: str, command: PatchProvider) -> Dict[str, Any]:
    """Change profile fields (applied to the profile as it is when written); a new zone moves the slots."""
    deadline = sync_deadline()

    def patch() -> Dict[str, Any]:
        before, services = provider_and_services(provider_id)
        require_owner(caller, before)
        now = clock.now()
        after = dataclasses.replace(before, **_changes(before, command), updated_at=format_utc(now),
                                    version=before.version + 1, changed_by=caller.user_id)
        if all(getattr(after, f) == getattr(before, f) for f in CARD_FIELDS):
            provider_store.replace_provider(after, before)
            return provider_view(after, services)
        dates = card_dates(now)
        after = dataclasses.replace(after, card_version=before.card_version + 1, cards_through=dates[-1].isoformat())
        zone_change = None
        if after.timezone != before.timezone:
            old_tz, new_tz = ZoneInfo(before.timezone), ZoneInfo(after.timezone)
            state = provider_store.get_schedule(provider_id)
            days = set(horizon(new_tz, now)) | set(horizon(old_tz, now)) | state.pending
            prepare_change(provider_id, state, state.hours, days, new_tz, previous_tz=old_tz)
            zone_change = (state.version, sorted(days))
        provider_store.replace_provider(after, before, card_of(after, services, after.card_version), dates,
                                        zone_change=zone_change, now=now)
        return provider_view(after, services)

    answer = retry_on_stale(patch, "the provider")
    if command.timezone is not None:
        finish_sync(provider_id, deadline)
        logger.info("Provider time zone set", provider_id=provider_id, timezone=command.timezone)
    count("ProviderChanged")
    return answer
