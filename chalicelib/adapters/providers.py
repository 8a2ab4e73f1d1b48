"""Access to a provider's partition: profile, working hours, services and blocks."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Iterator, List, Optional, Tuple

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.adapters.models import BlockItem, ProviderItem, ScheduleItem, ServiceItem
from chalicelib.adapters.pagination import decode_cursor, read_page
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import Block, BookingRules, Provider, Service
from chalicelib.domain.schedule import WorkingHours
from chalicelib.domain.timegrid import format_utc, parse_instant

RULE_FIELDS = tuple(BookingRules.model_fields)


def _provider(item: ProviderItem) -> Provider:
    return Provider(
        provider_id=item.provider_id, owner_id=item.owner_id, name=item.name,
        description=item.description or "", categories=list(item.categories), lat=float(item.lat),
        lon=float(item.lon), address=item.address, timezone=item.timezone,
        rules=BookingRules(**{name: (int(getattr(item, name)) if name != "auto_confirm" else item.auto_confirm)
                              for name in RULE_FIELDS}),
        rating=None if item.rating is None else float(item.rating), review_count=int(item.review_count or 0),
        horizon_end=item.horizon_end, created_at=item.created_at, updated_at=item.updated_at,
        version=int(item.version))


def _provider_item(provider: Provider) -> ProviderItem:
    pk, sk = ProviderItem.key(provider.provider_id)
    return ProviderItem(
        pk, sk, provider_id=provider.provider_id, owner_id=provider.owner_id, name=provider.name,
        description=provider.description, categories=provider.categories, lat=provider.lat, lon=provider.lon,
        address=provider.address, timezone=provider.timezone, rating=provider.rating,
        review_count=provider.review_count, horizon_end=provider.horizon_end, created_at=provider.created_at,
        updated_at=provider.updated_at, version=provider.version, gsi1pk=ProviderItem.LIST_PK,
        gsi1sk=provider.provider_id, **provider.rules.model_dump())


def get_provider(provider_id: str) -> Optional[Provider]:
    """The provider, or None."""
    try:
        return _provider(ProviderItem.get(*ProviderItem.key(provider_id), consistent_read=True))
    except DoesNotExist:
        return None


def create_provider(provider: Provider, hours: WorkingHours, now: datetime) -> None:
    """Write a new provider with its (empty) working hours."""
    _provider_item(provider).save(condition=ProviderItem.pk.does_not_exist())
    _schedule_item(provider.provider_id, hours, 1, now).save(condition=ScheduleItem.pk.does_not_exist())


def replace_provider(provider: Provider, expected_version: int) -> None:
    """Write a changed profile if nobody changed it since it was read (optimistic)."""
    try:
        _provider_item(provider).save(condition=ProviderItem.version == expected_version)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("the provider changed at the same time; send the change again")
        raise


def set_horizon_end(provider_id: str, horizon_end: str) -> None:
    """Record the last local date whose slots exist (only ever moves forward)."""
    item = ProviderItem(*ProviderItem.key(provider_id))
    try:
        item.update(actions=[ProviderItem.horizon_end.set(horizon_end)],
                    condition=ProviderItem.pk.exists() & (
                        ProviderItem.horizon_end.does_not_exist() | (ProviderItem.horizon_end < horizon_end)))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def iter_provider_ids() -> Iterator[str]:
    """Every provider's id, for scheduled jobs."""
    for item in ProviderItem.by_list.query(ProviderItem.LIST_PK, attributes_to_get=["provider_id"]):
        yield item.provider_id


def _schedule_item(provider_id: str, hours: WorkingHours, version: int, now: datetime) -> ScheduleItem:
    return ScheduleItem(*ScheduleItem.key(provider_id), document=json.dumps(hours.to_document()),
                        version=version, updated_at=format_utc(now))


def get_schedule(provider_id: str) -> Tuple[WorkingHours, int]:
    """The working hours and their version (closed, version 0, when never set)."""
    try:
        item = ScheduleItem.get(*ScheduleItem.key(provider_id), consistent_read=True)
    except DoesNotExist:
        return WorkingHours.closed(), 0
    return WorkingHours.parse(json.loads(item.document)), int(item.version)


def replace_schedule(provider_id: str, hours: WorkingHours, expected_version: int, now: datetime) -> int:
    """Write new working hours if still at the version read; return the new version."""
    condition = (ScheduleItem.pk.does_not_exist() if expected_version == 0
                 else ScheduleItem.version == expected_version)
    try:
        _schedule_item(provider_id, hours, expected_version + 1, now).save(condition=condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("the working hours changed at the same time; send the change again")
        raise
    return expected_version + 1


def _service(item: ServiceItem) -> Service:
    return Service(
        provider_id=item.provider_id, service_id=item.service_id, name=item.name, category=item.category,
        duration_minutes=int(item.duration_minutes), buffer_minutes=int(item.buffer_minutes or 0),
        price_amount=int(item.price_amount), price_currency=item.price_currency, active=bool(item.active),
        created_at=item.created_at, updated_at=item.updated_at)


def save_service(service: Service) -> None:
    """Write a service (new or changed)."""
    pk, sk = ServiceItem.key(service.provider_id, service.service_id)
    ServiceItem(pk, sk, **{name: getattr(service, name) for name in Service.__dataclass_fields__}).save()


def get_service(provider_id: str, service_id: str) -> Optional[Service]:
    """The service, active or not, or None."""
    try:
        return _service(ServiceItem.get(*ServiceItem.key(provider_id, service_id), consistent_read=True))
    except DoesNotExist:
        return None


def list_services(provider_id: str) -> List[Service]:
    """All services of a provider, in creation order."""
    pk, _ = ServiceItem.key(provider_id, "")
    items = ServiceItem.query(pk, ServiceItem.sk.startswith(ServiceItem.PREFIX))
    return sorted((_service(item) for item in items), key=lambda s: (s.created_at, s.service_id))


def block_item(block: Block) -> BlockItem:
    """The stored form of a block."""
    pk, sk = BlockItem.key(block.provider_id, block.block_id)
    return BlockItem(pk, sk, provider_id=block.provider_id, block_id=block.block_id,
                     start=format_utc(block.start), end=format_utc(block.end), reason=block.reason,
                     created_at=block.created_at)


def _block(item: BlockItem) -> Block:
    return Block(block_id=item.block_id, provider_id=item.provider_id, start=parse_instant(item.start, "start"),
                 end=parse_instant(item.end, "end"), reason=item.reason, created_at=item.created_at)


def get_block(provider_id: str, block_id: str) -> Optional[Block]:
    """The block, or None."""
    try:
        return _block(BlockItem.get(*BlockItem.key(provider_id, block_id), consistent_read=True))
    except DoesNotExist:
        return None


def list_blocks(provider_id: str, limit: int, cursor: Optional[str]) -> Tuple[List[Block], Optional[str]]:
    """A page of a provider's blocks."""
    pk, _ = BlockItem.key(provider_id, "")
    result = BlockItem.query(pk, BlockItem.sk.startswith(BlockItem.PREFIX), limit=limit,
                             last_evaluated_key=decode_cursor(cursor, "blocks"))
    return read_page(result, _block, cursor, "blocks")
