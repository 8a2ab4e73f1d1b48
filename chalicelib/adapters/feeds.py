"""The secret of each provider's calendar feed (PROVIDER#id / CALENDAR_FEED)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.models import CalendarFeedItem
from chalicelib.domain.timegrid import format_utc



def get_feed_secret(provider_id: str) -> Optional[str]:
    """The provider's current feed secret, or None before the first one."""
    try:
        return CalendarFeedItem.get(*CalendarFeedItem.key(provider_id), consistent_read=True).secret
    except DoesNotExist:
        return None


def create_feed_secret(provider_id: str, secret: str, now: datetime) -> str:
    """Store the provider's first feed secret unless one exists; the secret that is stored either way."""
    item = CalendarFeedItem(*CalendarFeedItem.key(provider_id), secret=secret, rotated_at=format_utc(now))
    if item.save_if(CalendarFeedItem.pk.does_not_exist()):
        return secret
    existing = get_feed_secret(provider_id)
    if existing is None:  # deleted between the two requests; never left without a secret
        return create_feed_secret(provider_id, secret, now)
    return existing


def rotate_feed_secret(provider_id: str, secret: str, now: datetime) -> None:
    """Replace the provider's feed secret (or store its first); the old one stops working at once."""
    CalendarFeedItem(*CalendarFeedItem.key(provider_id), secret=secret, rotated_at=format_utc(now)).save()
