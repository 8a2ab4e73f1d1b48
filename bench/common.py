"""What every benchmark part shares: its result's shape, the machine, a serialised moto server, call counts.

A part is a module ``bench.<name>`` with ``measure(quick: bool) -> Part``; ``python -m bench.<name>`` runs it
alone (``part_main``), and ``python -m bench`` (``make bench``) runs every part, each in a process of its own,
and merges their figures into bench/results.json.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import sys
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent

#: A goal: (comparison, target); comparison is one of "<=", ">=", "==".
Goal = Tuple[str, float]


@dataclass
class Part:
    """One part's outcome: top-level figures of results.json, their goals, lines for the table, the rest."""

    name: str
    figures: Dict[str, Any]
    goals: Dict[str, Goal] = field(default_factory=dict)
    rows: List[Tuple[str, str]] = field(default_factory=list)  # (what, figure as text)
    details: Dict[str, Any] = field(default_factory=dict)

    def misses(self) -> List[str]:
        """The goals this part's figures do not meet, as text."""
        missed = []
        for key, (comparison, target) in self.goals.items():
            value = self.figures.get(key)
            if not meets(value, comparison, target):
                missed.append(f"{key} = {value} (goal {comparison} {target})")
        return missed


def meets(value: Any, comparison: str, target: float) -> bool:
    """Whether ``value`` meets ``comparison target``; a missing value never does."""
    if value is None:
        return False
    return {"<=": value <= target, ">=": value >= target, "==": value == target}[comparison]


def machine() -> Dict[str, Any]:
    """What the run ran on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {"cpu_count": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}"}


def load_average() -> Optional[List[float]]:
    """The 1, 5 and 15 minute load averages (other work on the machine moves the figures)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> Dict[str, float]:
    """n, p50, p95, p99 and mean of durations in seconds, as milliseconds."""
    if not seconds:
        return {"n": 0}
    ms = [value * 1000 for value in seconds]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 3), "p95_ms": round(percentile(ms, 0.95), 3),
            "p99_ms": round(percentile(ms, 0.99), 3), "mean_ms": round(statistics.fmean(ms), 3)}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serialised_moto() -> Iterator[str]:
    """The local stack's moto server (every request serialised, decision 0003) on a free port; its URL."""
    from local.moto_server import serialised_moto as started

    try:
        with started() as url:
            yield url
    except RuntimeError as error:
        raise SystemExit(str(error)) from None


class CallCounter:
    """Counts AWS API calls made in this process, by (service, operation): boto3's and PynamoDB's alike.

    Both end in botocore's ``BaseClient._make_api_call``; while counting, that method is wrapped. Only the
    calls of threads that started counting are counted unless ``all_threads``.
    """

    def __init__(self, all_threads: bool = True) -> None:
        self.calls: Counter = Counter()
        self.all_threads = all_threads
        self._lock = threading.Lock()
        self._original: Optional[Callable[..., Any]] = None
        self.consumed: List[Dict[str, Any]] = []  # ConsumedCapacity entries the answers carried

    def __enter__(self) -> "CallCounter":
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        counter = self

        def counted(client: Any, operation_name: str, api_params: Dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            with counter._lock:
                counter.calls[(service, operation_name)] += 1
            answer = original(client, operation_name, api_params)
            capacity = answer.get("ConsumedCapacity") if isinstance(answer, dict) else None
            if capacity:
                with counter._lock:
                    counter.consumed.extend(capacity if isinstance(capacity, list) else [capacity])
            return answer

        BaseClient._make_api_call = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: Any) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original  # type: ignore[method-assign]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.consumed.clear()

    def of(self, service: str = "dynamodb", operations: Optional[Sequence[str]] = None) -> int:
        """Calls to ``service`` (only ``operations``, if given)."""
        return sum(n for (s, op), n in self.calls.items() if s == service and (operations is None or op in operations))

    def by_operation(self, service: str = "dynamodb") -> Dict[str, int]:
        return {op: n for (s, op), n in sorted(self.calls.items()) if s == service}


#: DynamoDB's write operations.
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
#: DynamoDB's read operations.
READS = ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems")


def write_part(part: Part, path: Path) -> None:
    path.write_text(json.dumps(asdict(part), indent=2, default=str) + "\n")


def read_part(path: Path) -> Part:
    data = json.loads(path.read_text())
    data["goals"] = {key: tuple(goal) for key, goal in data.get("goals", {}).items()}
    data["rows"] = [tuple(row) for row in data.get("rows", [])]
    return Part(**data)


def part_main(measure: Callable[[bool], Part], argv: Optional[List[str]] = None, name: str = "") -> int:
    """Run one part alone: print its rows, write its JSON if asked; exit 1 when it misses a goal."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}" if name else None)
    parser.add_argument("--quick", action="store_true", help="a smaller run (the tests use it)")
    parser.add_argument("--part", "--json", dest="json", metavar="PATH", help="write the part's result here")
    args = parser.parse_args(argv)
    part = measure(args.quick)
    for what, figure in part.rows:
        print(f"  {what:<58} {figure}")
    if args.json:
        write_part(part, Path(args.json))
    missed = part.misses()
    for miss in missed:
        print(f"  MISSED: {miss}", file=sys.stderr)
    return 1 if missed else 0


# --- the app against a serialised moto server (the availability and writes parts) -----------------

#: The environment the app reads in a bench: emulated AWS with fake credentials, tracing and metrics off.
APP_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1", "TABLE_NAME": "marketplace-bench",
    "STAGE": "bench", "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "EMAIL_FROM": "bookings@marketplace.example", "SEARCH_ENDPOINT": "http://127.0.0.1:9",
    # The emulator answers one request at a time (as in the local stack).
    "DYNAMODB_READ_TIMEOUT_SECONDS": "30",
}
BENCH_PASSWORD = "Bench-pass-2026!"
#: A quick run lays out 14 days of slots instead of 60 (its figures are not for the record).
QUICK_SETTINGS = {"SLOT_HORIZON_DAYS": "14"}


@dataclass
class AppOnMoto:
    """The app's settings pointed at a serialised moto server holding its table and user pool."""

    url: str
    environment: Dict[str, str]
    pool_id: str
    client_id: str

    def boto3_client(self, service: str) -> Any:
        """A plain boto3 client of the emulator (not the app's)."""
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=self.environment["AWS_REGION"],
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def user(self, email: str, provider: bool = False) -> Dict[str, str]:
        """Request headers of a real user of the pool (in group providers if asked), and its sub."""
        from local import bootstrap

        cognito = self.boto3_client("cognito-idp")
        sub = bootstrap.ensure_user(cognito, self.pool_id, email, BENCH_PASSWORD,
                                    groups=(bootstrap.PROVIDERS_GROUP,) if provider else ())
        token = bootstrap.sign_in(cognito, self.client_id, email, BENCH_PASSWORD)
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "sub": sub}


def reset_app_clients() -> None:
    """Forget the settings and clients the app made, so that its next call builds them from the environment."""
    from chalicelib.adapters import dynamo, search
    from chalicelib.config import get_settings

    get_settings.cache_clear()
    dynamo.reset()
    search.reset()


@contextlib.contextmanager
def app_on_moto(settings: Optional[Dict[str, str]] = None) -> Iterator[AppOnMoto]:
    """A serialised moto server with the app's table and user pool, this process's settings pointed at it
    (with `settings` besides; all put back afterwards)."""
    from local import bootstrap

    saved = dict(os.environ)
    try:
        with serialised_moto() as url:
            os.environ.update({**APP_ENVIRONMENT, **(settings or {}), "AWS_ENDPOINT_URL": url})
            os.environ.pop("JWKS_URL", None)
            stack = AppOnMoto(url, dict(os.environ), "", "")
            bootstrap.create_table(stack.boto3_client("dynamodb"), APP_ENVIRONMENT["TABLE_NAME"])
            stack.pool_id, stack.client_id = bootstrap.create_user_pool(stack.boto3_client("cognito-idp"), "bench")
            os.environ.update({"USER_POOL_ID": stack.pool_id, "USER_POOL_CLIENT_ID": stack.client_id})
            stack.environment = dict(os.environ)
            reset_app_clients()
            yield stack
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_app_clients()


def api_call(client: Any, method: str, path: str, headers: Dict[str, str], body: Any = None,
             want: int = 200) -> Any:
    """One request through chalice.test.Client; its JSON answer, or SystemExit when the status is not `want`."""
    sent = {name: value for name, value in headers.items() if name != "sub"}
    response = getattr(client.http, method.lower())(path, headers=sent,
                                                    body=None if body is None else json.dumps(body))
    if response.status_code != want:
        raise SystemExit(f"{method} {path} answered {response.status_code}, not {want}: {response.body[:300]!r}")
    return json.loads(response.body) if response.body else None


def open_provider(client: Any, owner: Dict[str, str], rules: Optional[Dict[str, Any]] = None) -> Dict[str, str]:
    """A London provider open 09:00-17:00 on weekdays with a 60-minute service (+15 buffer), as the tests' shop;
    its slots (60 days unless SLOT_HORIZON_DAYS says otherwise) laid out by the app's own routes: {"pid", "sid"}."""
    from chalicelib.service import schedule

    body: Dict[str, Any] = {"name": "Bench spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
                            "timezone": "Europe/London"}
    if rules:
        body["booking_rules"] = rules
    pid = api_call(client, "POST", "/v1/providers", owner, body, want=201)["provider_id"]
    week = {day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
    api_call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, {"weekly": week})
    service = api_call(client, "POST", f"/v1/providers/{pid}/services", owner, {
        "name": "Massage", "category": "massage", "duration_minutes": 60, "buffer_minutes": 15,
        "price": {"amount": 4500, "currency": "GBP"}}, want=201)
    schedule.finish_sync(pid)  # whatever the request's time budget left undone
    return {"pid": pid, "sid": service["service_id"]}
