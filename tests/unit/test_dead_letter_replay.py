"""The dead-letter replay over a stream and a queue held in memory: what is deleted, what is kept, and why."""
from __future__ import annotations

import json
from typing import List

import pytest

from chalicelib.adapters import dead_letters, stream_reader
from scripts import replay_dead_letters
from stream_handlers.sources import StreamSource
from tests import stream_functions
from tests.unit.stream_fakes import FakeQueue, FakeStreams

SOURCES = [StreamSource("probe", "tests.stream_functions:raising"), StreamSource("other", "tests.stream_functions:steady")]
FUNCTION = dead_letters.function_arn("eu-west-1", "test", "probe")


@pytest.fixture()
def stream() -> FakeStreams:
    fake = FakeStreams("replay-table")
    fake.add_shard("shard-a")
    return fake


@pytest.fixture(autouse=True)
def no_poison():
    stream_functions.poison.clear()
    yield
    stream_functions.poison.clear()


def park(queue: FakeQueue, stream: FakeStreams, sort_keys: List[str], function: str = FUNCTION) -> None:
    """Put the records in the stream and a message about them in the queue, as the feeder would."""
    sequences = [stream.put("shard-a", sk) for sk in sort_keys]
    records = stream_reader.read_range(stream.arn, "shard-a", sequences[0], sequences[-1], streams=stream)
    queue.send_message("dlq", json.dumps(dead_letters.on_failure_message(records, "shard-a", function, "r", 4)))


def replay(queue: FakeQueue, stream: FakeStreams, **options) -> List[dead_letters.Replayed]:
    return dead_letters.replay("dlq", SOURCES, sqs=queue, streams=stream, wait_seconds=0, **options)


def test_a_replayed_message_is_deleted_and_only_its_records_are_given(stream):
    queue = FakeQueue()
    stream.put("shard-a", "BLOCK#before")
    park(queue, stream, ["BLOCK#1", "SLOT#1", "BLOCK#2"])
    stream.put("shard-a", "BLOCK#after")
    [result] = replay(queue, stream)
    assert result.ok and (result.source, result.read, result.matched) == ("probe", 3, 2)
    assert stream_functions.batches("raising", "replay-table")[-1] == [
        ("BLOCK#1", str(stream.next_sequence - 3)), ("BLOCK#2", str(stream.next_sequence - 1))]
    assert queue.messages == [] and len(queue.deleted) == 1


def test_a_message_whose_function_still_fails_is_kept_and_visible_again(stream):
    queue = FakeQueue()
    park(queue, stream, ["BLOCK#poison"])
    stream_functions.poison.add("BLOCK#poison")
    [result] = replay(queue, stream)
    assert not result.ok and "ValueError: poison" in result.detail
    assert len(queue.messages) == 1 and not queue.hidden


def test_a_dry_run_calls_nothing_and_keeps_everything(stream):
    queue = FakeQueue()
    park(queue, stream, ["BLOCK#dry"])
    [result] = replay(queue, stream, dry_run=True)
    assert result.ok and result.outcome == dead_letters.WOULD_REPLAY and result.matched == 1
    assert ("BLOCK#dry", str(stream.next_sequence)) not in sum(stream_functions.batches("raising", "replay-table"), [])
    assert len(queue.messages) == 1 and not queue.hidden


def test_at_most_max_messages_are_replayed(stream):
    queue = FakeQueue()
    for n in range(3):
        park(queue, stream, [f"BLOCK#{n}"])
    assert len(replay(queue, stream, max_messages=2)) == 2
    assert len(queue.messages) == 1


def test_records_no_longer_in_the_stream_cannot_be_replayed(stream):
    queue = FakeQueue()
    park(queue, stream, ["BLOCK#old"])
    stream.trimmed = True
    [result] = replay(queue, stream)
    assert not result.ok and "TrimmedDataAccessException" in result.detail
    assert len(queue.messages) == 1


def test_a_function_no_source_runs_is_not_replayed(stream):
    queue = FakeQueue()
    park(queue, stream, ["BLOCK#1"], function="arn:aws:lambda:eu-west-1:1:function:marketplace-test-unknown")
    [result] = replay(queue, stream)
    assert not result.ok and "no stream source" in result.detail


def test_a_message_that_is_not_an_on_failure_message_is_kept(stream):
    queue = FakeQueue()
    queue.send_message("dlq", "not json")
    queue.send_message("dlq", json.dumps({"version": "1.0"}))
    results = replay(queue, stream)
    assert [result.ok for result in results] == [False, False] and len(queue.bodies) == 2


def test_records_the_filters_now_reject_need_no_function(stream):
    queue = FakeQueue()
    park(queue, stream, ["SLOT#1"])
    [result] = replay(queue, stream)
    assert result.ok and result.matched == 0 and queue.messages == []


def test_the_command_exits_1_when_a_message_was_not_replayed(monkeypatch, capsys):
    results = [dead_letters.Replayed("m1", outcome=dead_letters.REPLAYED), dead_letters.Replayed("m2")]
    monkeypatch.setattr(dead_letters, "replay", lambda *args, **kwargs: results)
    assert replay_dead_letters.main(["--queue-url", "http://queue"]) == 1
    assert "2 message(s): 1 ok, 1 not replayed" in capsys.readouterr().out
    results.pop()
    assert replay_dead_letters.main(["--queue-url", "http://queue"]) == 0


def test_the_command_needs_a_queue(monkeypatch, capsys):
    from chalicelib.config import get_settings

    monkeypatch.delenv("STREAM_DEAD_LETTER_QUEUE_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert replay_dead_letters.main([]) == 2
    finally:
        get_settings.cache_clear()


def test_the_env_file_is_read_as_key_value_lines(tmp_path):
    path = tmp_path / "environment"
    path.write_text("# the local stack\nSTAGE=local\n\nSTREAM_DEAD_LETTER_QUEUE_URL=http://h:1/1/q=x\n")
    assert replay_dead_letters.read_env_file(path) == {"STAGE": "local",
                                                       "STREAM_DEAD_LETTER_QUEUE_URL": "http://h:1/1/q=x"}


def test_the_command_says_when_the_queue_cannot_be_reached(monkeypatch, capsys):
    from botocore.exceptions import EndpointConnectionError

    def unreachable(*args, **kwargs):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")

    monkeypatch.setattr(dead_letters, "replay", unreachable)
    assert replay_dead_letters.main(["--queue-url", "http://queue"]) == 1
    assert "cannot use the queue" in capsys.readouterr().err
