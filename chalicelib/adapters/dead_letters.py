"""The stream functions' dead-letter queue: the on-failure message, a function run in-process, and the replay.

When a batch of stream records keeps failing, the event source mapping gives up after its retries and
sends its on-failure destination (the queue) where the batch lies in the stream, not the records. The
replay reads those records back from the stream and gives them to the function again; the stream keeps
records for 24 hours, so a message older than that can no longer be replayed.
"""
from __future__ import annotations

import importlib
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import stream_reader
from chalicelib.config import get_settings

ACCOUNT_ID = "123456789012"  # the account emulated AWS uses; a deployed mapping writes its own
FUNCTION_TIMEOUT_SECONDS = 60.0
# How long a message received for replay stays hidden from other readers while it is replayed.
REPLAY_VISIBILITY_SECONDS = 300


def function_name(stage: str, source_name: str) -> str:
    """The name of a source's function in a stage."""
    return f"marketplace-{stage}-{source_name}"


def function_arn(region: str, stage: str, source_name: str, account_id: str = ACCOUNT_ID) -> str:
    """The ARN of a source's function."""
    return f"arn:aws:lambda:{region}:{account_id}:function:{function_name(stage, source_name)}"


@dataclass
class InvocationContext:
    """What Lambda's context object offers that the functions, and Powertools' logger, read."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    timeout_seconds: float = FUNCTION_TIMEOUT_SECONDS
    started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{self.aws_request_id[:8]}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


def context_for(arn: str) -> InvocationContext:
    """A fresh context for one invocation of the function ``arn`` names."""
    return InvocationContext(function_name=arn.split(":function:")[1].split(":")[0], invoked_function_arn=arn)


def load_handler(handler: str) -> Callable[[Dict[str, Any], Any], Any]:
    """The function ``module:function`` names, imported now (so an edit or a new module is picked up)."""
    module, _, name = handler.partition(":")
    try:
        imported = importlib.import_module(module)
    except ImportError:
        importlib.invalidate_caches()  # a module written since the last look is found only then
        imported = importlib.import_module(module)
    return getattr(imported, name)


@dataclass(frozen=True)
class Outcome:
    """What one invocation came to: ``retry_from`` is the index of the first record to retry (None: all done)."""

    retry_from: Optional[int]
    error: Optional[str] = None  # the exception, when the function raised

    @property
    def ok(self) -> bool:
        return self.retry_from is None


def invoke(handler: Callable[[Dict[str, Any], Any], Any], records: Sequence[Mapping[str, Any]], context: Any) -> Outcome:
    """Call a stream function with a batch, as its event source mapping does, and read its answer."""
    try:
        response = handler({"Records": list(records)}, context)
    except Exception as error:  # noqa: BLE001 - a function error is an outcome, as in Lambda
        return Outcome(retry_from=0, error=f"{type(error).__name__}: {error}")
    return Outcome(retry_from=first_failure(response, records))


def first_failure(response: Any, records: Sequence[Mapping[str, Any]]) -> Optional[int]:
    """Where Lambda retries from after a partial batch response; None when it reports no failure.

    As Lambda: no list or an empty one is success; the lowest failed sequence number is the checkpoint; an
    identifier that is empty, missing or not in the batch fails the whole batch.
    """
    failures = response.get("batchItemFailures") if isinstance(response, Mapping) else None
    if not failures:
        return None
    positions = {record["dynamodb"]["SequenceNumber"]: index for index, record in enumerate(records)}
    found = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in positions:
            return 0
        found.append(positions[identifier])
    return min(found)


def _iso(moment: datetime, milliseconds: bool = False) -> str:
    text = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if milliseconds else "Z")


def _arrival(record: Mapping[str, Any]) -> str:
    return _iso(datetime.fromtimestamp(record["dynamodb"].get("ApproximateCreationDateTime", 0), timezone.utc))


def on_failure_message(
    records: Sequence[Mapping[str, Any]],
    shard_id: str,
    function: str,
    request_id: str,
    invoke_count: int,
    function_error: Optional[str] = "Unhandled",
) -> Dict[str, Any]:
    """The message an event source mapping sends its on-failure destination when a batch's retries ran out."""
    response_context: Dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response_context["functionError"] = function_error
    return {
        "version": "1.0",
        "timestamp": _iso(datetime.now(timezone.utc), milliseconds=True),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response_context,
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _arrival(records[0]),
            "approximateArrivalOfLastRecord": _arrival(records[-1]),
            "batchSize": len(records),
            "streamArn": records[0]["eventSourceARN"],
        },
    }


def source_of(arn: str, sources: Iterable[Any]) -> Any:
    """The source whose function the ARN names (its name ends in -<source name>); None if none does."""
    name = arn.split(":function:")[-1].split(":")[0]
    named = [source for source in sources if name.endswith(f"-{source.name}")]
    return max(named, key=lambda source: len(source.name)) if named else None


REPLAYED, WOULD_REPLAY, NOT_REPLAYED = "replayed", "would be replayed", "NOT replayed"


@dataclass
class Replayed:
    """What became of one dead-letter message; only a replayed one is deleted."""

    message_id: str
    source: str = "?"
    where: str = ""
    read: int = 0
    matched: int = 0
    outcome: str = NOT_REPLAYED
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != NOT_REPLAYED

    def line(self) -> str:
        """One line for the console."""
        where = f" {self.where}" if self.where else ""
        detail = f" ({self.detail})" if self.detail else ""
        return (f"{self.message_id}: {self.source}{where}: {self.read} read, {self.matched} for the function: "
                f"{self.outcome}{detail}")


def replay_message(body: str, message_id: str, sources: Iterable[Any], dry_run: bool = False,
                   streams: Any = None) -> Replayed:
    """Read a message's records back from the stream and give those its source's filters pass to its function."""
    result = Replayed(message_id=message_id)
    try:
        message = json.loads(body)
        info = message["DDBStreamBatchInfo"]
        arn = message["requestContext"]["functionArn"]
        start, end = info["startSequenceNumber"], info["endSequenceNumber"]
        shard, stream = info["shardId"], info["streamArn"]
    except (ValueError, KeyError, TypeError) as error:
        result.detail = f"not an on-failure message of a stream function: {type(error).__name__} {error}"
        return result
    result.where = f"{shard} {start}..{end}"
    source = source_of(arn, sources)
    if source is None:
        result.detail = f"no stream source runs the function {arn}"
        return result
    result.source = source.name
    try:
        records = stream_reader.read_range(stream, shard, start, end, streams=streams)
    except (ClientError, BotoCoreError) as error:
        result.detail = f"cannot read the stream: {error}"
        return result
    result.read = len(records)
    if not records:
        result.detail = "the records are no longer in the stream, which keeps them 24 hours"
        return result
    batch = [record for record in records if stream_reader.matches(record, source.filters)]
    result.matched = len(batch)
    if dry_run:
        result.outcome, result.detail = WOULD_REPLAY, "dry run: function not called, message kept"
        return result
    if batch:
        try:
            handler = load_handler(source.handler)
        except Exception as error:  # noqa: BLE001 - a function that does not load is a failed replay
            result.detail = f"cannot load {source.handler}: {type(error).__name__} {error}"
            return result
        outcome = invoke(handler, batch, context_for(arn))
        if not outcome.ok:
            first = batch[outcome.retry_from]["dynamodb"]["SequenceNumber"]
            result.detail = outcome.error or f"the function reported failures from record {first}"
            return result
    result.outcome = REPLAYED
    result.detail = "message deleted" if batch else "no record passes the filters now; message deleted"
    return result


def replay(
    queue_url: str,
    sources: Iterable[Any],
    max_messages: Optional[int] = None,
    dry_run: bool = False,
    sqs: Any = None,
    streams: Any = None,
    report: Callable[[Replayed], None] = lambda replayed: None,
    wait_seconds: Optional[int] = None,
) -> List[Replayed]:
    """Replay the queue's messages (at most ``max_messages``); each replayed one is deleted, the others kept."""
    sqs = sqs or stream_reader.client("sqs")
    sources = list(sources)
    if wait_seconds is None:
        # Emulated AWS answers one request at a time: a long poll there would stall every other caller.
        wait_seconds = 0 if get_settings().aws_endpoint_url else 2
    results: List[Replayed] = []
    kept: List[str] = []
    try:
        while max_messages is None or len(results) < max_messages:
            room = 10 if max_messages is None else min(10, max_messages - len(results))
            answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=room, WaitTimeSeconds=wait_seconds,
                                         VisibilityTimeout=REPLAY_VISIBILITY_SECONDS)
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                replayed = replay_message(message["Body"], message["MessageId"], sources, dry_run, streams)
                if replayed.outcome == REPLAYED:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                else:
                    kept.append(message["ReceiptHandle"])
                results.append(replayed)
                report(replayed)
    finally:
        # What was not replayed is visible again at once, for the next run.
        for handle in kept:
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return results
