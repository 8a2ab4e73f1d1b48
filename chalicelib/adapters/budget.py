"""An API request's time budget for DynamoDB retries (decision 18): stdlib only, cheap to load per request.

Inside `request_budget()` a retry — botocore's (dynamo.py) or the TransactionConflict one (transaction.py) —
starts only while the budget lasts. A first attempt always goes: a request that is slow but answered goes on
(a working-hours change lays out slots for up to SCHEDULE_SYNC_SECONDS). Outside it (stream functions,
scheduled jobs) there is no budget: their retries are bounded by attempts and by Lambda's own timeout.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Optional

# When the current request's budget ends (time.monotonic()); None: no budget.
_deadline: ContextVar[Optional[float]] = ContextVar("dynamodb_deadline", default=None)


@contextmanager
def request_budget(seconds: Optional[float] = None) -> Iterator[None]:
    """Within this block, DynamoDB retries start only until `seconds` (by default the setting) have passed."""
    if seconds is None:
        from chalicelib.config import get_settings

        seconds = get_settings().dynamodb_request_budget_seconds
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def budget_left() -> bool:
    """Whether another attempt may start: the current request's budget is not spent (or there is none)."""
    deadline = _deadline.get()
    return deadline is None or time.monotonic() < deadline
