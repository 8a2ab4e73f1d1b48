"""The first answer to a request made with an Idempotency-Key (pure)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict


@dataclass(frozen=True)
class IdempotentAnswer:
    """The first answer given to one user's request with one Idempotency-Key."""

    user_id: str
    key: str
    request_hash: str
    status_code: int
    body: Dict[str, Any]
    expires_at: int
