"""Reading the whole table: a parallel Scan (one thread per segment) through the process's one client, and an
atomic re-read of chosen items. For checks and tools, never for a request: a Scan reads every item.

Items come back deserialised to plain Python (boto3's TypeDeserializer: numbers are Decimal, sets are sets).
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from chalicelib.adapters import dynamo
from chalicelib.adapters.table import PARTITION_KEY, SORT_KEY
from chalicelib.config import get_settings
from chalicelib.domain.errors import TryAgain

Key = Tuple[str, str]
#: TransactGetItems reads at most this many items, all as of one instant.
MAX_ATOMIC_READ = 100
_REREAD_ATTEMPTS = 5
_deserializer = TypeDeserializer()


@dataclass
class ScanResult:
    """The items kept, how many the table gave (before `keep`), the read capacity consumed, pages and seconds."""

    items: List[Dict[str, Any]] = field(default_factory=list)
    scanned: int = 0
    capacity_units: float = 0.0
    pages: int = 0
    seconds: float = 0.0


def _plain(raw: Mapping[str, Any]) -> Dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in raw.items()}


def _projection(attributes: Optional[Sequence[str]]) -> Dict[str, Any]:
    if not attributes:
        return {}
    # Placeholders for every name: several (status, state, start, end, type, at, ttl) are reserved words.
    names = {f"#a{index}": name for index, name in enumerate(attributes)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def _segment(segment: int, segments: int, consistent_read: bool, attributes: Optional[Sequence[str]],
             keep: Optional[Callable[[Dict[str, Any]], bool]]) -> ScanResult:
    result = ScanResult()
    params: Dict[str, Any] = {"TableName": get_settings().table_name, "Segment": segment, "TotalSegments": segments,
                              "ConsistentRead": consistent_read, "ReturnConsumedCapacity": "TOTAL",
                              **_projection(attributes)}
    while True:
        page = dynamo.client().scan(**params)
        result.pages += 1
        result.scanned += int(page.get("ScannedCount", len(page.get("Items", []))))
        result.capacity_units += float(page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))
        for raw in page.get("Items", []):
            item = _plain(raw)
            if keep is None or keep(item):
                result.items.append(item)
        if not page.get("LastEvaluatedKey"):
            return result
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def scan(segments: int = 4, consistent_read: bool = False, attributes: Optional[Sequence[str]] = None,
         keep: Optional[Callable[[Dict[str, Any]], bool]] = None, workers: Optional[int] = None) -> ScanResult:
    """Every item of the table (projected to `attributes`, those `keep` accepts), read as `segments` parallel
    segments, each paginated, by `workers` threads (one per segment unless told)."""
    if segments < 1:
        raise ValueError("segments: at least 1")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, min(workers or segments, segments))) as pool:
        parts = list(pool.map(lambda n: _segment(n, segments, consistent_read, attributes, keep), range(segments)))
    total = ScanResult(seconds=0.0)
    for part in parts:
        total.items += part.items
        total.scanned += part.scanned
        total.capacity_units += part.capacity_units
        total.pages += part.pages
    total.seconds = time.monotonic() - started
    return total


def read_items(keys: Iterable[Key]) -> Dict[Key, Optional[Dict[str, Any]]]:
    """The items of these keys as they are now (None: absent), each group of up to 100 read as of one instant
    (TransactGetItems: never half of a transaction)."""
    ordered = sorted(set(keys))
    found: Dict[Key, Optional[Dict[str, Any]]] = {}
    table = get_settings().table_name
    for offset in range(0, len(ordered), MAX_ATOMIC_READ):
        chunk = ordered[offset:offset + MAX_ATOMIC_READ]
        answer = _transact_get([{"Get": {"TableName": table, "Key": {PARTITION_KEY: {"S": pk}, SORT_KEY: {"S": sk}}}}
                                for pk, sk in chunk])
        for key, response in zip(chunk, answer.get("Responses", [])):
            found[key] = _plain(response["Item"]) if response.get("Item") else None
    return found


def _transact_get(items: List[Dict[str, Any]]) -> Dict[str, Any]:
    for attempt in range(_REREAD_ATTEMPTS):
        try:
            return dynamo.client().transact_get_items(TransactItems=items)
        except ClientError as error:
            # Cancelled when a write transaction holds one of the items at that moment: read again shortly.
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            time.sleep(0.05 * (attempt + 1))
    raise TryAgain()
