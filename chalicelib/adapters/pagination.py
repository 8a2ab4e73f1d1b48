"""Opaque list cursors over DynamoDB's LastEvaluatedKey."""
from __future__ import annotations

import base64
import json
from typing import Any, Dict, Optional

from chalicelib.domain.errors import InvalidRequest


def encode_cursor(last_key: Optional[Dict[str, Any]]) -> Optional[str]:
    """The cursor a client sends back for the next page; None at the end."""
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: Optional[str]) -> Optional[Dict[str, Any]]:
    """The LastEvaluatedKey inside a cursor; 400 when it was not one of ours."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
        if not isinstance(key, dict) or not all(
                isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) for v in key.values()):
            raise ValueError(key)
        return key
    except (ValueError, TypeError):
        raise InvalidRequest("cursor: not a cursor from a previous answer; start again without it")
