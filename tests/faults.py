"""Faults injected into the process's one DynamoDB client, at the botocore level, for tests.

`FaultInjector` hooks the client's `before-send` event (first in line, before anything that would answer the
request), so every layer above it — botocore's retries, the TransactionConflict loop, the services, the API —
sees exactly what it would see from DynamoDB or the network:

- ``throttle``: a canned 400 ThrottlingException; nothing was written.
- ``conflict``: a canned TransactionCanceledException whose reasons name one item TransactionConflict
  (TransactWriteItems only); nothing was written.
- ``timeout``: ReadTimeoutError or ConnectTimeoutError raised without sending; nothing was written.
- ``lost``: the request is sent for real (it commits), then ReadTimeoutError is raised: the response is lost.

Deterministic for a seed when calls come in a deterministic order; `injected` counts what was done by kind.
"""
from __future__ import annotations

import json
import random
import threading
from collections import Counter
from typing import Any, Dict, Iterable, Optional, Sequence

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

KINDS = ("throttle", "conflict", "timeout", "lost")
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
_PREFIX = "com.amazonaws.dynamodb.v20120810#"


class _Raw:
    """The raw body of a canned response, as botocore reads it."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterable[bytes]:
        yield self._body


def canned(status: int, body: Dict[str, Any], url: str = "http://faults.invalid/") -> AWSResponse:
    """An HTTP response as DynamoDB sends it (JSON 1.0)."""
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected-fault"}
    return AWSResponse(url, status, headers, _Raw(json.dumps(body).encode()))


def throttling_response(url: str) -> AWSResponse:
    """A 400 ThrottlingException."""
    return canned(400, {"__type": _PREFIX + "ThrottlingException", "message": "Rate of requests exceeds the allowed "
                        "throughput (injected)"}, url)


def conflict_response(url: str, items: int, conflicted: int) -> AWSResponse:
    """A TransactionCanceledException naming item `conflicted` of `items` TransactionConflict."""
    reasons = [{"Code": "None"} for _ in range(items)]
    reasons[conflicted] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
    codes = ", ".join(reason["Code"] for reason in reasons)
    return canned(400, {"__type": _PREFIX + "TransactionCanceledException", "CancellationReasons": reasons,
                        "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons "
                                   f"[{codes}]"}, url)


class FaultInjector:
    """Injects faults into a botocore client's requests at `rate`, of `kinds`, for `operations` (None: all), at most
    `limit` of them (None: no limit)."""

    def __init__(self, client: Any, rate: float, kinds: Sequence[str] = KINDS, seed: int = 0,
                 operations: Optional[Iterable[str]] = None, limit: Optional[int] = None) -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {KINDS}")
        self.client = client
        self.rate = rate
        self.kinds = tuple(kinds)
        self.operations = None if operations is None else frozenset(operations)
        self.limit = limit
        self.injected: Counter = Counter()
        self.requests = 0
        self.enabled = True
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._inside = threading.local()

    def __enter__(self) -> FaultInjector:
        self.client.meta.events.register_first("before-send.dynamodb", self._before_send,
                                               unique_id=f"fault-injector-{id(self)}")
        return self

    def __exit__(self, *_: Any) -> None:
        self.client.meta.events.unregister("before-send.dynamodb", unique_id=f"fault-injector-{id(self)}")

    @property
    def total(self) -> int:
        """How many faults were injected, all kinds together."""
        return sum(self.injected.values())

    def _choose(self, operation: str) -> Optional[str]:
        """The fault for this request, or None; drawn under a lock, so one seed gives one sequence of draws."""
        kinds = [kind for kind in self.kinds
                 if (kind != "conflict" or operation == "TransactWriteItems")
                 and (kind != "lost" or operation in WRITES)]
        with self._lock:
            self.requests += 1
            if not self.enabled or not kinds or (self.operations is not None and operation not in self.operations):
                return None
            if self.limit is not None and self.total >= self.limit:
                return None
            if self._random.random() >= self.rate:
                return None
            kind = self._random.choice(kinds)
            self.injected[kind] += 1
            return kind

    def _before_send(self, request: Any, event_name: str = "", **_: Any) -> Optional[AWSResponse]:
        if getattr(self._inside, "sending", False):
            return None  # the real send of a "lost" request passes through
        operation = event_name.rsplit(".", 1)[-1]
        kind = self._choose(operation)
        if kind is None:
            return None
        if kind in ("throttle", "conflict"):
            url = request.url
            # Every before-send handler runs: in-process moto's would also carry the request out. An address of
            # no AWS service makes it pass, so the canned answer is all that happens, as with DynamoDB's refusal.
            request.url = "http://injected-fault.invalid/"
            if kind == "throttle":
                return throttling_response(url)
            items = len(json.loads(request.body)["TransactItems"])
            with self._lock:
                conflicted = self._random.randrange(items)
            return conflict_response(url, items, conflicted)
        if kind == "timeout":
            with self._lock:
                connect = self._random.random() < 0.5
            raise (ConnectTimeoutError if connect else ReadTimeoutError)(endpoint_url=request.url)
        self._send_for_real(request, event_name)
        raise ReadTimeoutError(endpoint_url=request.url)

    def _send_for_real(self, request: Any, event_name: str) -> None:
        """Deliver the request the way the client would (to moto in-process or over HTTP); drop the answer."""
        self._inside.sending = True
        try:
            responses = self.client.meta.events.emit(event_name, request=request)
            answered = next((response for _, response in responses if response is not None), None)
            if answered is None:
                self.client._endpoint.http_session.send(request)
        finally:
            self._inside.sending = False
