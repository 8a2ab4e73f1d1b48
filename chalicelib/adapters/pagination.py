"""Opaque list cursors over DynamoDB's LastEvaluatedKey."""
from __future__ import annotations

import base64
import json
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from pynamodb.exceptions import QueryError

from chalicelib.domain.errors import InvalidRequest

T = TypeVar("T")

# A cursor names only key attributes of the table and its indexes.
KEY_ATTRIBUTES = {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"}


def encode_cursor(last_key: Optional[Dict[str, Any]], listing: str) -> Optional[str]:
    """The cursor a client sends back for the next page of this listing; None at the end."""
    if not last_key:
        return None
    raw = json.dumps({"list": listing, "key": last_key}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: Optional[str], listing: str) -> Optional[Dict[str, Any]]:
    """The LastEvaluatedKey inside a cursor of this listing; 400 when it was not one of ours."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        wrapper = json.loads(raw)
        if not isinstance(wrapper, dict) or wrapper.get("list") != listing:
            raise ValueError(wrapper)
        key = wrapper.get("key")
        if not isinstance(key, dict) or not {"pk", "sk"} <= set(key) <= KEY_ATTRIBUTES or not all(
                isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) and len(v["S"]) <= 1024
                for v in key.values()):
            raise ValueError(key)
        return key
    except (ValueError, TypeError):
        raise InvalidRequest("cursor: not a cursor from a previous answer; start again without it")


def read_page(result, convert: Callable[[Any], T], cursor: Optional[str],
              listing: str) -> Tuple[List[T], Optional[str]]:
    """The items of one query page and the next cursor; 400 when the cursor belongs to another list."""
    try:
        items = [convert(item) for item in result]
    except QueryError as error:
        if cursor and error.cause_response_code == "ValidationException":
            raise InvalidRequest("cursor: not a cursor of this list; start again without it")
        raise
    return items, encode_cursor(result.last_evaluated_key, listing)
