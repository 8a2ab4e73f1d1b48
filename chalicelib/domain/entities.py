"""The entities the services work with, and their states (pure: no I/O, no validation library).

Plain frozen dataclasses, so that every function that handles them (the stream and scheduled functions
too) imports them in microseconds; what clients send is parsed into `chalicelib.domain.model`'s commands.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Dict, FrozenSet, List, Optional

PENDING, CONFIRMED, CANCELED, DECLINED = "PENDING", "CONFIRMED", "CANCELED", "DECLINED"
BOOKING_STATUSES = (PENDING, CONFIRMED, CANCELED, DECLINED)
ACTIVE_STATUSES = (PENDING, CONFIRMED)

FREE, HELD, BOOKED, BLOCKED = "FREE", "HELD", "BOOKED", "BLOCKED"
HOLD_ACTIVE, HOLD_RELEASED, HOLD_USED = "ACTIVE", "RELEASED", "USED"

MAX_BLOCK_HOURS = 24

@dataclass(frozen=True)
class Rules:
    """A provider's booking rules; the defaults are a new provider's (the commands take the same)."""

    auto_confirm: bool = True
    min_notice_minutes: int = 60
    max_days_ahead: int = 60
    hold_minutes: int = 5
    cancel_cutoff_minutes: int = 0

    def as_dict(self) -> Dict[str, Any]:
        """The rules by name, as stored and shown."""
        return asdict(self)


@dataclass(frozen=True)
class Caller:
    """Who is asking: the verified token's subject and groups."""

    user_id: str
    email: str = ""
    groups: FrozenSet[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Service:
    provider_id: str
    service_id: str
    name: str
    category: str
    duration_minutes: int
    buffer_minutes: int
    price_amount: int
    price_currency: str
    active: bool
    created_at: str
    updated_at: str
    # Who made the last change (a user's id); the audit trail's actor.
    changed_by: Optional[str] = None


@dataclass(frozen=True)
class Provider:
    provider_id: str
    owner_id: str
    name: str
    description: str
    categories: List[str]
    lat: float
    lon: float
    address: Optional[str]
    timezone: str
    rules: Rules
    rating: Optional[float]
    review_count: int
    horizon_end: Optional[str]
    created_at: str
    updated_at: str
    version: int
    card_version: int = 0
    cards_through: Optional[str] = None
    changed_by: Optional[str] = None


@dataclass(frozen=True)
class Hold:
    hold_id: str
    provider_id: str
    service_id: str
    customer_id: str
    start: datetime
    end: datetime
    occupied_until: datetime
    expires_at: datetime
    created_at: str
    state: str = "ACTIVE"  # ACTIVE | RELEASED | USED

    def usable(self, now: datetime) -> bool:
        """Whether the hold still keeps its time for its holder."""
        return self.state == HOLD_ACTIVE and now < self.expires_at


@dataclass(frozen=True)
class HeldTime:
    """The time a live hold takes as its slots say: from its first slot's start to its last slot's end."""

    hold_id: str
    start: datetime
    end: datetime  # the service's buffer included
    expires_at: datetime


@dataclass(frozen=True)
class Booking:
    booking_id: str
    status: str
    provider_id: str
    service_id: str
    customer_id: str
    start: datetime
    end: datetime
    occupied_until: datetime
    timezone: str
    note: Optional[str]
    reason: Optional[str]
    created_at: str
    updated_at: str
    version: int
    # Who made the last change; None for the system (no booking change is the system's today).
    changed_by: Optional[str] = None
    # The start a reminder went out for: a reschedule to another start arms a new one.
    reminded_start: Optional[str] = None


@dataclass(frozen=True)
class Review:
    """A customer's review of one booking (at most one per booking)."""

    booking_id: str
    provider_id: str
    customer_id: str
    rating: int
    comment: Optional[str]
    created_at: str


@dataclass(frozen=True)
class Block:
    block_id: str
    provider_id: str
    start: datetime
    end: datetime
    reason: Optional[str]
    created_at: str
    created_by: Optional[str] = None


@dataclass(frozen=True)
class SlotState:
    """What one slot item says right now."""

    start: datetime
    status: str
    in_hours: bool
    hold_id: Optional[str] = None
    hold_expires: Optional[int] = None
    booking_id: Optional[str] = None
    block_id: Optional[str] = None

    def bookable(self, now_epoch: int) -> bool:
        """Free for anyone: in hours and free, or held by a hold that has lapsed."""
        if not self.in_hours:
            return False
        return self.status == FREE or (self.status == HELD and (self.hold_expires or 0) <= now_epoch)
