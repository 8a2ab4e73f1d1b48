"""Abuse limits that are not part of one entity's rules: how many changes a user may make a minute."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from chalicelib.config import get_settings
from chalicelib.domain.entities import Caller
from chalicelib.domain.errors import RateLimited
from chalicelib.domain.limits import write_window
from chalicelib.observability import count, logger
from chalicelib.service import clock
from chalicelib.service.stores import limit_store

# A counter outlives its minute by this much, then TTL deletes it (late deletion is harmless: nobody reads it).
COUNTER_KEPT_SECONDS = 300


def charge_write(caller: Caller) -> None:
    """Count one change by the caller in this UTC minute; RateLimited (nothing counted) past the setting."""
    limit = get_settings().write_rate_per_minute
    window, end, seconds_left = write_window(clock.now())
    if limit_store.charge_write(caller.user_id, window, limit, end + COUNTER_KEPT_SECONDS):
        return
    logger.info("Write rate limited", user_id=caller.user_id, window=window, limit=limit)
    count("WriteRateLimited")
    raise RateLimited(f"at most {limit} changes a minute; try again in {seconds_left} s", retry_after=seconds_left)


@contextmanager
def charged_with_the_change(caller: Caller) -> Iterator[None]:
    """Within: the request's first transaction counts this change too (one write call for both).

    A request that commits no transaction (refused before it, or an idempotent replay) is counted on its own
    at the end; past the rate that answers RateLimited instead, and nothing was changed.
    """
    limit = get_settings().write_rate_per_minute
    window, end, seconds_left = write_window(clock.now())
    refusal = RateLimited(f"at most {limit} changes a minute; try again in {seconds_left} s", retry_after=seconds_left)
    limit_store.arm(caller.user_id, window, limit, end + COUNTER_KEPT_SECONDS, refusal)
    try:
        yield
    finally:
        if limit_store.disarm():
            charge_write(caller)
