"""Where a booking fits: runs of consecutive bookable 15-minute slots; and the time live holds take."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Dict, Iterable, List

from chalicelib.domain.entities import HELD, HeldTime, SlotState
from chalicelib.domain.timegrid import SLOT, SLOT_MINUTES


def slots_needed(duration_minutes: int, buffer_minutes: int) -> int:
    """Count the 15-minute slots that cover a service's duration plus its buffer."""
    if duration_minutes <= 0 or buffer_minutes < 0:
        raise ValueError(
            f"need a positive duration and a non-negative buffer, got {duration_minutes}, {buffer_minutes}"
        )
    return -(-(duration_minutes + buffer_minutes) // SLOT_MINUTES)


def fitting_starts(bookable: Iterable[datetime], span: int) -> List[datetime]:
    """List, sorted, the bookable UTC starts followed by span - 1 more bookable slots back to back."""
    if span < 1:
        raise ValueError(f"span must be at least one slot, got {span}")
    starts = sorted(set(bookable))
    fitting = []
    # Walk backwards, counting how many back-to-back bookable slots begin at each start.
    run = 0
    for index in range(len(starts) - 1, -1, -1):
        follows = index + 1 < len(starts) and starts[index + 1] - starts[index] == SLOT
        run = run + 1 if follows else 1
        if run >= span:
            fitting.append(starts[index])
    fitting.reverse()
    return fitting


def live_holds(slots: Iterable[SlotState], now_epoch: int) -> List[HeldTime]:
    """The holds whose slots are HELD and not lapsed at now_epoch, each spanning its slots, sorted by start."""
    found: Dict[str, HeldTime] = {}
    for slot in slots:
        if slot.status != HELD or slot.hold_id is None or (slot.hold_expires or 0) <= now_epoch:
            continue
        expires = datetime.fromtimestamp(slot.hold_expires, timezone.utc)
        held = found.get(slot.hold_id)
        if held is None:
            found[slot.hold_id] = HeldTime(slot.hold_id, slot.start, slot.start + SLOT, expires)
        else:
            found[slot.hold_id] = HeldTime(slot.hold_id, min(held.start, slot.start),
                                           max(held.end, slot.start + SLOT), min(held.expires_at, expires))
    return sorted(found.values(), key=lambda held: (held.start, held.hold_id))
