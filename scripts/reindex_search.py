"""Rebuild the search index from the table into a new index, then swap the alias to it.

    python -m scripts.reindex_search [--env-file PATH]

Runs where a stage's settings are in the environment (the table, SEARCH_ENDPOINT, SEARCH_INDEX); --env-file
adds KEY=VALUE lines first (the local stack writes one). Readers keep the old index until the new one is
complete; stream writes reach both meanwhile. Prints what it did; exits 1 if the rebuild failed (the old
index then stays live).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional

from scripts.replay_dead_letters import read_env_file


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.reindex_search", description=__doc__.split("\n")[0])
    parser.add_argument("--env-file", type=Path, help="KEY=VALUE settings to add to the environment first")
    args = parser.parse_args(argv)
    if args.env_file:
        os.environ.update(read_env_file(args.env_file))

    from chalicelib.service.indexing import rebuild_index

    try:
        report = rebuild_index()
    except Exception as error:  # noqa: BLE001 - reported, and the exit status says it failed
        print(f"reindex failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    dropped = f", dropped {', '.join(report.dropped)}" if report.dropped else ""
    print(f"reindexed {report.providers} providers into {report.index} in {report.seconds}s{dropped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
