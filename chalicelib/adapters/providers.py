"""Access to a provider's partition: profile, availability cards, working hours, services and blocks."""
from __future__ import annotations

import json
from dataclasses import fields
from datetime import date, datetime, timedelta
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.adapters import dynamo
from chalicelib.adapters.models import (
    PROVIDER_SHARDS, BlockItem, CardItem, ProviderItem, ScheduleItem, ServiceItem, SlotItem)
from chalicelib.adapters.pagination import decode_cursor, read_page
from chalicelib.adapters.table import GSI2
from chalicelib.adapters.transaction import MAX_ITEMS, Transaction, TransactionFailed
from chalicelib.domain.card import BookingCard
from chalicelib.domain.errors import StaleRead
from chalicelib.domain.entities import FREE, Block, Provider, Rules, Service
from chalicelib.domain.schedule import WorkingHours
from chalicelib.domain.sync import ScheduleState
from chalicelib.domain.timegrid import format_utc, parse_instant

RULE_FIELDS = tuple(rule.name for rule in fields(Rules))
CARD_RETENTION = timedelta(days=30)
CONDITION_FAILED = "ConditionalCheckFailedException"


def provider_from_item(item: ProviderItem) -> Provider:
    """A provider from its stored form."""
    return Provider(
        provider_id=item.provider_id, owner_id=item.owner_id, name=item.name,
        description=item.description or "", categories=list(item.categories), lat=float(item.lat),
        lon=float(item.lon), address=item.address, timezone=item.timezone,
        rules=Rules(**{name: (int(getattr(item, name)) if name != "auto_confirm" else item.auto_confirm)
                       for name in RULE_FIELDS}),
        rating=_rating(item), review_count=int(item.review_count or 0),
        horizon_end=item.horizon_end, created_at=item.created_at, updated_at=item.updated_at,
        version=int(item.version), card_version=int(item.card_version or 0), cards_through=item.cards_through,
        changed_by=item.changed_by)


def _rating(item: ProviderItem) -> Optional[float]:
    """The mean of the provider's reviews to two places, None before the first."""
    count = int(item.review_count or 0)
    return round(float(item.rating_sum or 0) / count, 2) if count else None


def _provider_item(provider: Provider) -> ProviderItem:
    pk, sk = ProviderItem.key(provider.provider_id)
    return ProviderItem(
        pk, sk, provider_id=provider.provider_id, owner_id=provider.owner_id, name=provider.name,
        description=provider.description, categories=provider.categories, lat=provider.lat, lon=provider.lon,
        address=provider.address, timezone=provider.timezone, rating_sum=0, review_count=0,
        horizon_end=provider.horizon_end, created_at=provider.created_at,
        updated_at=provider.updated_at, version=provider.version, card_version=provider.card_version,
        cards_through=provider.cards_through, changed_by=provider.changed_by,
        gsi1pk=ProviderItem.list_partition(provider.provider_id), gsi1sk=provider.provider_id,
        gsi2pk=ProviderItem.owner_partition(provider.owner_id),
        gsi2sk=ProviderItem.owner_sort_key(provider.created_at, provider.provider_id), **provider.rules.as_dict())


def get_provider(provider_id: str) -> Optional[Provider]:
    """The provider, or None."""
    try:
        return provider_from_item(ProviderItem.get(*ProviderItem.key(provider_id), consistent_read=True))
    except DoesNotExist:
        return None


def get_provider_with_services(provider_id: str) -> Optional[Tuple[Provider, List[Service]]]:
    """The provider and all its services (active or not) in one Query, or None."""
    pk, low = ProviderItem.key(provider_id)
    provider, services = None, []
    for raw in dynamo.query_range(pk, low, ServiceItem.PREFIX + "~"):
        sort_key = raw["sk"]["S"]
        if sort_key == low:
            provider = provider_from_item(ProviderItem.from_raw_data(raw))
        elif sort_key.startswith(ServiceItem.PREFIX):
            services.append(service_from_item(ServiceItem.from_raw_data(raw)))
    if provider is None:
        return None
    return provider, sorted(services, key=lambda s: (s.created_at, s.service_id))


def get_providers(provider_ids: Iterable[str]) -> List[Provider]:
    """The providers that exist among these ids, in one batch read per hundred."""
    keys = [ProviderItem.key(pid) for pid in sorted(set(provider_ids))]
    return [provider_from_item(item) for item in ProviderItem.batch_get(keys)] if keys else []


def _write_cards(tx: Transaction, card: BookingCard, dates: Sequence[date]) -> None:
    for day in dates:
        pk, sk = CardItem.key(card.provider_id, day)
        expires = int((datetime.combine(day, datetime.min.time()) + CARD_RETENTION).timestamp())
        tx.put(f"card:{day.isoformat()}", CardItem(
            pk, sk, timezone=card.timezone, min_notice_minutes=card.min_notice_minutes,
            max_days_ahead=card.max_days_ahead, services=card.services_document(), card_version=card.version,
            ttl=expires))


def _card(item: CardItem, provider_id: str) -> BookingCard:
    return BookingCard(provider_id=provider_id, version=int(item.card_version), timezone=item.timezone,
                       min_notice_minutes=int(item.min_notice_minutes), max_days_ahead=int(item.max_days_ahead),
                       services=BookingCard.parse_services(item.services))


def card_from_item(raw: dict, provider_id: str) -> Tuple[date, BookingCard]:
    """A card read among slot items (raw attributes), with its UTC date."""
    item = CardItem.from_raw_data(raw)
    return date.fromisoformat(item.sk[-10:]), _card(item, provider_id)


def create_provider(provider: Provider, hours: WorkingHours, card: BookingCard, card_dates: Sequence[date],
                    now: datetime) -> None:
    """Write a new provider with its working hours and availability cards, all or nothing."""
    tx = Transaction(f"create-provider:{provider.provider_id}")
    tx.put("profile", _provider_item(provider), condition=ProviderItem.pk.does_not_exist())
    tx.put("schedule", _schedule_item(provider.provider_id, hours, 1, provider.timezone, now),
           condition=ScheduleItem.pk.does_not_exist())
    _write_cards(tx, card, card_dates)
    tx.commit()


def _profile_actions(provider: Provider, with_card: bool) -> list:
    """The profile's own fields as SET actions: what a change of the profile writes, nothing more.

    (A whole-item put would also write back `card_version`, `cards_through`, `horizon_end`, `rating_sum` and
    `review_count` as read, undoing a service change, a horizon roll or a review that committed meanwhile.)
    """
    actions = [ProviderItem.name.set(provider.name), ProviderItem.description.set(provider.description),
               ProviderItem.categories.set(provider.categories), ProviderItem.lat.set(provider.lat),
               ProviderItem.lon.set(provider.lon), ProviderItem.address.set(provider.address),
               ProviderItem.timezone.set(provider.timezone), ProviderItem.updated_at.set(provider.updated_at),
               ProviderItem.version.set(provider.version), ProviderItem.changed_by.set(provider.changed_by)]
    actions += [getattr(ProviderItem, name).set(value) for name, value in provider.rules.as_dict().items()]
    if with_card:
        actions += [ProviderItem.card_version.set(provider.card_version),
                    ProviderItem.cards_through.set(provider.cards_through)]
    return actions


def replace_provider(after: Provider, before: Provider, card: Optional[BookingCard] = None,
                     card_dates: Sequence[date] = (), zone_change: Optional[Tuple[int, Sequence[date]]] = None,
                     now: Optional[datetime] = None) -> None:
    """Write a changed profile if nobody changed it since `before` was read, with its new card if any.

    `zone_change` (schedule version read, local days to lay out again) moves the working hours to the new
    zone in the same transaction: a new schedule version, so any sync still working in the old zone stops.
    """
    key = ProviderItem.key(after.provider_id)
    condition = ProviderItem.version == before.version
    if card is None:
        try:
            ProviderItem(*key).update(actions=_profile_actions(after, with_card=False), condition=condition)
        except UpdateError as error:
            if error.cause_response_code == CONDITION_FAILED:
                raise StaleRead("the provider changed since it was read") from error
            raise
        return
    tx = Transaction(f"provider:{after.provider_id}:v{before.version}")
    tx.update("profile", ProviderItem(*key), _profile_actions(after, with_card=True),
              condition=condition & (ProviderItem.card_version == before.card_version))
    if zone_change is not None:
        version, days = zone_change
        tx.update("schedule", ScheduleItem(*ScheduleItem.key(after.provider_id)), [
            ScheduleItem.version.set(version + 1), ScheduleItem.timezone.set(after.timezone),
            ScheduleItem.updated_at.set(format_utc(now)), *_pending_actions(after.provider_id, days)],
            condition=ScheduleItem.version == version)
    _write_cards(tx, card, card_dates)
    _commit_or_stale(tx, "the provider changed since it was read")


def _commit_or_stale(tx: Transaction, message: str) -> None:
    try:
        tx.commit()
    except TransactionFailed as failed:
        raise StaleRead(message) from failed


def extend_cards(provider: Provider, card: BookingCard, dates: Sequence[date]) -> None:
    """Write the card onto dates that entered the horizon, if the card is still the provider's current one."""
    tx = Transaction(f"cards:{provider.provider_id}:v{card.version}:{dates[-1].isoformat()}")
    tx.update("profile", ProviderItem(*ProviderItem.key(provider.provider_id)),
              [ProviderItem.cards_through.set(dates[-1].isoformat())],
              condition=ProviderItem.card_version == card.version)
    _write_cards(tx, card, dates)
    _commit_or_stale(tx, "the provider's card changed since it was read")


def set_horizon_end(provider_id: str, horizon_end: str) -> None:
    """Record the last local date whose slots exist (only ever moves forward)."""
    item = ProviderItem(*ProviderItem.key(provider_id))
    try:
        item.update(actions=[ProviderItem.horizon_end.set(horizon_end)],
                    condition=ProviderItem.pk.exists() & (
                        ProviderItem.horizon_end.does_not_exist() | (ProviderItem.horizon_end < horizon_end)))
    except UpdateError as error:
        if error.cause_response_code != CONDITION_FAILED:
            raise


def list_owned_provider_ids(owner_id: str, limit: int, cursor: Optional[str]) -> Tuple[List[str], Optional[str]]:
    """A page of the ids of the providers a user owns, oldest first (the index only names them)."""
    partition = ProviderItem.owner_partition(owner_id)
    result = ProviderItem.by_owner.query(partition, limit=limit, attributes_to_get=["provider_id"],
                                         last_evaluated_key=decode_cursor(cursor, GSI2, partition))
    return read_page(result, lambda item: item.provider_id, cursor, GSI2)


def listing_shards() -> Sequence[int]:
    """The shards of the providers' listing; each is walked on its own (in parallel by the horizon roll)."""
    return range(PROVIDER_SHARDS)


def iter_provider_ids() -> Iterator[str]:
    """Every provider's id, shard after shard, for scheduled jobs."""
    for shard in listing_shards():
        for item in ProviderItem.by_list.query(ProviderItem.list_partition_of(shard),
                                               attributes_to_get=["provider_id"]):
            yield item.provider_id


def iter_listed(shard: int) -> Iterator[Tuple[Provider, Optional[ScheduleState]]]:
    """The providers of one shard with their working hours, as the listing shows them (eventually consistent).

    Two queries a page: profiles on gsi1 and schedules on gsi3, both sorted by provider id and merged. A
    provider whose schedule is not (yet) listed comes with None.
    """
    profiles = ProviderItem.by_list.query(ProviderItem.list_partition_of(shard))
    schedules = ScheduleItem.by_list.query(ScheduleItem.list_partition_of(shard))
    schedule = next(schedules, None)
    for profile in profiles:
        while schedule is not None and schedule.provider_id < profile.provider_id:
            schedule = next(schedules, None)
        listed = schedule if schedule is not None and schedule.provider_id == profile.provider_id else None
        yield provider_from_item(profile), _schedule_state(listed) if listed is not None else None


def commit_roll(provider: Provider, schedule_version: Optional[int], horizon_end: Optional[date],
                slots: Dict[datetime, str], in_hours: Dict[datetime, bool], card: Optional[BookingCard],
                card_dates: Sequence[date]) -> bool:
    """Lay out the days that entered the horizon and carry the card onto new dates, in one transaction, if the
    provider and its hours are still as listed; whether it was written (False: too big, or something changed).

    `slots` says per start "create" (a FREE item, where none may exist) or "flag" (set `in_hours` of an existing
    item); `schedule_version` is the version they follow. That version is bumped, so a change of hours that
    read it before these days entered the horizon must read again (and then lays them out itself).
    """
    from chalicelib.adapters.slots import SLOT_RETENTION  # slots imports this module

    intent = f"roll:{provider.provider_id}:v{schedule_version}:{horizon_end}:{card_dates[-1] if card_dates else ''}"
    tx = Transaction(intent)
    actions, condition = [], ProviderItem.card_version == provider.card_version
    condition &= _unchanged(ProviderItem.horizon_end, provider.horizon_end)
    condition &= _unchanged(ProviderItem.cards_through, provider.cards_through)
    if horizon_end is not None:
        actions.append(ProviderItem.horizon_end.set(horizon_end.isoformat()))
        tx.update("schedule", ScheduleItem(*ScheduleItem.key(provider.provider_id)),
                  [ScheduleItem.version.set(schedule_version + 1)],
                  condition=(ScheduleItem.version == schedule_version) & ScheduleItem.pending.does_not_exist())
    if card is not None and card_dates:
        actions.append(ProviderItem.cards_through.set(card_dates[-1].isoformat()))
        _write_cards(tx, card, card_dates)
    tx.update("profile", ProviderItem(*ProviderItem.key(provider.provider_id)), actions, condition=condition)
    for start, how in slots.items():
        item = SlotItem(*SlotItem.key(provider.provider_id, start))
        if how == "create":
            item.status, item.in_hours, item.ttl = FREE, True, int((start + SLOT_RETENTION).timestamp())
            tx.put(f"slot:{start.isoformat()}", item, condition=SlotItem.pk.does_not_exist())
        else:
            tx.update(f"slot:{start.isoformat()}", item, [SlotItem.in_hours.set(in_hours[start])],
                      condition=SlotItem.pk.exists())
    if len(tx) > MAX_ITEMS:
        return False
    try:
        tx.commit()
    except TransactionFailed:
        return False
    return True


def _unchanged(attribute, value: Optional[str]):
    return attribute.does_not_exist() if value is None else attribute == value


# --- working hours ----------------------------------------------------------------------------

def _schedule_item(provider_id: str, hours: WorkingHours, version: int, timezone: str,
                   now: datetime) -> ScheduleItem:
    return ScheduleItem(*ScheduleItem.key(provider_id), provider_id=provider_id, timezone=timezone,
                        document=json.dumps(hours.to_document()), version=version, updated_at=format_utc(now),
                        gsi3pk=ScheduleItem.list_partition(provider_id), gsi3sk=provider_id)


def get_schedule(provider_id: str) -> ScheduleState:
    """The working hours, their version and the days still syncing (closed, version 0, when never set)."""
    try:
        item = ScheduleItem.get(*ScheduleItem.key(provider_id), consistent_read=True)
    except DoesNotExist:
        return ScheduleState(WorkingHours.closed(), 0)
    return _schedule_state(item)


def _schedule_state(item: ScheduleItem) -> ScheduleState:
    return ScheduleState(
        hours=WorkingHours.parse(json.loads(item.document)), version=int(item.version),
        pending=frozenset(date.fromisoformat(d) for d in (item.pending or ())),
        timezone=item.timezone, previous_timezone=item.previous_timezone)


def _pending_actions(provider_id: str, days: Iterable[date]) -> list:
    return [ScheduleItem.pending.add({d.isoformat() for d in days}),
            ScheduleItem.gsi1pk.set(ScheduleItem.sync_partition(provider_id)),
            ScheduleItem.gsi1sk.set(provider_id), ScheduleItem.provider_id.set(provider_id)]


def mark_pending(provider_id: str, days: Iterable[date], version: int,
                 previous_timezone: Optional[str] = None, bump_version: bool = False) -> None:
    """Record days whose slots are about to change, if the hours are still at `version` (then at version + 1
    if `bump_version`: whoever read `version` must read again)."""
    days = list(days)
    if not days:
        return
    actions = _pending_actions(provider_id, days)
    if previous_timezone is not None:
        actions.append(ScheduleItem.previous_timezone.set(previous_timezone))
    if bump_version:
        actions.append(ScheduleItem.version.set(version + 1))
    try:
        ScheduleItem(*ScheduleItem.key(provider_id)).update(actions=actions, condition=ScheduleItem.version == version)
    except UpdateError as error:
        if error.cause_response_code == CONDITION_FAILED:
            raise StaleRead("the working hours changed since they were read") from error
        raise


def commit_schedule(provider_id: str, hours: WorkingHours, expected_version: int, days: Iterable[date],
                    now: datetime, changed_by: Optional[str] = None) -> int:
    """Write new working hours if still at the version read, adding `days` to the pending ones; the new version."""
    days = list(days)
    actions = [ScheduleItem.document.set(json.dumps(hours.to_document())),
               ScheduleItem.version.set(expected_version + 1), ScheduleItem.updated_at.set(format_utc(now)),
               ScheduleItem.changed_by.set(changed_by)]
    if days:
        actions += _pending_actions(provider_id, days)
    try:
        ScheduleItem(*ScheduleItem.key(provider_id)).update(
            actions=actions, condition=ScheduleItem.version == expected_version)
    except UpdateError as error:
        if error.cause_response_code == CONDITION_FAILED:
            raise StaleRead("the working hours changed since they were read") from error
        raise
    return expected_version + 1


def settle_pending(provider_id: str, days: Iterable[date], version: int) -> bool:
    """Take synced days off the pending set if the hours are still at `version`; whether that happened."""
    key = ScheduleItem.key(provider_id)
    try:
        ScheduleItem(*key).update(actions=[ScheduleItem.pending.delete({d.isoformat() for d in days})],
                                  condition=ScheduleItem.version == version)
        # An emptied set vanishes: then the schedule leaves the list of those syncing.
        ScheduleItem(*key).update(
            actions=[ScheduleItem.gsi1pk.remove(), ScheduleItem.gsi1sk.remove(),
                     ScheduleItem.previous_timezone.remove()],
            condition=(ScheduleItem.version == version) & ScheduleItem.pending.does_not_exist())
    except UpdateError as error:
        if error.cause_response_code == CONDITION_FAILED:
            return False
        raise
    return True


def list_syncing_provider_ids() -> List[str]:
    """Providers with days whose slots may still disagree with their hours."""
    return [item.provider_id for shard in ScheduleItem.sync_partitions()
            for item in ScheduleItem.by_sync.query(shard)]


# --- services ---------------------------------------------------------------------------------

def service_from_item(item: ServiceItem) -> Service:
    """A service from its stored form."""
    return Service(
        provider_id=item.provider_id, service_id=item.service_id, name=item.name, category=item.category,
        duration_minutes=int(item.duration_minutes), buffer_minutes=int(item.buffer_minutes or 0),
        price_amount=int(item.price_amount), price_currency=item.price_currency, active=bool(item.active),
        created_at=item.created_at, updated_at=item.updated_at, changed_by=item.changed_by)


def save_service(service: Service, card: BookingCard, card_dates: Sequence[date]) -> None:
    """Write a service (new or changed) and the provider's new card, if the card is still at the version read."""
    pk, sk = ServiceItem.key(service.provider_id, service.service_id)
    tx = Transaction(f"service:{service.provider_id}:card-v{card.version}")
    tx.put("service", ServiceItem(pk, sk, **{name: getattr(service, name) for name in Service.__dataclass_fields__}))
    tx.update("profile", ProviderItem(*ProviderItem.key(service.provider_id)),
              [ProviderItem.card_version.set(card.version), ProviderItem.cards_through.set(card_dates[-1].isoformat())],
              condition=ProviderItem.card_version == card.version - 1)
    _write_cards(tx, card, card_dates)
    _commit_or_stale(tx, "the provider's services changed since they were read")


def get_service(provider_id: str, service_id: str) -> Optional[Service]:
    """The service, active or not, or None."""
    try:
        return service_from_item(ServiceItem.get(*ServiceItem.key(provider_id, service_id), consistent_read=True))
    except DoesNotExist:
        return None


# --- blocks -----------------------------------------------------------------------------------

def block_item(block: Block) -> BlockItem:
    """The stored form of a block."""
    pk, sk = BlockItem.key(block.provider_id, block.block_id)
    return BlockItem(pk, sk, provider_id=block.provider_id, block_id=block.block_id,
                     start=format_utc(block.start), end=format_utc(block.end), reason=block.reason,
                     created_at=block.created_at, created_by=block.created_by)


def block_from_item(item: BlockItem) -> Block:
    """A block from its stored form."""
    return Block(block_id=item.block_id, provider_id=item.provider_id, start=parse_instant(item.start, "start"),
                 end=parse_instant(item.end, "end"), reason=item.reason, created_at=item.created_at,
                 created_by=item.created_by)


def get_block(provider_id: str, block_id: str) -> Optional[Block]:
    """The block, or None."""
    try:
        return block_from_item(BlockItem.get(*BlockItem.key(provider_id, block_id), consistent_read=True))
    except DoesNotExist:
        return None


def list_blocks(provider_id: str, limit: int, cursor: Optional[str]) -> Tuple[List[Block], Optional[str]]:
    """A page of a provider's blocks."""
    pk, _ = BlockItem.key(provider_id, "")
    result = BlockItem.query(pk, BlockItem.sk.startswith(BlockItem.PREFIX), limit=limit,
                             last_evaluated_key=decode_cursor(cursor, "blocks", pk))
    return read_page(result, block_from_item, cursor, "blocks")
