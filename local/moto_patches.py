"""A faster TransactWriteItems for moto 5.2.5, with the same semantics.

moto deep-copies the whole table once per transaction item so it can roll back; with a table of
tens of thousands of slot items every transaction then takes seconds. DynamoDB evaluates every
condition against the state before the transaction, and one transaction never names an item
twice, so checking all conditions first and then applying the writes is equivalent; only the
items about to change are copied, for the rare failure while applying.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Tuple

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend

_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}


def _key(backend: DynamoDBBackend, op_type: str, op: Dict[str, Any]) -> Dict[str, Any]:
    if op_type != "Put":
        return op["Key"]
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def transact_write_items(self: DynamoDBBackend, transact_items: List[Dict[str, Any]]) -> None:
    """Check every condition, then write every item; cancel with per-item reasons like DynamoDB."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen = set()
    reasons: List[Tuple[Optional[str], Optional[str], Optional[Dict[str, Any]]]] = []
    planned = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in _OPERATIONS:
            reasons.append(("ValueError", "Unsupported transaction operation", None))
            continue
        table_name = op["TableName"]
        key = _key(self, op_type, op)
        identity = (str(table_name), str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        current = self.get_item(table_name, key)
        condition = op.get("ConditionExpression")
        if condition is not None and not get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")).expr(current):
            old = None
            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                old = current.to_json()["Attributes"]
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
            continue
        reasons.append((None, None, None))
        planned.append((op_type, op, table_name, key, copy.deepcopy(current)))
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)

    applied = []
    try:
        for op_type, op, table_name, key, before in planned:
            names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(table_name, op["Item"], expression_attribute_names=names,
                              expression_attribute_values=values)
            elif op_type == "Delete":
                self.delete_item(table_name, key, expression_attribute_names=names,
                                 expression_attribute_values=values)
            elif op_type == "Update":
                self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                                 expression_attribute_names=names, expression_attribute_values=values)
            applied.append((table_name, key, before))
    except (MultipleTransactionsException, MockValidationException):
        _undo(self, applied)
        raise


def _undo(backend: DynamoDBBackend, applied) -> None:
    for table_name, key, before in reversed(applied):
        if before is None:
            backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, before.to_json()["Attributes"])


def apply() -> None:
    """Install the faster transaction into moto's DynamoDB backend (idempotent)."""
    DynamoDBBackend.transact_write_items = transact_write_items
