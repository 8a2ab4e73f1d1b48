"""Opaque list cursors over DynamoDB's LastEvaluatedKey."""
from __future__ import annotations

import base64
import json
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple, TypeVar

from pynamodb.exceptions import QueryError

from chalicelib.adapters.table import GSI1, GSI2, PARTITION_KEY, SORT_KEY
from chalicelib.domain.errors import NotOurCursor

T = TypeVar("T")

MAX_KEY_VALUE_LENGTH = 1024


def encode_cursor(last_key: Optional[Dict[str, Any]], listing: str) -> Optional[str]:
    """The cursor a client sends back for the next page of this listing; None at the end."""
    if not last_key:
        return None
    raw = json.dumps({"list": listing, "key": last_key}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def key_attributes(listing: str) -> FrozenSet[str]:
    """The attributes of a LastEvaluatedKey of this listing: the table's keys, plus its index's when it reads one."""
    if listing in (GSI1, GSI2):
        return frozenset({PARTITION_KEY, SORT_KEY, f"{listing}pk", f"{listing}sk"})
    return frozenset({PARTITION_KEY, SORT_KEY})


def decode_cursor(cursor: Optional[str], listing: str, partition: str) -> Optional[Dict[str, Any]]:
    """The LastEvaluatedKey inside a cursor of this listing and partition; 400 when it was not one of ours.

    The partition is the one the query reads (a customer's, a provider's): a cursor of another partition
    would let one caller page through another's list.
    """
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        wrapper = json.loads(raw)
        if not isinstance(wrapper, dict) or wrapper.get("list") != listing:
            raise ValueError(wrapper)
        key = wrapper.get("key")
        # Exactly the keys DynamoDB gives for this listing: a key short of its index's attributes makes
        # the query fail, and one with more is not ours.
        if not isinstance(key, dict) or set(key) != key_attributes(listing) or not all(
                map(_is_key_value, key.values())):
            raise ValueError(key)
    except (ValueError, TypeError, RecursionError):
        raise NotOurCursor() from None
    partition_key = f"{listing}pk" if listing in (GSI1, GSI2) else PARTITION_KEY
    if key[partition_key]["S"] != partition:
        raise NotOurCursor()
    return key


def _is_key_value(value: Any) -> bool:
    if not (isinstance(value, dict) and list(value) == ["S"] and isinstance(value["S"], str)):
        return False
    value["S"].encode("utf-8")  # a lone surrogate ("\\ud800" in the JSON) raises UnicodeEncodeError, a ValueError
    return 1 <= len(value["S"]) <= MAX_KEY_VALUE_LENGTH


def read_page(result, convert: Callable[[Any], T], cursor: Optional[str],
              listing: str) -> Tuple[List[T], Optional[str]]:
    """The items of one query page and the next cursor; 400 when DynamoDB refuses the cursor's key."""
    try:
        items = [convert(item) for item in result]
    except QueryError as error:
        if cursor and error.cause_response_code == "ValidationException":
            raise NotOurCursor()
        raise
    return items, encode_cursor(result.last_evaluated_key, listing)
