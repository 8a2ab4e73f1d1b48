"""The one source of "now" for the services; tests swap in a fixed clock."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return _now()


def set_clock(source: Callable[[], datetime]) -> None:
    """Make `now()` answer from `source` (tests)."""
    global _now
    _now = source
