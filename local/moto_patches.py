"""Faster TransactWriteItems and Query for moto 5.2.5, with the same semantics, and ClientRequestToken.

moto's Query sorts every item of the table to find one partition, and its TransactWriteItems
deep-copies the whole table once per transaction item so it can roll back; with a table of
tens of thousands of slot items every transaction then takes seconds. DynamoDB evaluates every
condition against the state before the transaction, and one transaction never names an item
twice, so checking all conditions first and then applying the writes is equivalent; only the
items about to change are copied, for the rare failure while applying.

Items, stream records and shard iterators are left out of moto's register of every instance it made
(the source of its /moto-api/data.json state document), which otherwise grows with every write.

GetRecords answers are written with json.dumps: moto's model-driven serializer spent about 0.8 ms a
record walking each image's shape, so the local stream feeder, reading every slot write of the seed
once per stream function, took as long as the seed's own writes. The answers of the reads that return
items (Query, Scan, GetItem, BatchGetItem) are written the same way: the serializer took 1-3 s for a
7-day availability lookup's 400-odd slot items, most of the lookup's time.
"""
from __future__ import annotations

import contextvars
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
from moto.dynamodb.models.table import Table

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


# While a Query runs: the partition it reads (table queries), or "any order" (index queries).
_query_scope: contextvars.ContextVar = contextvars.ContextVar("moto_query_scope", default=None)
_ANY_ORDER = object()
_original_query = Table.query
_original_all_items = Table.all_items


def _query(self: Table, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
           projection_expressions, index_name=None, *args, **kwargs):
    """moto's Query, shown only the queried partition (it sorts what it finds itself)."""
    scope = _ANY_ORDER if index_name or hash_key is None else hash_key
    token = _query_scope.set(scope)
    try:
        return _original_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                               scan_index_forward, projection_expressions, index_name, *args, **kwargs)
    finally:
        _query_scope.reset(token)


def _all_items(self: Table):
    scope = _query_scope.get()
    if scope is None:
        return _original_all_items(self)
    if scope is _ANY_ORDER:
        return [item for partition in self.items.values()
                for item in (partition.values() if self.range_key_attr else [partition])]
    partition = self.items.get(scope)
    if partition is None:
        return []
    return list(partition.values()) if self.range_key_attr else [partition]


def apply() -> None:
    """Install the faster operations into moto's DynamoDB backend (idempotent)."""
    DynamoDBBackend.transact_write_items = transact_write_items
    Table.query = _query
    Table.all_items = _all_items
    _apply_token_support()
    _stop_tracking_records()
    _apply_fast_get_records()
    _apply_fast_item_reads()


class _KeepNothing(list):
    """An instance register that registers nothing."""

    def append(self, instance: Any) -> None:
        pass


def _stop_tracking_records() -> None:
    """moto registers every model instance it makes, for its state document (/moto-api/data.json): every
    version of every item written, every stream record and every shard iterator. Over a seeded stack that is
    over 100,000 objects kept for good, and a state document that takes seconds to build while the server's
    one lock is held. The e-mails and messages that document is read for are other models, still registered."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamRecord
    from moto.dynamodbstreams.models import ShardIterator

    for model in (Item, StreamRecord, ShardIterator):
        model.instances_tracked = _KeepNothing()  # type: ignore[attr-defined]


# ClientRequestToken: DynamoDB treats a TransactWriteItems resent with the same token (and the same items)
# within 10 minutes as already done; with other items it answers IdempotentParameterMismatchException.
# moto ignores the token, so a resend after a lost response would fail its own conditions here only.
TOKEN_WINDOW_SECONDS = 600
_tokens: Dict[str, Tuple[str, float]] = {}
_original_handler = None


def _transact_write_items_with_token(self):
    import json
    import time

    from moto.core.responses import ActionResult
    from moto.dynamodb.exceptions import DynamodbException

    token = self.body.get("ClientRequestToken")
    if not token:
        return _original_handler(self)
    fingerprint = json.dumps(self.body.get("TransactItems"), sort_keys=True)
    now = time.monotonic()
    for stale in [t for t, (_, at) in _tokens.items() if now - at > TOKEN_WINDOW_SECONDS]:
        del _tokens[stale]
    seen = _tokens.get(token)
    if seen is not None:
        if seen[0] != fingerprint:
            raise DynamodbException("com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                                    "The request uses the same client token as a previous, but non-identical request.")
        return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
    answer = _original_handler(self)
    _tokens[token] = (fingerprint, now)
    return answer


def _apply_token_support() -> None:
    global _original_handler
    from moto.dynamodb.responses import DynamoHandler

    if _original_handler is None:
        _original_handler = DynamoHandler.transact_write_items
        DynamoHandler.transact_write_items = _transact_write_items_with_token


def _epoch_seconds(value: Any) -> float:
    import calendar
    from datetime import datetime

    if isinstance(value, datetime):
        # moto stamps records with a naive UTC time; the service's JSON answers carry epoch seconds.
        return calendar.timegm(value.utctimetuple()) + value.microsecond / 1e6
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _get_records_as_json(self) -> str:
    import json

    limit = self._get_param("Limit") or 1000
    return json.dumps(self.backend.get_records(self._get_param("ShardIterator"), limit), default=_epoch_seconds)


def _apply_fast_get_records() -> None:
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    DynamoDBStreamsHandler.get_records = _get_records_as_json


#: The reads whose answers are items (and counts and keys): their results are already DynamoDB's wire JSON.
_ITEM_READS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})
_original_execute_result = None


def _wire_value(value: Any) -> Any:
    import base64

    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"not an item value: {type(value).__name__}")


def _item_read_as_json(self, context):
    """An item read's answer as json.dumps writes it; anything else (or anything unusual) as moto would."""
    import json
    import uuid
    from email.utils import formatdate

    if context.operation_model.name not in _ITEM_READS:
        return _original_execute_result(self, context)
    try:
        body = json.dumps(self.result, default=_wire_value, separators=(",", ":"))
    except TypeError:
        return _original_execute_result(self, context)
    headers = {"Content-Type": "application/x-amz-json-1.0", "server": "amazon.com",
               "date": formatdate(usegmt=True), "x-amzn-requestid": uuid.uuid4().hex.upper()}
    return 200, headers, body


def _apply_fast_item_reads() -> None:
    global _original_execute_result
    from moto.dynamodb.responses import DynamoResult

    if _original_execute_result is None:
        _original_execute_result = DynamoResult.execute_result
        DynamoResult.execute_result = _item_read_as_json
