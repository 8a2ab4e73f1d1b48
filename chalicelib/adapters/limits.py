"""Per-user counters of writes, one item per user and UTC minute."""
from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.models import WriteCountItem


def charge_write(user_id: str, window: str, limit: int, ttl: int) -> bool:
    """Count one write of the user in the window if fewer than `limit` are counted; False (nothing counted) if not."""
    try:
        WriteCountItem(*WriteCountItem.key(user_id, window)).update(
            actions=[WriteCountItem.n.add(1), WriteCountItem.ttl.set(ttl)],
            condition=WriteCountItem.n.does_not_exist() | (WriteCountItem.n < limit))
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
