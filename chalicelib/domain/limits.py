"""Abuse limits as pure rules: a customer's ledger of live holds, and one-minute windows of writes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Mapping, Tuple

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class HoldLedger:
    """A customer's holds as last written: hold id -> expiry (epoch seconds), and the ledger's version (0: none)."""

    version: int = 0
    entries: Mapping[str, int] = field(default_factory=dict)

    def live(self, now_epoch: int) -> Dict[str, int]:
        """The holds that still keep their time (a hold is usable while now < its expiry)."""
        return {hold_id: expires for hold_id, expires in self.entries.items() if expires > now_epoch}

    def lapsed(self, now_epoch: int) -> List[str]:
        """The holds whose time has passed: dropped by the next write of the ledger."""
        return sorted(hold_id for hold_id, expires in self.entries.items() if expires <= now_epoch)

    def seconds_to_first_lapse(self, now_epoch: int) -> int:
        """Seconds until the earliest live hold lapses (at least 1)."""
        live = self.live(now_epoch)
        return max(1, min(live.values()) - now_epoch) if live else 1


def write_window(now: datetime) -> Tuple[str, int, int]:
    """The UTC minute `now` falls in: its label (yyyy-mm-ddThh:mm), its end (epoch seconds), seconds left (>= 1)."""
    start = now.astimezone(timezone.utc).replace(second=0, microsecond=0)
    end = int((start + WINDOW).timestamp())
    return start.strftime("%Y-%m-%dT%H:%M"), end, max(1, end - int(now.timestamp()))
