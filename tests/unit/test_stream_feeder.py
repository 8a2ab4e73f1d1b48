"""The local feeder's event source mapping rules, over a stream held in memory: places per shard, parents
before children, filters, retries, halves and the dead-letter queue."""
from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any, List, Optional

import pytest

from local.streams import SourceFeeder
from stream_handlers.sources import StreamSource
from tests import stream_functions
from tests.unit.stream_fakes import FakeQueue, FakeStreams


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def stream() -> FakeStreams:
    fake = FakeStreams(f"feeder-{uuid.uuid4().hex[:8]}")
    fake.add_shard("shard-a")
    return fake


def feeder(stream: FakeStreams, function: str, clock: Clock, queue: Optional[FakeQueue] = None,
           backoff=(0.0,), **settings: Any) -> SourceFeeder:
    source = StreamSource(name="probe", handler=f"tests.stream_functions:{function}", **settings)
    return SourceFeeder(source, stream.arn, stream, queue or FakeQueue(), "queue-url", stage="test",
                        backoff=backoff, clock=clock)


def drive(*feeders: SourceFeeder, clock: Clock, rounds: int = 60, step: float = 0.1) -> None:
    for _ in range(rounds):
        for each in feeders:
            each.poll_once()
        clock.now = round(clock.now + step, 6)


def batches(function: str, stream: FakeStreams) -> List[List[str]]:
    """The sort keys of each batch the function was given."""
    table = stream.arn.split(":table/")[1].split("/")[0]
    return [[sk for sk, _ in batch] for batch in stream_functions.batches(function, table)]


def handled(function: str, stream: FakeStreams) -> List[str]:
    """The sort keys the function was given, batch after batch."""
    return [sk for batch in batches(function, stream) for sk in batch]


@pytest.fixture(autouse=True)
def no_poison():
    stream_functions.poison.clear()
    yield
    stream_functions.poison.clear()


def test_records_come_in_order_in_batches_and_filtered_ones_never_reach_the_function(stream):
    clock = Clock()
    expected = []
    for n in range(7):
        stream.put("shard-a", f"SLOT#{n}")
        expected.append(f"BLOCK#{n}")
        stream.put("shard-a", f"BLOCK#{n}")
    last = stream.put("shard-a", "SLOT#last")
    fed = feeder(stream, "steady", clock, batch_size=3)
    drive(fed, clock=clock)
    assert [len(batch) for batch in batches("steady", stream)] == [3, 3, 1]
    assert handled("steady", stream) == expected
    assert fed.checkpoint("shard-a") == last  # filtered records are passed, as Lambda does


def test_each_shard_keeps_its_own_place(stream):
    clock = Clock()
    stream.add_shard("shard-b")
    stream.put("shard-a", "BLOCK#a1")
    stream.put("shard-a", "BLOCK#poison")
    for n in range(5):
        last_b = stream.put("shard-b", f"BLOCK#b{n}")
    stream_functions.poison.add("BLOCK#poison")
    fed = feeder(stream, "raising", clock, backoff=(60.0,))
    drive(fed, clock=clock, rounds=20)
    assert fed.checkpoint("shard-b") == last_b
    assert fed.checkpoint("shard-a") is None  # its first batch failed and waits out its backoff
    assert [sk for sk in handled("raising", stream) if sk.startswith("BLOCK#b")] == [f"BLOCK#b{n}" for n in range(5)]


def test_a_child_shard_is_read_only_once_its_parent_is_read_to_its_end(stream):
    clock = Clock()
    stream.put("shard-a", "BLOCK#parent1")
    fed = feeder(stream, "steady", clock)
    drive(fed, clock=clock, rounds=3)
    stream.add_shard("shard-child", parent="shard-a")
    stream.put("shard-child", "BLOCK#child1")
    stream.put("shard-a", "BLOCK#parent2")
    fed.next_shard_check = 0.0
    drive(fed, clock=clock, rounds=5)
    assert handled("steady", stream) == ["BLOCK#parent1", "BLOCK#parent2"]  # the parent is still open
    stream.shards["shard-a"]["closed"] = True
    drive(fed, clock=clock, rounds=5)
    assert handled("steady", stream) == ["BLOCK#parent1", "BLOCK#parent2", "BLOCK#child1"]
    assert "shard-a" in fed.finished and "shard-a" not in fed.feeds


def test_a_poison_record_is_isolated_by_halves_and_parked_alone(stream):
    clock = Clock()
    queue = FakeQueue()
    sequences = [stream.put("shard-a", f"BLOCK#{n}") for n in range(10)]
    stream_functions.poison.add("BLOCK#6")
    fed = feeder(stream, "raising", clock, queue, batch_size=10, maximum_retry_attempts=3)
    drive(fed, clock=clock)
    given = handled("raising", stream)
    assert given[:10] == [f"BLOCK#{n}" for n in range(10)]  # the whole batch first
    assert given.count("BLOCK#6") == 4 + 4  # four halvings that held it, then 1 + 3 retries alone
    for n in set(range(10)) - {6}:
        assert f"BLOCK#{n}" in given
    [message] = queue.messages
    info = message["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (sequences[6],) * 2 + (1,)
    assert message["requestContext"]["approximateInvokeCount"] == 8
    assert message["responseContext"]["functionError"] == "Unhandled"
    assert message["requestContext"]["functionArn"].endswith(":function:marketplace-test-probe")
    assert fed.checkpoint("shard-a") == sequences[-1]


def test_without_bisection_the_whole_batch_is_retried_and_parked(stream):
    clock = Clock()
    queue = FakeQueue()
    sequences = [stream.put("shard-a", f"BLOCK#{n}") for n in range(4)]
    stream_functions.poison.add("BLOCK#1")
    fed = feeder(stream, "raising", clock, queue, bisect_on_error=False, maximum_retry_attempts=2)
    drive(fed, clock=clock)
    assert batches("raising", stream) == [[f"BLOCK#{n}" for n in range(4)]] * 3
    [message] = queue.messages
    info = message["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (sequences[0], sequences[-1], 4)


def test_a_partial_failure_moves_the_place_to_the_failed_record_and_retries_from_there(stream):
    clock = Clock()
    queue = FakeQueue()
    sequences = [stream.put("shard-a", f"BLOCK#{n}") for n in range(10)]
    stream_functions.poison.add("BLOCK#6")
    fed = feeder(stream, "partial", clock, queue, maximum_retry_attempts=2)
    drive(fed, clock=clock)
    assert batches("partial", stream) == [[f"BLOCK#{n}" for n in range(10)]] + [[f"BLOCK#{n}" for n in range(6, 10)]] * 2
    [message] = queue.messages
    info = message["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (sequences[6], sequences[9], 4)
    assert "functionError" not in message["responseContext"]
    assert fed.checkpoint("shard-a") == sequences[-1]


def test_retries_back_off_and_other_shards_go_on_meanwhile(stream):
    clock = Clock()
    stream.put("shard-a", "BLOCK#poison")
    stream_functions.poison.add("BLOCK#poison")
    fed = feeder(stream, "raising", clock, backoff=(0.5, 1.0, 2.0), maximum_retry_attempts=5)
    times = []
    for _ in range(60):
        before = len(handled("raising", stream))
        fed.poll_once()
        if len(handled("raising", stream)) > before:
            times.append(clock.now)
        clock.now = round(clock.now + 0.1, 6)
    assert times[:5] == [0.0, 0.5, 1.5, 3.5, 5.5]


def test_a_function_that_does_not_import_holds_its_records_until_it_does(stream):
    clock = Clock()
    queue = FakeQueue()
    stream.put("shard-a", "SLOT#1")
    stream.put("shard-a", "BLOCK#1")
    fed = feeder(stream, "steady", clock, queue)
    fed.source = replace(fed.source, handler="tests.no_such_module:handler")
    drive(fed, clock=clock, rounds=30)
    assert queue.messages == [] and handled("steady", stream) == []
    fed.source = replace(fed.source, handler="tests.stream_functions:steady")
    drive(fed, clock=clock, rounds=30)
    assert handled("steady", stream) == ["BLOCK#1"]
