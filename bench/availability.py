"""A 7-day availability lookup: the app in-process and over local HTTP against the raw Query it stands on.

    python -m bench.availability [--quick] [--json PATH]

One serialised moto server (the local stack's, decision 0003) holds the app's table. A provider open
09:00-17:00 on weekdays with one service is created through the app's own routes, which lay out its 60 days
of slots and cards. Then, in one loop, the order rotated each round, three ways of reading the same 7 local
days:

  raw    the one DynamoDB Query the lookup makes (same key range, strongly consistent, every page) with a
         plain boto3 client;
  app    chalicelib.service.availability.get_availability, what the route calls, in-process;
  http   GET /v1/providers/{id}/availability through the local API server (local/api_server.py, in a process
         of its own as the stack runs it) over one keep-alive connection.

Figures: availability_ratio = p50(app) / p50(raw), availability_http_ratio = p50(http) / p50(raw), and
availability_calls, the DynamoDB calls one lookup makes.
"""
from __future__ import annotations

import http.client
import json
import math
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, time as day_time, timedelta, timezone
from typing import Any, Callable, Dict, List, Tuple
from urllib.parse import urlencode

from bench.common import (
    QUICK_SETTINGS,
    ROOT,
    CallCounter,
    Part,
    app_on_moto,
    free_port,
    load_average,
    open_provider,
    part_main,
    summary_ms,
)

DAYS = 7
WARMUP = 3
# The emulator takes about a second a lookup on a loaded 2-core machine: the loop stops at whichever comes
# first, its rounds or its time.
ROUNDS, QUICK_ROUNDS = 200, 4
BUDGET_SECONDS, QUICK_BUDGET_SECONDS = 80.0, 15.0
# GET /v1/health over the same connection afterwards: what the local server's HTTP layer costs by itself.
HEALTH_CHECKS = 50


def _key_range(provider_id: str, first: date, last: date) -> Tuple[str, str, str]:
    """The partition and sort-key bounds the lookup of local dates first..last queries."""
    from chalicelib.adapters.models import SlotItem
    from chalicelib.service.availability import EARLIEST_OFFSET, LATEST_OFFSET, LONGEST_SPAN

    low = datetime.combine(first, day_time(), timezone.utc) - EARLIEST_OFFSET
    high = datetime.combine(last + timedelta(days=1), day_time(), timezone.utc) + LATEST_OFFSET + LONGEST_SPAN
    pk, low_key = SlotItem.key(provider_id, low)
    return pk, low_key, SlotItem.key(provider_id, high - timedelta(seconds=1))[1]


def _raw_query(dynamodb: Any, table: str, pk: str, low: str, high: str) -> Callable[[], int]:
    def query() -> int:
        items, start_key = 0, None
        while True:
            extra = {"ExclusiveStartKey": start_key} if start_key else {}
            page = dynamodb.query(TableName=table, KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                                  ExpressionAttributeValues={":pk": {"S": pk}, ":low": {"S": low},
                                                             ":high": {"S": high}},
                                  ConsistentRead=True, **extra)
            items += len(page["Items"])
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                return items
    return query


def _read_units(dynamodb: Any, table: str, pk: str, low: str, high: str) -> Tuple[int, int]:
    """(read units, bytes) of the lookup's Query by DynamoDB's rule: the items' sizes summed, 4 KB a unit."""
    from bench.writes import item_size

    page = dynamodb.query(TableName=table, KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                          ExpressionAttributeValues={":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
                          ConsistentRead=True)
    size = sum(item_size(item) for item in page["Items"])
    return math.ceil(size / 4096), size


def _start_api(environment: Dict[str, str]) -> Tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "local.api_server", "--port", str(port), "--stage", "local"],
                               cwd=ROOT, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/v1/health")
            if connection.getresponse().status == 200:
                connection.close()
                return process, port
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("the local API server did not start")
        time.sleep(0.2)


def _http_lookup(connection: http.client.HTTPConnection, path: str) -> Callable[[], int]:
    def lookup() -> int:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}: {body[:300]!r}")
        return len(json.loads(body)["slots"])
    return lookup


def measure(quick: bool) -> Part:
    """Time the three ways in one loop; count the lookup's DynamoDB calls."""
    rounds, budget = (QUICK_ROUNDS, QUICK_BUDGET_SECONDS) if quick else (ROUNDS, BUDGET_SECONDS)
    with app_on_moto(QUICK_SETTINGS if quick else None) as stack:
        import app
        from chalice.test import Client

        from chalicelib.service.availability import get_availability

        with Client(app.app) as client:
            shop = open_provider(client, stack.user("owner@bench.example", provider=True))
        today = datetime.now(timezone.utc).date()
        first, last = today + timedelta(days=1), today + timedelta(days=DAYS)
        pk, low, high = _key_range(shop["pid"], first, last)
        raw = _raw_query(stack.boto3_client("dynamodb"), stack.environment["TABLE_NAME"], pk, low, high)

        def in_process() -> int:
            return len(get_availability(shop["pid"], shop["sid"], first.isoformat(), last.isoformat())["slots"])

        api, port = _start_api(stack.environment)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        query = urlencode({"service_id": shop["sid"], "from": first.isoformat(), "to": last.isoformat()})
        over_http = _http_lookup(connection, f"/v1/providers/{shop['pid']}/availability?{query}")
        try:
            ways: List[Tuple[str, Callable[[], int]]] = [("raw", raw), ("app", in_process), ("http", over_http)]
            answers = {name: way() for name, way in ways}
            read_units, bytes_read = _read_units(stack.boto3_client("dynamodb"), stack.environment["TABLE_NAME"],
                                                 pk, low, high)
            if answers["app"] != answers["http"] or answers["app"] == 0:
                raise SystemExit(f"the app and the API disagree or offer nothing: {answers}")
            with CallCounter() as counter:
                in_process()
            calls = counter.by_operation()
            seconds: Dict[str, List[float]] = {name: [] for name, _ in ways}
            load_at_start = load_average()
            deadline = time.monotonic() + budget
            for turn in range(WARMUP + rounds):
                if turn > WARMUP and time.monotonic() > deadline:
                    break
                for name, way in ways[turn % 3:] + ways[:turn % 3]:
                    started = time.perf_counter()
                    way()
                    if turn >= WARMUP:
                        seconds[name].append(time.perf_counter() - started)
            health = []  # the HTTP layer alone: an answer with no DynamoDB behind it
            for _ in range(HEALTH_CHECKS):
                started = time.perf_counter()
                connection.request("GET", "/v1/health")
                connection.getresponse().read()
                health.append(time.perf_counter() - started)
        finally:
            connection.close()
            api.terminate()
            api.wait(timeout=10)

    summaries = {name: summary_ms(values) for name, values in seconds.items()}
    app_ratio = round(statistics.median(seconds["app"]) / statistics.median(seconds["raw"]), 3)
    http_ratio = round(statistics.median(seconds["http"]) / statistics.median(seconds["raw"]), 3)
    per_round = {name: [w / r for w, r in zip(seconds[name], seconds["raw"])] for name in ("app", "http")}
    http_over_app_ms = round(statistics.median(h - a for h, a in zip(seconds["http"], seconds["app"])) * 1000, 2)
    figures = {"availability_ratio": app_ratio, "availability_http_ratio": http_ratio,
               "availability_calls": sum(calls.values()), "availability_read_units": read_units}
    rows = [
        ("7-day lookup: DynamoDB calls", f"{figures['availability_calls']} ({', '.join(calls)})"),
        ("7-day lookup: read capacity (strongly consistent)", f"{read_units} RCU ({bytes_read:,} bytes)"),
        ("7-day lookup: app / raw Query (p50s)", f"{app_ratio:.2f}"),
        ("7-day lookup: HTTP keep-alive / raw Query (p50s)", f"{http_ratio:.2f}"),
        ("7-day lookup: HTTP - app, median per round (ms)", f"{http_over_app_ms:+.2f}"),
        ("GET /v1/health over the same connection: p50 / p95 ms",
         f"{summary_ms(health[5:])['p50_ms']:.2f} / {summary_ms(health[5:])['p95_ms']:.2f}"),
    ] + [(f"  {name}: p50 / p95 ms", f"{summaries[name]['p50_ms']:.2f} / {summaries[name]['p95_ms']:.2f}")
         for name in ("raw", "app", "http")]
    details = {
        "method": (f"up to {rounds} rounds or {budget:.0f} s after {WARMUP} untimed, the three ways in one loop, "
                   "their order rotated; one serialised moto server; the provider open 09:00-17:00 on weekdays, "
                   "its slots laid out by the app; the app in-process and the local API server in its own process "
                   "over one keep-alive http.client connection; p95 is the nearest rank"),
        "days": DAYS, "items_read": answers["raw"], "starts_offered": answers["app"], "calls": calls,
        "latency": summaries, "load_average": {"at_start": load_at_start, "at_end": load_average()},
        "median_per_round_ratio": {name: round(statistics.median(v), 3) for name, v in per_round.items()},
        "http_minus_app_ms_median": http_over_app_ms, "rounds": len(seconds["raw"]),
        "health_over_keep_alive": summary_ms(health[5:]),
        "slot_horizon_days": int(stack.environment.get("SLOT_HORIZON_DAYS", "60")),
    }
    goals = {"availability_ratio": ("<=", 1.25), "availability_http_ratio": ("<=", 1.25),
             "availability_calls": ("==", 1)}
    return Part("availability", figures, goals, rows, details)


if __name__ == "__main__":
    sys.exit(part_main(measure, name="availability"))
