"""The table's stream records turned into domain events: the one place that reads stream images.

Also Lambda's side of a stream batch: each record handled in order, the failed ones reported back
(`batchItemFailures`) so that Lambda retries from the first of them. Powertools' batch utility does the same
and costs each stream function about 40 ms more at cold start (asyncio and all its event classes load with
it), so it is done here (docs/decisions/0016-stream-path-without-pydantic.md).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, TypeVar

from chalicelib.adapters.bookings import booking_from_item
from chalicelib.adapters.models import BlockItem, BookingItem, ProviderItem, ReviewItem, ScheduleItem, ServiceItem
from chalicelib.adapters.providers import block_from_item, provider_from_item, service_from_item
from chalicelib.adapters.reviews import review_from_item
from chalicelib.domain import events
from chalicelib.domain.schedule import WorkingHours
from chalicelib.domain.timegrid import format_utc

T = TypeVar("T")


def _image(record: Mapping[str, Any], name: str, model, convert: Callable[[Any], T]) -> Optional[T]:
    raw = record["dynamodb"].get(name)
    return None if not raw else convert(model.from_raw_data(raw))


def _committed_at(record: Mapping[str, Any]) -> str:
    stamp = record["dynamodb"].get("ApproximateCreationDateTime")
    if stamp is None:
        return format_utc(datetime.now(timezone.utc))
    return format_utc(datetime.fromtimestamp(float(stamp), tz=timezone.utc))


def _schedule(raw: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if not raw or "document" not in raw:
        return None
    return WorkingHours.parse(json.loads(raw["document"]["S"])).to_document()


def _pending(raw: Optional[Dict[str, Any]]) -> List[str]:
    return sorted((raw or {}).get("pending", {}).get("SS", []))


def events_of(record: Mapping[str, Any]) -> List[events.Event]:
    """The events one stream record (in Lambda's shape) stands for; none for items no one needs to hear of."""
    sort_key = record["dynamodb"]["Keys"]["sk"]["S"]
    if sort_key == "BOOKING":
        return list(events.changes_of_booking(_image(record, "OldImage", BookingItem, booking_from_item),
                                              _image(record, "NewImage", BookingItem, booking_from_item)))
    if sort_key == ReviewItem.SORT_KEY:
        return list(events.changes_of_review(_image(record, "OldImage", ReviewItem, review_from_item),
                                             _image(record, "NewImage", ReviewItem, review_from_item)))
    if sort_key.startswith(BlockItem.PREFIX):
        return events.changes_of_block(_image(record, "OldImage", BlockItem, block_from_item),
                                       _image(record, "NewImage", BlockItem, block_from_item), _committed_at(record))
    if sort_key.startswith(ServiceItem.PREFIX):
        return list(events.changes_of_service(_image(record, "OldImage", ServiceItem, service_from_item),
                                              _image(record, "NewImage", ServiceItem, service_from_item)))
    if sort_key == "PROFILE":
        return list(events.changes_of_profile(_image(record, "OldImage", ProviderItem, provider_from_item),
                                              _image(record, "NewImage", ProviderItem, provider_from_item)))
    if sort_key == "SCHEDULE":
        new = record["dynamodb"].get("NewImage")
        if not new:
            return []
        item = ScheduleItem.from_raw_data(new)
        provider_id = item.provider_id or record["dynamodb"]["Keys"]["pk"]["S"].split("#", 1)[1]
        changed = events.schedule_changed(provider_id, _schedule(record["dynamodb"].get("OldImage")),
                                          _schedule(new), int(item.version), item.updated_at, item.changed_by)
        settled = events.schedule_settled(provider_id, _pending(record["dynamodb"].get("OldImage")),
                                          _pending(new), int(item.version), _committed_at(record))
        return [*changed, *settled]
    return []


class BatchFailed(Exception):
    """Every record of a batch failed: the invocation fails as a whole, and Lambda retries the batch."""


def sequence_number(record: Mapping[str, Any]) -> Optional[str]:
    """A stream record's sequence number: its identity in a partial batch response."""
    return (record.get("dynamodb") or {}).get("SequenceNumber")


def handle_batch(batch: Mapping[str, Any], handle: Callable[[Mapping[str, Any]], None]) -> Dict[str, Any]:
    """Handle each record of a stream batch in order; the answer lists the failed ones for Lambda to retry.

    A failing record does not stop the others: Lambda retries from the earliest failure, so what follows it
    comes again, and every handler is idempotent by the events' identities. When all fail, BatchFailed.
    """
    records = list(batch.get("Records") or [])
    failed = []
    for record in records:
        try:
            handle(record)
        except Exception as error:  # one record's failure is reported, not raised: the others still run
            failed.append((sequence_number(record), error))
    if records and len(failed) == len(records):
        raise BatchFailed(f"all {len(records)} records failed; the first: {failed[0][1]!r}") from failed[0][1]
    return {"batchItemFailures": [{"itemIdentifier": number} for number, _ in failed]}
