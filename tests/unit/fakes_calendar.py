"""An in-memory fake of chalicelib/adapters/feeds.py, for unit tests of the calendar service (test code).

It shares a `FakeState` with the other fakes (tests/unit/fakes.py) for their call log and faults:
    state.before("create_feed_secret", competitor)   # another first call stores its secret just before
"""
from __future__ import annotations

from datetime import datetime
from typing import Dict, Optional, Tuple

from chalicelib.domain.timegrid import format_utc
from tests.unit.fakes import FakeState, _recorded


class FakeFeeds:
    """chalicelib/adapters/feeds.py in memory: PROVIDER#p / CALENDAR_FEED as (secret, rotated_at)."""

    def __init__(self, state: FakeState) -> None:
        self.state = state
        self.items: Dict[str, Tuple[str, str]] = {}

    @_recorded
    def get_feed_secret(self, provider_id: str) -> Optional[str]:
        item = self.items.get(provider_id)
        return None if item is None else item[0]

    @_recorded
    def create_feed_secret(self, provider_id: str, secret: str, now: datetime) -> str:
        if provider_id not in self.items:  # the adapter's condition: the item does not exist yet
            self.items[provider_id] = (secret, format_utc(now))
        return self.items[provider_id][0]

    @_recorded
    def rotate_feed_secret(self, provider_id: str, secret: str, now: datetime) -> None:
        self.items[provider_id] = (secret, format_utc(now))
