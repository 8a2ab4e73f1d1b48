"""Stand-in for the event source mappings of the deployed stack: the table's stream fed to the stream functions.

    python -m local.streams [--poll-every 0.3] [--source NAME ...]

One poller per source of stream_handlers/sources.py, each with its own place in every shard, as separate
mappings have: it reads from the oldest record (the table is new at every start), skips what the source's
filters reject (past it, as Lambda does), and calls ``module:function`` (imported at call time) with batches
of up to ``batch_size`` records. A partial batch response (``batchItemFailures``) moves the place up to the
first failed record and retries from there; a raised error retries the batch, split in halves first when
``bisect_on_error``. Retries back off; after ``maximum_retry_attempts`` the batch's place in the stream goes
to the dead-letter queue (the message an on-failure destination gets) and reading goes on. A function that
does not import yet holds its source where it is and is tried again. Shards that appear later are followed,
children after their parents. One log line per batch that did something. SIGTERM or SIGINT stops it.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import dead_letters, stream_reader
from chalicelib.adapters.stream_reader import AFTER_SEQUENCE_NUMBER, TRIM_HORIZON

log = logging.getLogger("local.streams")

POLL_EVERY = 0.3
BACKOFF = (0.5, 1.0, 2.0)
SHARDS_EVERY = 10.0  # how often the shard list is read again
IMPORT_RETRY = 2.0  # how soon a function that did not import is tried again
READ_ERROR_PAUSE = 1.0
MAX_PENDING = 2000  # records read ahead of the function, per shard


@dataclass
class Attempt:
    """The next batch of a shard to give the function: how many records, how often they failed and ran."""

    size: int
    retries: int = 0
    invocations: int = 0


@dataclass
class ShardFeed:
    """One source's reading of one shard: its place, the records read but not done, and its retries."""

    shard_id: str
    parent_id: Optional[str] = None
    iterator: Optional[str] = None
    last_read: Optional[str] = None
    checkpoint: Optional[str] = None  # the last record the source is done with (handled, filtered or parked)
    closed: bool = False  # a closed shard that has given its last record
    pending: Deque[Tuple[Dict[str, Any], bool]] = field(default_factory=deque)  # (event record, passes filters)
    plan: Deque[Attempt] = field(default_factory=deque)  # batches to try first, after a split or a partial failure
    failures_in_row: int = 0
    not_before: float = 0.0

    @property
    def finished(self) -> bool:
        return self.closed and not self.pending

    def matched(self, limit: int) -> List[Dict[str, Any]]:
        """The first ``limit`` pending records the filters pass."""
        batch = []
        for record, passes in self.pending:
            if len(batch) == limit:
                break
            if passes:
                batch.append(record)
        return batch

    def done_through(self, sequence_number: str) -> None:
        """Everything up to and including this record is done: drop it, move the checkpoint."""
        last = int(sequence_number)
        while self.pending and stream_reader.sequence(self.pending[0][0]) <= last:
            self.checkpoint = self.pending.popleft()[0]["dynamodb"]["SequenceNumber"]

    def skip_filtered(self) -> None:
        """Move past the records at the front that the filters reject."""
        while self.pending and not self.pending[0][1]:
            self.checkpoint = self.pending.popleft()[0]["dynamodb"]["SequenceNumber"]


class SourceFeeder:
    """The event source mapping of one source: polls every shard of the stream and calls the source's function."""

    def __init__(self, source: Any, stream_arn: str, streams: Any, sqs: Any = None, dead_letter_queue_url: str = "",
                 stage: str = "local", backoff: Sequence[float] = BACKOFF, shards_every: float = SHARDS_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.stream_arn = stream_arn
        self.streams = streams
        self.sqs = sqs
        self.dead_letter_queue_url = dead_letter_queue_url
        self.function_arn = dead_letters.function_arn(stream_reader.region_of(stream_arn), stage, source.name)
        self.backoff = tuple(backoff)
        self.shards_every = shards_every
        self.clock = clock
        self.feeds: Dict[str, ShardFeed] = {}  # shards being read, in the order they were listed
        self.finished: Dict[str, Optional[str]] = {}  # shards read to their end, and their last checkpoint
        self.next_shard_check = 0.0
        self.problems: Dict[str, str] = {}  # what is wrong now, by kind, as last logged

    # -- the loop ----------------------------------------------------------------------------
    def run(self, stop: threading.Event, every: float = POLL_EVERY) -> None:
        """Poll until ``stop`` is set; without a pause while there is work."""
        while not stop.is_set():
            try:
                moved = self.poll_once()
            except Exception as error:  # noqa: BLE001 - one bad round must not end the mapping
                if self.problems.get("round") != repr(error):
                    log.exception("%s: polling failed", self.source.name)
                    self.problems["round"] = repr(error)
                moved = False
            if not moved:
                stop.wait(every)

    def poll_once(self) -> bool:
        """One round over the shards: read, and give each ready shard at most one batch. True if anything moved."""
        now = self.clock()
        if now >= self.next_shard_check:
            self.refresh_shards()
            self.next_shard_check = now + self.shards_every
        moved = False
        for feed in list(self.feeds.values()):
            if feed.parent_id in self.feeds or self.clock() < feed.not_before:
                continue  # a child waits for its parent; a failing shard for its backoff
            moved |= self.read(feed)
            moved |= self.feed(feed)
            if feed.finished:
                del self.feeds[feed.shard_id]
                self.finished[feed.shard_id] = feed.checkpoint
                self.next_shard_check = 0.0  # its children may be listed by now
        return moved

    def checkpoint(self, shard_id: str) -> Optional[str]:
        """The last record of the shard this source is done with."""
        feed = self.feeds.get(shard_id)
        return feed.checkpoint if feed is not None else self.finished.get(shard_id)

    # -- shards ------------------------------------------------------------------------------
    def refresh_shards(self) -> None:
        """Start reading shards that appeared since the last look."""
        try:
            shards = stream_reader.list_shards(self.stream_arn, streams=self.streams)
        except (ClientError, BotoCoreError) as error:
            self.problem("shards", f"cannot list the stream's shards: {error}")
            return
        self.problems.pop("shards", None)
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self.feeds and shard_id not in self.finished:
                self.feeds[shard_id] = ShardFeed(shard_id, shard.get("ParentShardId"))

    # -- reading -----------------------------------------------------------------------------
    def read(self, feed: ShardFeed) -> bool:
        """Read the shard's next page, if there is room for it. True if records came."""
        if feed.closed or len(feed.pending) >= MAX_PENDING:
            return False
        try:
            if feed.iterator is None:
                feed.iterator = self.reposition(feed)
            records, next_iterator = stream_reader.get_records(feed.iterator, streams=self.streams)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("ExpiredIteratorException", "TrimmedDataAccessException"):
                feed.iterator = None  # taken again from where reading stands
                if code == "TrimmedDataAccessException":
                    log.warning("%s: shard %s trimmed past %s; reading from its oldest record",
                                self.source.name, feed.shard_id, feed.last_read)
                    feed.last_read = None
                return False
            return self.read_failed(feed, error)
        except BotoCoreError as error:
            return self.read_failed(feed, error)
        self.problems.pop("read", None)
        for record in records:
            event_record = stream_reader.event_record(record, self.stream_arn)
            feed.pending.append((event_record, stream_reader.matches(event_record, self.source.filters)))
            feed.last_read = record["dynamodb"]["SequenceNumber"]
        if next_iterator is None:
            feed.closed = True
        elif records:
            feed.iterator = next_iterator
        # else the same iterator serves the next poll: emulated AWS keeps every iterator it hands out.
        return bool(records)

    def reposition(self, feed: ShardFeed) -> str:
        """An iterator just after the last record read, or at the shard's oldest record."""
        if feed.last_read is None:
            return stream_reader.shard_iterator(self.stream_arn, feed.shard_id, TRIM_HORIZON, streams=self.streams)
        return stream_reader.shard_iterator(self.stream_arn, feed.shard_id, AFTER_SEQUENCE_NUMBER, feed.last_read,
                                            streams=self.streams)

    def read_failed(self, feed: ShardFeed, error: Exception) -> bool:
        self.problem("read", f"cannot read shard {feed.shard_id}: {error}")
        feed.not_before = self.clock() + READ_ERROR_PAUSE
        return False

    def problem(self, kind: str, text: str) -> None:
        """Log a problem once, not at every poll while it lasts."""
        if self.problems.get(kind) != text:
            log.warning("%s: %s", self.source.name, text)
            self.problems[kind] = text

    # -- batches -----------------------------------------------------------------------------
    def feed(self, feed: ShardFeed) -> bool:
        """Give the shard's next batch to the function and act on its answer. True if anything moved."""
        before = len(feed.pending)
        feed.skip_filtered()
        attempt = feed.plan[0] if feed.plan else Attempt(self.source.batch_size)
        batch = feed.matched(attempt.size)
        if not batch:
            return len(feed.pending) != before
        try:
            handler = dead_letters.load_handler(self.source.handler)
        except Exception as error:  # noqa: BLE001 - a function being written is waited for, not failed
            self.problem("import", f"cannot import {self.source.handler} ({type(error).__name__}: {error}); "
                                   "its records wait for it")
            feed.not_before = self.clock() + IMPORT_RETRY
            return len(feed.pending) != before
        if self.problems.pop("import", None):
            log.info("%s: %s imports now", self.source.name, self.source.handler)
        context = dead_letters.context_for(self.function_arn)
        outcome = dead_letters.invoke(handler, batch, context)
        attempt.invocations += 1
        if outcome.ok:
            feed.done_through(batch[-1]["dynamodb"]["SequenceNumber"])
            if feed.plan:
                feed.plan.popleft()
            feed.failures_in_row = 0
            self.say(feed, batch, "handled")
            return True
        self.failed(feed, attempt, batch, outcome, context.aws_request_id)
        return True

    def failed(self, feed: ShardFeed, attempt: Attempt, batch: List[Dict[str, Any]], outcome: dead_letters.Outcome,
               request_id: str) -> None:
        """Retry what failed (split or from the failed record), or park it in the dead-letter queue."""
        if not feed.plan:
            feed.plan.append(attempt)
        reason = outcome.error or f"failures reported from {batch[outcome.retry_from]['dynamodb']['SequenceNumber']}"
        if outcome.error is None and outcome.retry_from:
            reason = f"{outcome.retry_from} handled, {reason}"
            feed.done_through(batch[outcome.retry_from - 1]["dynamodb"]["SequenceNumber"])
        given, batch = batch, batch[outcome.retry_from:]
        attempt.size = len(batch)  # the retry is these records, not whatever has arrived since
        if outcome.error is not None and self.source.bisect_on_error and len(batch) > 1:
            half = (len(batch) + 1) // 2
            feed.plan.popleft()
            feed.plan.extendleft([Attempt(len(batch) - half, attempt.retries, attempt.invocations),
                                  Attempt(half, attempt.retries, attempt.invocations)])
            # A split is not a retry: Lambda does not count it against the retry attempts.
            self.say(feed, given, f"failed ({reason}); split into {half} + {len(batch) - half}", self.pause(feed))
            return
        attempt.retries += 1
        limit = self.source.maximum_retry_attempts
        if limit < 0 or attempt.retries <= limit:
            retry = f"retry {attempt.retries}/{limit}" + (f" of {len(batch)}" if len(batch) != len(given) else "")
            self.say(feed, given, f"failed ({reason}); {retry}", self.pause(feed))
            return
        message = dead_letters.on_failure_message(batch, feed.shard_id, self.function_arn, request_id,
                                                  attempt.invocations, "Unhandled" if outcome.error else None)
        if not self.park(feed, given, message, reason):
            attempt.retries -= 1  # tried again, and parked again, after the pause
            self.pause(feed)
            return
        feed.done_through(batch[-1]["dynamodb"]["SequenceNumber"])
        feed.plan.popleft()
        feed.failures_in_row = 0

    def park(self, feed: ShardFeed, batch: List[Dict[str, Any]], message: Dict[str, Any], reason: str) -> bool:
        """Send a batch's place in the stream to the dead-letter queue. False if it could not be sent."""
        info = message["DDBStreamBatchInfo"]
        span = f"{info['startSequenceNumber']}..{info['endSequenceNumber']}"
        if not self.dead_letter_queue_url:
            self.say(feed, batch, f"failed ({reason}); retries exhausted, no dead-letter queue: dropped {span}")
            return True
        try:
            self.sqs.send_message(QueueUrl=self.dead_letter_queue_url, MessageBody=json.dumps(message))
        except (ClientError, BotoCoreError) as error:
            self.problem("park", f"cannot send to the dead-letter queue: {error}")
            return False
        self.say(feed, batch, f"failed ({reason}); retries exhausted: {span} sent to the dead-letter queue")
        return True

    def pause(self, feed: ShardFeed) -> float:
        """Hold the shard back after a failure, longer each time in a row; returns the pause."""
        feed.failures_in_row += 1
        delay = self.backoff[min(feed.failures_in_row, len(self.backoff)) - 1] if self.backoff else 0.0
        feed.not_before = self.clock() + delay
        return delay

    def say(self, feed: ShardFeed, batch: List[Dict[str, Any]], what: str, retry_in: Optional[float] = None) -> None:
        """The one log line of a batch."""
        after = f" in {retry_in:g}s" if retry_in is not None else ""
        log.info("%s: %d record(s) of %s: %s%s", self.source.name, len(batch), feed.shard_id, what, after)


def wait_for_stream(stop: threading.Event) -> Optional[str]:
    """The table's stream ARN, once the table exists (None if stopped before)."""
    reported = False
    while not stop.is_set():
        try:
            return stream_reader.stream_arn()
        except (ClientError, BotoCoreError, LookupError) as error:
            if not reported:
                log.info("waiting for the table's stream: %s", error)
                reported = True
            stop.wait(1.0)
    return None


def main(argv: Optional[List[str]] = None) -> int:
    from chalicelib.config import get_settings
    from stream_handlers.sources import SOURCES

    parser = argparse.ArgumentParser(prog="python -m local.streams", description=__doc__.split("\n")[0])
    parser.add_argument("--poll-every", type=float, default=POLL_EVERY, help="seconds between idle polls")
    parser.add_argument("--source", action="append", choices=[source.name for source in SOURCES],
                        help="feed only this source (repeatable; default all)")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    settings = get_settings()
    arn = wait_for_stream(stop)
    if arn is None:
        return 0
    streams, sqs = stream_reader.client("dynamodbstreams"), stream_reader.client("sqs")
    sources = [source for source in SOURCES if not args.source or source.name in args.source]
    if not settings.stream_dead_letter_queue_url:
        log.warning("no STREAM_DEAD_LETTER_QUEUE_URL: batches whose retries run out are dropped")
    log.info("feeding %s to %s", arn, ", ".join(f"{source.name} ({source.handler})" for source in sources))
    threads = []
    for source in sources:
        feeder = SourceFeeder(source, arn, streams, sqs, settings.stream_dead_letter_queue_url, settings.stage)
        thread = threading.Thread(target=feeder.run, args=(stop, args.poll_every), name=f"feed-{source.name}")
        thread.start()
        threads.append(thread)
    while any(thread.is_alive() for thread in threads) and not stop.is_set():
        stop.wait(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    log.info("stream feeder stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
