"""The availability card: what a lookup needs to know of a provider, copied beside its slots (pure).

An availability lookup must cost one DynamoDB Query. The slots are in the provider's partition, sorted by
start; the zone, the booking rules and the active services' lengths are not. So each change of those
writes this card, in the same transaction, onto one item per UTC date of the horizon, whose sort key sorts
just before that date's slots. Any lookup range then holds at least one card, and every card dated from
yesterday on is current (see docs/decisions/0005-availability-in-one-query.md).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, List, Mapping, Optional, Tuple

from chalicelib.domain.entities import Provider, Service

# Lookups ask for up to max_days_ahead (at most 60) local days: cards cover the UTC dates around them.
CARD_DAYS_BEFORE = 1
CARD_DAYS_AFTER = 62


@dataclass(frozen=True)
class BookingCard:
    """A provider's zone, rules and active services (id -> duration and buffer minutes), at a version."""

    provider_id: str
    version: int
    timezone: str
    min_notice_minutes: int
    max_days_ahead: int
    services: Mapping[str, Tuple[int, int]] = field(default_factory=dict)

    def services_document(self) -> str:
        """The services as stored on the card items."""
        return json.dumps({sid: list(lengths) for sid, lengths in sorted(self.services.items())},
                          separators=(",", ":"))

    @staticmethod
    def parse_services(document: str) -> Mapping[str, Tuple[int, int]]:
        """The services of a stored card."""
        return {sid: (int(lengths[0]), int(lengths[1])) for sid, lengths in json.loads(document).items()}


def card_of(provider: Provider, services: Iterable[Service], version: int) -> BookingCard:
    """The card of a provider with these services (inactive ones are left out)."""
    return BookingCard(
        provider_id=provider.provider_id, version=version, timezone=provider.timezone,
        min_notice_minutes=provider.rules.min_notice_minutes, max_days_ahead=provider.rules.max_days_ahead,
        services={s.service_id: (s.duration_minutes, s.buffer_minutes) for s in services if s.active})


def card_dates(now: datetime, after: Optional[date] = None) -> List[date]:
    """The UTC dates that carry a card at `now` (only those later than `after`, when given)."""
    today = now.astimezone(timezone.utc).date()
    dates = [today + timedelta(days=n) for n in range(-CARD_DAYS_BEFORE, CARD_DAYS_AFTER + 1)]
    return [d for d in dates if after is None or d > after]


def current_card(cards: Iterable[Tuple[date, BookingCard]], now: datetime) -> Optional[BookingCard]:
    """The newest card among those dated within the kept range; None when there is none."""
    oldest_kept = now.astimezone(timezone.utc).date() - timedelta(days=CARD_DAYS_BEFORE)
    kept = [card for day, card in cards if day >= oldest_kept]
    return max(kept, key=lambda card: card.version, default=None)
