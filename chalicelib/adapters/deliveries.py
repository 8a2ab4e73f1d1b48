"""Claims on deliveries (e-mail, push, SMS): what makes a side effect outside the table happen once."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from pynamodb.exceptions import DeleteError, DoesNotExist

from chalicelib.adapters.models import DeliveryItem
from chalicelib.domain.timegrid import format_utc

SENDING, SENT = "SENDING", "SENT"
CLAIMED, ALREADY_SENT, BUSY = "claimed", "sent", "busy"
# Longer than any stream retry, bisection and dead-letter replay (SQS keeps a message 14 days at most).
KEEP_SECONDS = 15 * 86400
CONDITION_FAILED = "ConditionalCheckFailedException"


def claim(delivery_id: str, now: datetime, lease_seconds: int) -> str:
    """Take the delivery for `lease_seconds`: CLAIMED, ALREADY_SENT, or BUSY (another worker holds it)."""
    epoch = int(now.timestamp())
    item = DeliveryItem(*DeliveryItem.key(delivery_id), state=SENDING, lease_until=epoch + lease_seconds,
                        updated_at=format_utc(now), ttl=epoch + KEEP_SECONDS)
    # A lapsed lease means its worker died mid-send: the delivery is free to take again.
    if item.save_if(DeliveryItem.pk.does_not_exist()
                    | ((DeliveryItem.state == SENDING) & (DeliveryItem.lease_until < epoch))):
        return CLAIMED
    state = _state(delivery_id)
    return ALREADY_SENT if state == SENT else BUSY


def _state(delivery_id: str) -> Optional[str]:
    try:
        return DeliveryItem.get(*DeliveryItem.key(delivery_id), consistent_read=True).state
    except DoesNotExist:
        return None


def mark_sent(delivery_id: str, now: datetime) -> None:
    """Record that the delivery went out."""
    DeliveryItem(*DeliveryItem.key(delivery_id)).update(
        actions=[DeliveryItem.state.set(SENT), DeliveryItem.updated_at.set(format_utc(now))])


def release(delivery_id: str) -> None:
    """Give up a claim whose send failed, so that the retry may take it at once."""
    try:
        DeliveryItem(*DeliveryItem.key(delivery_id)).delete(condition=DeliveryItem.state == SENDING)
    except DeleteError as error:
        if error.cause_response_code != CONDITION_FAILED:
            raise
