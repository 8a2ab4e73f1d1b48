"""Replay the stream records whose batches were parked in the dead-letter queue.

    python -m scripts.replay_dead_letters [--queue-url URL] [--max N] [--dry-run] [--env-file PATH]

Runs where a stage's settings are in the environment (the table's region and endpoint, the settings the
stream functions read); --env-file adds KEY=VALUE lines to it first (the local stack writes one). Each
message says which function gave up on which records of which shard: they are read back from the stream,
the source's filters applied, and the function (found by the -<source name> its name ends in) is called
with them in this process. A message is deleted only when the function reports no failure; the others are
left in the queue and visible again at once. The stream keeps records 24 hours: replay within that time.
Prints one line per message; exits 1 if any could not be replayed.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional


def read_env_file(path: Path) -> Dict[str, str]:
    """The KEY=VALUE lines of a file; blank lines and # comments skipped."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.replay_dead_letters",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--queue-url", help="the dead-letter queue (default STREAM_DEAD_LETTER_QUEUE_URL)")
    parser.add_argument("--max", type=int, metavar="N", help="replay at most N messages")
    parser.add_argument("--dry-run", action="store_true", help="read and report, call nothing, delete nothing")
    parser.add_argument("--env-file", type=Path, help="KEY=VALUE settings to add to the environment first")
    args = parser.parse_args(argv)
    if args.env_file:
        os.environ.update(read_env_file(args.env_file))

    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.adapters import dead_letters
    from chalicelib.config import get_settings
    from stream_handlers.sources import SOURCES

    queue_url = args.queue_url or get_settings().stream_dead_letter_queue_url
    if not queue_url:
        print("no queue: pass --queue-url or set STREAM_DEAD_LETTER_QUEUE_URL", file=sys.stderr)
        return 2
    print(f"replaying {queue_url}{' (dry run)' if args.dry_run else ''}")
    try:
        results = dead_letters.replay(queue_url, SOURCES, max_messages=args.max, dry_run=args.dry_run,
                                      report=lambda replayed: print(replayed.line(), flush=True))
    except (BotoCoreError, ClientError) as error:
        print(f"cannot use the queue: {error}", file=sys.stderr)
        return 1
    failed = sum(not result.ok for result in results)
    print(f"{len(results)} message(s): {len(results) - failed} ok, {failed} not replayed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
