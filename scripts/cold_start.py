"""Cold start of each Lambda entry point against `import boto3`, each import in a fresh interpreter.

    python -m scripts.cold_start [--runs 9] [--json build/cold_start.json] [--max-ratio 1.5]
    python -m scripts.cold_start --importtime app [--top 25]

Every run starts one interpreter per module, in shuffled order, and times the import alone (not the
interpreter's own start-up). The environment is the one a deployed function of --stage has: the
variables .chalice/config.json gives that stage, what Lambda itself sets, dummy ids for the table
and the user pool, and nothing from this shell. Reported per module: the best and the median run,
and the ratio to `import boto3` as best over best and as the median of the ratios within a run.

Both clocks are recorded; ratios use --clock. `cpu` (the default) is the process's CPU time: an
import is CPU work, so on a quiet machine it matches the wall clock, and on a busy one other
processes barely move it. `wall` is what a caller waits, and what other processes disturb.

"first request traced" adds what the first request pays where tracing is on (Powertools' rule: in
Lambda and POWERTOOLS_TRACE_DISABLED unset): the X-Ray SDK and its patches. "first database request"
adds what the first request that reads or writes DynamoDB pays: the adapters, imported on first use,
and the process's one client. "stream function, first record" is the same for the heaviest stream
function, whose handlers import the stream adapter and their service on the first record. These three are
reported, not checked against --max-ratio.

`python -m bench.cold_start` (part of `make bench`) runs the same measurement as a benchmark part.

--importtime MODULE runs `python -X importtime` and lists what MODULE loads beyond `import boto3`,
grouped by the project module that imports it: where a lazy import would pay off.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "boto3"
# Every Lambda entry point: the API, and each module of scheduled/ and stream_handlers/ (sources.py is settings).
ENTRY_POINTS = ("app", *sorted(f"{package}.{path.stem}" for package in ("scheduled", "stream_handlers")
                               for path in (ROOT / package).glob("*.py") if path.stem not in ("__init__", "sources")))
PROJECT_PACKAGES = ("app", "chalicelib", "scheduled", "stream_handlers")
TRACED = "app, first request traced"
FIRST_DATA = "app, first database request"
FIRST_RECORD = "stream function, first record"
CLIENT_BASELINE = "boto3 + a DynamoDB client"
STATEMENTS = {
    **{module: f"import {module}" for module in (BASELINE, *ENTRY_POINTS)},
    TRACED: "import app; from chalicelib.observability import start_tracing; start_tracing()",
    # What a cold booking or availability request adds to the import: the adapters (PynamoDB, botocore)
    # and the one DynamoDB client, built on first use.
    # What any function that talks to DynamoDB pays at least: the fair baseline of the row above.
    CLIENT_BASELINE: "import boto3; boto3.client('dynamodb')",
    FIRST_DATA: ("import app; import chalicelib.adapters.bookings, chalicelib.adapters.slots; "
                 "from chalicelib.adapters import dynamo; dynamo.client()"),
    # What the first record of a stream function adds to its import: the stream adapter, the service and the
    # client, which the handlers import on first use (the heaviest of the three functions).
    FIRST_RECORD: ("import stream_handlers.notifications; import chalicelib.adapters.stream, "
                   "chalicelib.service.notifications; from chalicelib.adapters import dynamo; dynamo.client()"),
}
#: The extras, each with the baseline it is compared with; reported, not checked against a goal.
EXTRAS = {TRACED: BASELINE, FIRST_DATA: CLIENT_BASELINE, FIRST_RECORD: CLIENT_BASELINE}
TIMER = ("import time; w, c = time.perf_counter(), time.process_time(); {statement}; "
         "print(time.perf_counter() - w, time.process_time() - c)")
CLOCKS = ("cpu", "wall")


def lambda_environment(stage: str) -> Dict[str, str]:
    """The environment a deployed function of `stage` starts with (dummy ids and credentials)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    if stage not in config.get("stages", {}):
        raise SystemExit(f"no stage {stage!r} in .chalice/config.json")
    region = "eu-west-1"
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    env = {
        # What Lambda sets for every function.
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{python}",
        "AWS_LAMBDA_FUNCTION_NAME": f"marketplace-{stage}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE00",
        "AWS_SECRET_ACCESS_KEY": "example",
        "AWS_SESSION_TOKEN": "example",
        # What the deployment gives the functions.
        "TABLE_NAME": f"marketplace-{stage}",
        "USER_POOL_ID": f"{region}_EXAMPLE00",
        "USER_POOL_CLIENT_ID": "exampleclientid0000000000",
        # Required by some functions outside the local stage (chalicelib/config.py, FUNCTION_REQUIRES).
        "SEARCH_ENDPOINT": f"https://search-marketplace-{stage}-example.{region}.es.amazonaws.com",
        "EMAIL_FROM": "bookings@marketplace.example",
        "STREAM_DEAD_LETTER_QUEUE_URL": f"https://sqs.{region}.amazonaws.com/123456789012/marketplace-{stage}-dlq",
    }
    env.update(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    if "PATH" in os.environ:
        env["PATH"] = os.environ["PATH"]
    return env


def time_import(python: str, statement: str, env: Dict[str, str]) -> Dict[str, float]:
    """Milliseconds `statement` takes in a fresh interpreter, by each clock."""
    result = subprocess.run(
        [python, "-c", TIMER.format(statement=statement)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"`{statement}` failed:\n{result.stderr.strip()}")
    wall, cpu = result.stdout.strip().splitlines()[-1].split()
    return {"wall": 1000 * float(wall), "cpu": 1000 * float(cpu)}


@dataclass
class Figures:
    """One module's runs by one clock, in milliseconds, and their ratios to the baseline's runs."""

    runs: List[float]
    ratios: List[float]

    def summary(self, baseline_best: float) -> Dict[str, float]:
        """Best, median, and the two ratios, rounded for reading."""
        best = min(self.runs)
        return {
            "best_ms": round(best, 1),
            "median_ms": round(statistics.median(self.runs), 1),
            "ratio_best": round(best / baseline_best, 2),
            "ratio_median": round(statistics.median(self.ratios), 2),
        }


def measure(python: str, env: Dict[str, str], runs: int, names: List[str],
            warm_up: bool = True) -> Dict[str, Dict[str, Figures]]:
    """Time every statement `runs` times, interleaved in a fresh random order each run: clock -> name -> figures."""
    if warm_up:  # not counted: one interpreter running every statement writes the project's .pyc files
        time_import(python, "; ".join(STATEMENTS[name] for name in names), env)
    figures = {clock: {name: Figures([], []) for name in names} for clock in CLOCKS}
    for run in range(runs):
        order = random.sample(names, len(names))
        took = {name: time_import(python, STATEMENTS[name], env) for name in order}
        for clock in CLOCKS:
            for name in names:
                figures[clock][name].runs.append(took[name][clock])
                figures[clock][name].ratios.append(took[name][clock] / took[BASELINE][clock])
        print(f"  run {run + 1}/{runs} (cpu/wall ms): "
              + ", ".join(f"{n} {took[n]['cpu']:.0f}/{took[n]['wall']:.0f}" for n in names), file=sys.stderr)
    return figures


def against(figures: Dict[str, Figures], name: str, baseline: str) -> Dict[str, float]:
    """`name` against `baseline` by one clock: best over best, and the median of the ratios within a run."""
    runs, base = figures[name].runs, figures[baseline].runs
    return {"ratio_best": round(min(runs) / min(base), 2),
            "ratio_median": round(statistics.median(r / b for r, b in zip(runs, base)), 2)}


# -- -X importtime ----------------------------------------------------------------------------
@dataclass
class Imported:
    """One line of -X importtime: a module, its own time in microseconds, its depth in the tree."""

    name: str
    self_us: int
    depth: int
    parent: Optional[int] = None


def import_tree(python: str, statement: str, env: Dict[str, str]) -> List[Imported]:
    """The modules `statement` imports, each with its importer (the index of its parent)."""
    result = subprocess.run(
        [python, "-X", "importtime", "-c", statement],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"`{statement}` failed:\n{result.stderr.strip()}")
    modules: List[Imported] = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = line.split(":", 1)[1].split("|")
        modules.append(Imported(name.strip(), int(own), (len(name) - len(name.lstrip()) - 1) // 2))
    # importtime prints a module after everything it imported, one level deeper.
    open_parents: Dict[int, int] = {}
    for index in range(len(modules) - 1, -1, -1):
        module = modules[index]
        module.parent = open_parents.get(module.depth - 1)
        open_parents[module.depth] = index
        for deeper in [d for d in open_parents if d > module.depth]:
            del open_parents[deeper]
    return modules


def is_project(name: str) -> bool:
    return name.split(".")[0] in PROJECT_PACKAGES


def beyond_baseline(python: str, module: str, env: Dict[str, str], repeat: int) -> List[Tuple[str, str, float]]:
    """(project module, what it imports, ms) for what `module` loads beyond boto3, the costliest first."""
    baseline = {m.name for m in import_tree(python, "import boto3", env)}
    best_self: Dict[str, int] = {}
    tree: List[Imported] = []
    for _ in range(repeat):
        tree = import_tree(python, f"import {module}", env)
        for m in tree:
            best_self[m.name] = min(best_self.get(m.name, m.self_us), m.self_us)
    costs: Dict[Tuple[str, str], float] = defaultdict(float)
    for m in tree:
        if m.name in baseline:
            continue
        if is_project(m.name):
            key = (m.name, "(its own code)")
        else:
            # Climb to the nearest project module; remember the package it imported directly.
            child, node = m, m.parent
            while node is not None and not is_project(tree[node].name):
                child, node = tree[node], tree[node].parent
            importer = tree[node].name if node is not None else "(interpreter)"
            key = (importer, child.name.split(".")[0])
        costs[key] += best_self[m.name] / 1000
    return sorted(((p, what, ms) for (p, what), ms in costs.items()), key=lambda row: -row[2])


# -- main -------------------------------------------------------------------------------------
def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.cold_start", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per module (default 9)")
    parser.add_argument("--stage", default="dev", help="the .chalice/config.json stage to imitate (default dev)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure (default this one)")
    parser.add_argument("--clock", choices=CLOCKS, default="cpu", help="the clock of the ratios (default cpu)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures here as JSON")
    parser.add_argument("--max-ratio", type=float, help="exit 1 when an entry point's best ratio exceeds this")
    parser.add_argument("--no-tracing", action="store_true", help=f"skip the '{TRACED}' figure")
    parser.add_argument("--importtime", metavar="MODULE", help="list what MODULE imports beyond boto3, by importer")
    parser.add_argument("--top", type=int, default=25, help="with --importtime: how many rows (default 25)")
    args = parser.parse_args(argv)
    env = lambda_environment(args.stage)

    if args.importtime:
        rows = beyond_baseline(args.python, args.importtime, env, repeat=3)
        total = sum(ms for _, _, ms in rows)
        print(f"`import {args.importtime}` beyond `import boto3`: {total:.0f} ms of -X importtime self time "
              f"(best of 3; importtime itself inflates), stage {args.stage}\n")
        print(f"{'ms':>7}  {'importer':<34} imports")
        for importer, what, ms in rows[: args.top]:
            print(f"{ms:7.1f}  {importer:<34} {what}")
        return 0

    names = [BASELINE, *ENTRY_POINTS, CLIENT_BASELINE, FIRST_DATA, FIRST_RECORD] + ([] if args.no_tracing else [TRACED])
    print(f"cold start, stage {args.stage}, {args.runs} runs of each in fresh interpreters ...", file=sys.stderr)
    figures = measure(args.python, env, args.runs, names)
    by_clock = {
        clock: {name: figures[clock][name].summary(min(figures[clock][BASELINE].runs)) for name in names}
        for clock in CLOCKS
    }
    results = by_clock[args.clock]
    other = "wall" if args.clock == "cpu" else "cpu"

    print(f"\n{args.clock} time, best and median of {args.runs} runs ({other} best for comparison)")
    print(f"{'import':<30} {'best ms':>8} {'median ms':>10} {other + ' best':>10} {'x boto3 (best)':>15}"
          f" {'x boto3 (median of runs)':>25}")
    for name in names:
        r = results[name]
        print(f"{name:<30} {r['best_ms']:8.1f} {r['median_ms']:10.1f} {by_clock[other][name]['best_ms']:10.1f}"
              f" {r['ratio_best']:15.2f} {r['ratio_median']:25.2f}")

    first_request = against(figures[args.clock], FIRST_DATA, CLIENT_BASELINE)["ratio_best"]
    print(f"\nfirst database request against a bare function with a DynamoDB client: {first_request:.2f}x")
    first_record = against(figures[args.clock], FIRST_RECORD, CLIENT_BASELINE)["ratio_best"]
    print(f"a stream function's first record against a bare function with a DynamoDB client: {first_record:.2f}x")

    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "python": platform.python_version(),
            "stage": args.stage,
            "runs": args.runs,
            "method": "import time in a fresh interpreter, interleaved in random order; "
                      "ratio_best = best / best of boto3, ratio_median = median of per-run ratios",
            "clock": args.clock,
            "environment": sorted(k for k in env if k != "PATH"),
            "baseline": BASELINE,
            "results": results,
            "first_database_request_ratio": first_request,
            "first_stream_record_ratio": first_record,
            "by_clock": by_clock,
        }, indent=2) + "\n")
        print(f"\nwritten to {path}")

    if args.max_ratio is not None:
        over = [n for n in ENTRY_POINTS if results[n]["ratio_best"] > args.max_ratio]
        if over:
            print(f"\nover {args.max_ratio}x boto3: {', '.join(over)}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
