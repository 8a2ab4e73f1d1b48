"""Check the table's invariants and report every violation.

Slots, holds and bookings must agree, and committed bookings must have their audit records and inbox entries
(docs/operations.md lists the rules).

    python -m scripts.check_invariants [--segments 4] [--settle-seconds 300] [--consistent] [--json FILE]
                                       [--env-file PATH]

Runs where a stage's settings are in the environment (TABLE_NAME, the region, AWS_ENDPOINT_URL where AWS is
emulated); --env-file adds KEY=VALUE lines first (the local stack writes one). Read-only: a parallel Scan of
the whole table, then an atomic re-read of the items of each violation found (docs/operations.md says what
it costs). Prints the totals, the count of each kind and every violation; --json writes the same as JSON.
Exits 1 if any violation is found, 2 if the table could not be read.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

from scripts.replay_dead_letters import read_env_file


#: One thread each; the process's one client keeps 64 connections.
MAX_SEGMENTS = 64


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None


def _segments(text: str) -> int:
    value = _whole(text)
    if not 1 <= value <= MAX_SEGMENTS:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_SEGMENTS}")
    return value


def _not_negative(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.check_invariants", description=__doc__.split("\n")[0])
    parser.add_argument("--segments", type=_segments, default=4,
                        help=f"parallel scan segments, one thread each (1 to {MAX_SEGMENTS}); default 4")
    parser.add_argument("--settle-seconds", type=_not_negative, default=300,
                        help="booking events newer than this are not yet required to have their audit records and "
                             "inbox entries; default 300")
    parser.add_argument("--consistent", action="store_true", help="strongly consistent reads (twice the capacity)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON to FILE")
    parser.add_argument("--env-file", type=Path, help="KEY=VALUE settings to add to the environment first")
    args = parser.parse_args(argv)
    if args.env_file:
        os.environ.update(read_env_file(args.env_file))

    from chalicelib.service.invariants import check_table, summary

    try:
        result = check_table(segments=args.segments, settle_seconds=args.settle_seconds,
                             consistent_read=args.consistent)
    except Exception as error:  # noqa: BLE001 - reported, and the exit status says it failed
        print(f"check failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    for line in summary(result):
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    return 1 if result.report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
