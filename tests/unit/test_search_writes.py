"""The index's writes: one bulk request per write_documents() call, split only by size."""
from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
from opensearchpy.serializer import JSONSerializer

from chalicelib.adapters import search


class FakeEngine:
    """Takes bulk requests and keeps every write; records each request body."""

    def __init__(self) -> None:
        self.requests: List[str] = []
        self.transport = type("Transport", (), {"serializer": JSONSerializer()})()

    def bulk(self, *args: Any, body: str, **kwargs: Any) -> Dict[str, Any]:
        self.requests.append(body)
        actions = [json.loads(line) for line in body.splitlines()[::2]]
        return {"errors": False, "items": [{next(iter(a)): {"status": 201}} for a in actions]}


@pytest.fixture()
def engine(monkeypatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(search, "_client", fake)
    return fake


def changes(count: int, description: str = "") -> list:
    return [(f"p{i}", {"provider_id": f"p{i}", "description": description}, 7) for i in range(count)]


def test_one_call_is_one_bulk_request_however_many_writes(engine):
    # Given 1,200 changes for one index (the client library alone would send three requests)
    # When they are written; Then one request carries all of them, each at its external version
    assert search.write_documents(changes(1200), ["providers-1"]) == 1200
    assert len(engine.requests) == 1
    first = json.loads(engine.requests[0].splitlines()[0])
    assert first == {"index": {"_index": "providers-1", "_id": "p0", "version": 7, "version_type": "external"}}


def test_a_call_too_large_for_one_request_is_split_by_size(engine):
    # Given 1,200 documents of about 10 KB each: 12 MB in all, over the 10 MiB a request may carry
    assert search.write_documents(changes(1200, "x" * 10_000), ["providers-1"]) == 1200
    # Then two requests, each within the limit, carry them all
    assert len(engine.requests) == 2
    assert all(len(body.encode()) <= search.BULK_MAX_BYTES for body in engine.requests)
    assert sum(len(body.splitlines()) // 2 for body in engine.requests) == 1200
