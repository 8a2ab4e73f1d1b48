"""The table's stream read as Lambda's event source mappings read it: shards, records, event records, filters.

Used where records are read outside Lambda: the local stack's feeder (it stands in for the event source
mappings) and the dead-letter replay, which runs against a deployed stage too. Sequence numbers are
numeric strings; they are compared as numbers.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from chalicelib.adapters import aws
from chalicelib.config import get_settings

TRIM_HORIZON = "TRIM_HORIZON"
AT_SEQUENCE_NUMBER = "AT_SEQUENCE_NUMBER"
AFTER_SEQUENCE_NUMBER = "AFTER_SEQUENCE_NUMBER"
MAX_RECORDS = 1000  # the most one GetRecords call returns
# An open shard may answer a page with no records even though later ones exist; give up after this many.
MAX_EMPTY_PAGES = 5

def client(service: str) -> Any:
    """The process's client of ``service`` (dynamodb, dynamodbstreams, sqs): the one every adapter shares."""
    return aws.client(service)


def reset() -> None:
    """Forget the clients, so the next call builds them from the current settings (tests)."""
    aws.reset()


def stream_arn(table_name: Optional[str] = None, dynamodb: Any = None) -> str:
    """The ARN of the table's current stream (the settings' table unless another is named)."""
    dynamodb = dynamodb or client("dynamodb")
    table = dynamodb.describe_table(TableName=table_name or get_settings().table_name)["Table"]
    if not table.get("LatestStreamArn"):
        raise LookupError(f"table {table['TableName']} has no stream")
    return table["LatestStreamArn"]


def list_shards(arn: str, streams: Any = None) -> List[Dict[str, Any]]:
    """Every shard of the stream, open and closed, in the order DescribeStream lists them."""
    streams = streams or client("dynamodbstreams")
    shards: List[Dict[str, Any]] = []
    request: Dict[str, Any] = {"StreamArn": arn}
    while True:
        description = streams.describe_stream(**request)["StreamDescription"]
        shards.extend(description.get("Shards", []))
        last = description.get("LastEvaluatedShardId")
        if not last:
            return shards
        request["ExclusiveStartShardId"] = last


def shard_iterator(
    arn: str, shard_id: str, position: str = TRIM_HORIZON, sequence_number: Optional[str] = None, streams: Any = None
) -> str:
    """An iterator over a shard from its oldest record, at a sequence number or after one."""
    streams = streams or client("dynamodbstreams")
    request = {"StreamArn": arn, "ShardId": shard_id, "ShardIteratorType": position}
    if sequence_number is not None:
        request["SequenceNumber"] = sequence_number
    return streams.get_shard_iterator(**request)["ShardIterator"]


def get_records(iterator: str, limit: int = MAX_RECORDS, streams: Any = None) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    """One page of a shard: its records as GetRecords gives them, and the next iterator (None: the shard is closed
    and read to its end)."""
    streams = streams or client("dynamodbstreams")
    page = streams.get_records(ShardIterator=iterator, Limit=limit)
    return page.get("Records", []), page.get("NextShardIterator")


def read_range(arn: str, shard_id: str, first: str, last: str, streams: Any = None) -> List[Dict[str, Any]]:
    """The event records of a shard from sequence number ``first`` through ``last``, both included."""
    iterator: Optional[str] = shard_iterator(arn, shard_id, AT_SEQUENCE_NUMBER, first, streams=streams)
    found: List[Dict[str, Any]] = []
    empty_pages = 0
    while iterator is not None and empty_pages < MAX_EMPTY_PAGES:
        records, iterator = get_records(iterator, streams=streams)
        empty_pages = 0 if records else empty_pages + 1
        for record in records:
            if sequence(record) > int(last):
                return found
            found.append(event_record(record, arn))
    return found


def sequence(record: Mapping[str, Any]) -> int:
    """A record's sequence number, as a number."""
    return int(record["dynamodb"]["SequenceNumber"])


def region_of(arn: str) -> str:
    """The region an ARN names."""
    return arn.split(":")[3]


def event_record(record: Mapping[str, Any], arn: str) -> Dict[str, Any]:
    """A GetRecords record as Lambda hands it to a function: creation time in epoch seconds, the stream named."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    elif created is not None:
        change["ApproximateCreationDateTime"] = int(float(created))
    return {
        **record,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region_of(arn),
        "eventSourceARN": arn,
        "dynamodb": change,
    }


def matches(record: Mapping[str, Any], patterns: Sequence[Mapping[str, Any]]) -> bool:
    """Whether Lambda's filter criteria let the record through: some pattern matches it (no patterns: all pass).

    The subset of Lambda's pattern syntax the sources use: nested keys, lists of exact values and
    ``{"prefix": ...}``; anything else is refused, so a pattern never silently means something else here.
    """
    return not patterns or any(_matches_object(record, pattern) for pattern in patterns)


def _matches_object(value: Any, pattern: Mapping[str, Any]) -> bool:
    """Every key of the pattern is in the value and matches its part of the pattern."""
    if not isinstance(value, Mapping):
        return False
    for key, expected in pattern.items():
        if isinstance(expected, Mapping):
            if key not in value or not _matches_object(value[key], expected):
                return False
        elif isinstance(expected, list):
            if key not in value or not _matches_any(value[key], expected):
                return False
        else:
            raise ValueError(f"filter pattern: {key!r} must map to an object or a list, not {expected!r}")
    return True


def _matches_any(value: Any, rules: List[Any]) -> bool:
    """The value (or, for a list, one of its elements) satisfies one of the rules."""
    values = value if isinstance(value, list) else [value]
    return any(_satisfies(item, rule) for item in values for rule in rules)


def _satisfies(value: Any, rule: Any) -> bool:
    """The value equals an exact rule (strings never equal numbers) or starts with a prefix rule."""
    if isinstance(rule, Mapping):
        if set(rule) != {"prefix"} or not isinstance(rule["prefix"], str):
            raise ValueError(f"filter pattern: unsupported rule {rule!r} (exact values and prefix only)")
        return isinstance(value, str) and value.startswith(rule["prefix"])
    if _is_number(rule) and _is_number(value):
        return value == rule
    return type(value) is type(rule) and value == rule


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
