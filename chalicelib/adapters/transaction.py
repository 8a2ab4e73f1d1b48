"""One TransactWriteItems call whose cancellation reasons come back named by the caller's labels."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.models import _Meta
from chalicelib.domain.errors import TryAgain

# Error codes that mean "busy, nothing was written": retry, then answer 503.
THROTTLING_CODES = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}
MAX_ITEMS = 100

_connection: Optional[Connection] = None


def connection() -> Connection:
    """The shared low-level PynamoDB connection for transactions."""
    global _connection
    if _connection is None:
        _connection = Connection(region=_Meta.region, host=_Meta.host,
                                 max_retry_attempts=_Meta.max_retry_attempts)
    return _connection


@dataclass
class Failure:
    """Why a transaction was canceled: label -> (code, old item as raw attributes or None)."""

    reasons: Dict[str, Tuple[str, Optional[Dict[str, Any]]]] = field(default_factory=dict)

    def failed(self, prefix: str = "") -> List[str]:
        """Labels (starting with prefix) whose condition did not hold."""
        return [label for label, (code, _) in self.reasons.items()
                if code == "ConditionalCheckFailed" and label.startswith(prefix)]

    def conflicted(self) -> List[str]:
        """Labels another transaction was changing at the same moment."""
        return [label for label, (code, _) in self.reasons.items() if code == "TransactionConflict"]

    def old_item(self, label: str) -> Optional[Dict[str, Any]]:
        return self.reasons.get(label, ("", None))[1]


class TransactionFailed(Exception):
    """The transaction was canceled; nothing of it was written."""

    def __init__(self, failure: Failure):
        super().__init__(str(failure.reasons))
        self.failure = failure


class Transaction:
    """Collects labelled operations, then commits them in one TransactWriteItems call."""

    def __init__(self) -> None:
        self._ops: Dict[str, List[Tuple[str, Callable[[TransactWrite], None]]]] = {
            "check": [], "delete": [], "put": [], "update": []}

    def __len__(self) -> int:
        return sum(len(ops) for ops in self._ops.values())

    def check(self, label: str, model_cls, hash_key: str, range_key: str, condition) -> None:
        self._ops["check"].append((label, lambda t: t.condition_check(model_cls, hash_key, range_key, condition)))

    def delete(self, label: str, item, condition=None) -> None:
        self._ops["delete"].append((label, lambda t: t.delete(item, condition=condition)))

    def put(self, label: str, item, condition=None) -> None:
        self._ops["put"].append((label, lambda t: t.save(item, condition=condition, return_values="ALL_OLD")))

    def update(self, label: str, item, actions, condition=None) -> None:
        self._ops["update"].append(
            (label, lambda t: t.update(item, actions=actions, condition=condition, return_values="ALL_OLD")))

    def commit(self, attempts: int = 3) -> None:
        """Write all or nothing; raise TransactionFailed with named reasons, TryAgain when busy."""
        if len(self) > MAX_ITEMS:
            raise ValueError(f"a transaction takes at most {MAX_ITEMS} items, not {len(self)}")
        # PynamoDB sends condition checks, deletes, puts and updates in that order.
        labels = [label for kind in ("check", "delete", "put", "update") for label, _ in self._ops[kind]]
        for attempt in range(attempts):
            try:
                with TransactWrite(connection=connection()) as tx:
                    for kind in ("check", "delete", "put", "update"):
                        for _, add in self._ops[kind]:
                            add(tx)
                return
            except TransactWriteError as error:
                failure = Failure({
                    label: (reason.code, reason.raw_item)
                    for label, reason in zip(labels, error.cancellation_reasons) if reason is not None
                })
                if failure.failed():
                    raise TransactionFailed(failure) from error
                if not failure.reasons and error.cause_response_code not in THROTTLING_CODES:
                    raise
                if attempt == attempts - 1:
                    if failure.conflicted():
                        raise TransactionFailed(failure) from error
                    raise TryAgain() from error
            _backoff(attempt)


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.02 * (2 ** attempt)))


def is_throttling(error: BaseException) -> bool:
    """Whether a PynamoDB error means the database is busy rather than the request wrong."""
    if isinstance(error, PynamoDBException):
        return error.cause_response_code in THROTTLING_CODES
    return False
