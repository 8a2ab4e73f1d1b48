"""One TransactWriteItems call whose cancellation reasons come back named by the caller's labels."""
from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters import dynamo, limits
from chalicelib.adapters.budget import budget_left
from chalicelib.domain.errors import TryAgain

MAX_ITEMS = 100
# Cancelled because another transaction touched the same items: the conditions must be read anew.
CONFLICT_ATTEMPTS = 3
# Reasons DynamoDB gives for an item when the service, not the condition, refused the transaction.
BUSY_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"})
_OPERATION_ORDER = ("check", "delete", "put", "update")
# The label of the request's write charge when a transaction carries it.
WRITE_CHARGE = "write-charge"


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
        """The item as it was when its condition failed (raw attributes), if DynamoDB sent it."""
        return self.reasons.get(label, ("", None))[1]


class TransactionFailed(Exception):
    """The transaction was canceled; nothing of it was written."""

    def __init__(self, failure: Failure):
        super().__init__(str(failure.reasons))
        self.failure = failure


class Transaction:
    """Collects labelled operations, then commits them in one TransactWriteItems call.

    `intent` names the one logical change this is (e.g. "cancel:<booking>:v3"): the ClientRequestToken is
    derived from it, so a resend after a lost response is recognised by DynamoDB as already done instead of
    failing its own conditions. An intent must therefore be unique to the change (carry an id or a version).
    """

    def __init__(self, intent: str) -> None:
        self.intent = intent
        self._ops: Dict[str, List[Tuple[str, Callable[[TransactWrite], None]]]] = {
            kind: [] for kind in _OPERATION_ORDER}

    def __len__(self) -> int:
        return sum(len(ops) for ops in self._ops.values())

    def check(self, label: str, model_cls, hash_key: str, range_key: str, condition) -> None:
        """Require a condition of an item the transaction does not write."""
        self._ops["check"].append((label, lambda t: t.condition_check(model_cls, hash_key, range_key, condition)))

    def delete(self, label: str, item, condition=None) -> None:
        """Delete an item (if the condition holds)."""
        self._ops["delete"].append((label, lambda t: t.delete(item, condition=condition)))

    def put(self, label: str, item, condition=None) -> None:
        """Write a whole item (if the condition holds)."""
        self._ops["put"].append((label, lambda t: t.save(item, condition=condition, return_values="ALL_OLD")))

    def update(self, label: str, item, actions, condition=None) -> None:
        """Change attributes of an item (if the condition holds)."""
        self._ops["update"].append(
            (label, lambda t: t.update(item, actions=actions, condition=condition, return_values="ALL_OLD")))

    def token(self, attempt: int = 0) -> str:
        """The ClientRequestToken of one attempt (at most 36 characters)."""
        return hashlib.sha256(f"{self.intent}#{attempt}".encode()).hexdigest()[:36]

    def commit(self) -> None:
        """Write all or nothing; raise TransactionFailed with named reasons, TryAgain when busy.

        When the request armed its write charge (adapters/limits.py), the first transaction carries it: a spent
        rate cancels everything and raises the charge's refusal.
        """
        charge = limits.take_armed() if len(self) < MAX_ITEMS else None
        if charge is not None:
            charge.add_to(self, WRITE_CHARGE)
        try:
            self._commit()
        except TransactionFailed as failed:
            if charge is not None and WRITE_CHARGE in failed.failure.failed(WRITE_CHARGE):
                raise charge.refusal from failed
            if charge is not None:
                limits.put_back(charge)
            raise
        except BaseException:
            if charge is not None:
                limits.put_back(charge)
            raise
        finally:
            if charge is not None:
                self._ops["update"] = [op for op in self._ops["update"] if op[0] != WRITE_CHARGE]

    def _commit(self) -> None:
        if len(self) > MAX_ITEMS:
            raise ValueError(f"a transaction takes at most {MAX_ITEMS} items, not {len(self)}")
        # PynamoDB sends condition checks, deletes, puts and updates in that order.
        labels = [label for kind in _OPERATION_ORDER for label, _ in self._ops[kind]]
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                with TransactWrite(connection=dynamo.table_connection().connection,
                                   client_request_token=self.token(attempt)) as tx:
                    for kind in _OPERATION_ORDER:
                        for _, add in self._ops[kind]:
                            add(tx)
                return
            except TransactWriteError as error:
                failure = Failure({
                    label: (reason.code, reason.raw_item)
                    for label, reason in zip(labels, error.cancellation_reasons or []) if reason is not None
                })
                if failure.failed():
                    raise TransactionFailed(failure) from error
                if error.cause_response_code == "IdempotentParameterMismatchException":
                    # The same change was sent with other content at the same moment: a concurrent twin.
                    raise TransactionFailed(Failure({"*": ("TransactionConflict", None)})) from error
                if any(code in BUSY_REASONS for code, _ in failure.reasons.values()):
                    raise TryAgain() from error
                if not failure.conflicted():
                    raise
                if attempt == CONFLICT_ATTEMPTS - 1:
                    raise TransactionFailed(failure) from error
            # A new attempt is a new request (its conditions are evaluated anew), so it gets a new token.
            time.sleep(random.uniform(0, 0.02 * (2 ** attempt)))
            if not budget_left():
                raise TryAgain()
