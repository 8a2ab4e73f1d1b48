"""Per-user counters of writes, one item per user and UTC minute.

A change that commits a transaction carries its own count in that transaction (`arm`, then the request's
first `Transaction.commit` adds the counter's update): the booking and its charge are one write call, and
a spent rate cancels the whole transaction. Other changes are counted on their own (`charge_write`).
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Optional

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.models import WriteCountItem


def _counting(limit: int, ttl: int):
    """The counter's update and its condition: add one while fewer than `limit` are counted."""
    return ([WriteCountItem.n.add(1), WriteCountItem.ttl.set(ttl)],
            WriteCountItem.n.does_not_exist() | (WriteCountItem.n < limit))


def charge_write(user_id: str, window: str, limit: int, ttl: int) -> bool:
    """Count one write of the user in the window if fewer than `limit` are counted; False (nothing counted) if not."""
    actions, condition = _counting(limit, ttl)
    try:
        WriteCountItem(*WriteCountItem.key(user_id, window)).update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


@dataclass
class ArmedCharge:
    """This request's count, waiting for the request's first transaction to carry it."""

    user_id: str
    window: str
    limit: int
    ttl: int
    refusal: Exception  # raised when the transaction is cancelled because the rate is spent

    def add_to(self, transaction, label: str) -> None:
        """Add the counter's update to a transaction."""
        actions, condition = _counting(self.limit, self.ttl)
        transaction.update(label, WriteCountItem(*WriteCountItem.key(self.user_id, self.window)), actions, condition)


# Per request: the API's route wrapper arms and disarms it around the handler (threads and contexts keep
# their own value, so concurrent requests never see each other's).
_armed: ContextVar[Optional[ArmedCharge]] = ContextVar("armed_write_charge", default=None)


def arm(user_id: str, window: str, limit: int, ttl: int, refusal: Exception) -> None:
    """Let this request's first committed transaction count its write."""
    _armed.set(ArmedCharge(user_id, window, limit, ttl, refusal))


def take_armed() -> Optional[ArmedCharge]:
    """The armed charge, for a transaction to carry (None when there is none or one carried it already)."""
    charge = _armed.get()
    _armed.set(None)
    return charge


def put_back(charge: ArmedCharge) -> None:
    """A transaction that carried the charge did not commit: the charge waits for the next one."""
    _armed.set(charge)


def disarm() -> bool:
    """End this request's charge; True when no transaction carried it (the caller counts it on its own)."""
    charge = _armed.get()
    _armed.set(None)
    return charge is not None
