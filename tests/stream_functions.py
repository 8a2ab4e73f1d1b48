"""Stream functions for the tests of the feeder and the replay: they note each batch and fail on chosen records.

What a function was given is kept by function and table (the table is named in each record's stream ARN),
so tests that use their own table never see each other's batches.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any, Dict, List, Set, Tuple

from aws_lambda_powertools import Logger

from chalicelib.adapters.stream import handle_batch

#: (function, table) -> the batches it was given, each a list of (sort key, sequence number).
seen: Dict[Tuple[str, str], List[List[Tuple[str, str]]]] = defaultdict(list)
#: Sort keys whose records make the functions fail.
poison: Set[str] = set()

_lock = threading.Lock()
_logger = Logger(service="stream-tests", level="WARNING")


def table_of(record: Dict[str, Any]) -> str:
    """The table whose stream the record comes from."""
    return record["eventSourceARN"].split(":table/")[1].split("/")[0]


def sort_key(record: Dict[str, Any]) -> str:
    """The record's item's sort key."""
    return record["dynamodb"]["Keys"]["sk"]["S"]


def batches(function: str, table: str) -> List[List[Tuple[str, str]]]:
    """The batches ``function`` was given from ``table``'s stream."""
    with _lock:
        return [list(batch) for batch in seen[(function, table)]]


def _note(function: str, event: Dict[str, Any]) -> None:
    records = event["Records"]
    with _lock:
        seen[(function, table_of(records[0]))].append(
            [(sort_key(record), record["dynamodb"]["SequenceNumber"]) for record in records]
        )


def raising(event: Dict[str, Any], context: Any) -> Dict[str, Any]:
    """Raises when a poison record is in the batch (the whole batch fails)."""
    _note("raising", event)
    bad = [sort_key(record) for record in event["Records"] if sort_key(record) in poison]
    if bad:
        raise ValueError(f"poison {bad}")
    return {"batchItemFailures": []}


def steady(event: Dict[str, Any], context: Any) -> None:
    """Never fails."""
    _note("steady", event)


def _record_handler(record: Any) -> None:
    sort_key = record["dynamodb"]["Keys"]["sk"]["S"]
    if sort_key in poison:
        raise ValueError(f"poison {sort_key}")


@_logger.inject_lambda_context
def partial(event: Dict[str, Any], context: Any) -> Dict[str, Any]:
    """The stream functions' batch handling: a poison record is a batch item failure (all of them failing raises)."""
    _note("partial", event)
    return handle_batch(event, _record_handler)
