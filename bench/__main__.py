"""make bench: every benchmark part side by side, one table, bench/results.json.

    python -m bench                      # every part, about 8 minutes on 2 cores
    python -m bench --only availability,writes
    python -m bench --quick              # smaller runs (figures not for the record)

Each part runs in a process of its own (its imports, its emulator, its environment), one after another so
that they never share the CPU; see docs/performance.md for what each measures.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from bench.common import ROOT, Part, load_average, machine, read_part

#: The parts, in the order they run (the cheap ones first).
PARTS = ("cold_start", "availability", "writes", "roll", "contention", "search")
DEFAULT_JSON = ROOT / "bench" / "results.json"


def run_part(name: str, quick: bool, directory: Path) -> Part:
    out = directory / f"{name}.json"
    argv = [sys.executable, "-m", f"bench.{name}", "--part", str(out)] + (["--quick"] if quick else [])
    started = time.monotonic()
    print(f"== {name}", flush=True)
    result = subprocess.run(argv, cwd=ROOT)
    if not out.exists():
        raise SystemExit(f"bench.{name} wrote no result (exit {result.returncode})")
    part = read_part(out)
    part.details["seconds"] = round(time.monotonic() - started, 1)
    return part


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help=f"comma-separated parts (default: all of {', '.join(PARTS)})")
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a check rather than the record")
    parser.add_argument("--json", default=str(DEFAULT_JSON.relative_to(ROOT)), help="where the figures go")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",")] if args.only else list(PARTS)
    unknown = [name for name in names if name not in PARTS]
    if unknown:
        parser.error(f"unknown parts {unknown}; the parts are {', '.join(PARTS)}")

    started = time.monotonic()
    load_at_start = load_average()
    with tempfile.TemporaryDirectory() as directory:
        parts = [run_part(name, args.quick, Path(directory)) for name in names]
    result = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "load_average": {"at_start": load_at_start, "at_end": load_average()},
        "quick": args.quick,
        "seconds": round(time.monotonic() - started, 1),
    }
    goals = {}
    for part in parts:
        result.update(part.figures)
        goals.update({key: list(goal) for key, goal in part.goals.items()})
    result["goals"] = goals
    result["parts"] = {part.name: {"rows": part.rows, "details": part.details} for part in parts}
    missed = [miss for part in parts for miss in part.misses()]
    result["goals_missed"] = missed

    print(f"\nbench, {result['machine']['cpu_count']} CPUs ({result['machine']['cpu_model']}), "
          f"Python {result['machine']['python']}, {result['seconds']:.0f} s, load {load_at_start} -> "
          f"{result['load_average']['at_end']}")
    for part in parts:
        print(f"\n{part.name} ({part.details.get('seconds', 0):.0f} s)")
        for what, figure in part.rows:
            print(f"  {what:<58} {figure}")
    print("\ngoals:")
    for part in parts:
        for key, (comparison, target) in part.goals.items():
            value = part.figures.get(key)
            mark = "met   " if not [m for m in part.misses() if m.startswith(key + " ")] else "MISSED"
            print(f"  {mark} {key} = {value} (goal {comparison} {target:g})")
    Path(args.json).write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\nwrote {args.json}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
