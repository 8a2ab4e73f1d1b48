"""The daily horizon roll: what a provider's first 60-day build costs, then what one day's roll costs.

    python -m bench.roll [--quick] [--json PATH]

Against a serialised moto server (the local stack's emulator), providers in varied IANA zones (odd offsets,
+13/+14, DST) get working hours on every day; their first build (the working hours laid out over the
horizon) is timed and its writes counted. The services' clock then moves one day on and the roll job
(`roll_all_horizons`, the hourly scheduled function) runs once over all of them: how many local days of
slots each provider got written (goal: exactly the one day that entered), and the DynamoDB calls it took
per provider (goal: at most 2; the listing's few shard queries are reported apart). Calls are counted in
botocore, so PynamoDB's and every thread of the roll's fan-out count.
"""
from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterator, List, Set, Tuple
from zoneinfo import ZoneInfo

from bench.common import (APP_ENVIRONMENT, READS, WRITES, CallCounter, Part, part_main, reset_app_clients,
                          serialised_moto, summary_ms)

# Tuesday 1 December 2026, 12:00 UTC: no zone below crosses a DST change in the day the roll adds.
START = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# zone, working hours on every day (start, end): odd offsets, both ends of the date line, DST zones
ZONES: Tuple[Tuple[str, Tuple[str, str]], ...] = (
    ("Europe/London", ("09:00", "17:00")),
    ("America/New_York", ("08:00", "18:00")),
    ("Pacific/Kiritimati", ("07:00", "15:00")),  # UTC+14: its day starts at 10:00 UTC the day before
    ("America/St_Johns", ("09:00", "17:30")),  # UTC-3:30
    ("Asia/Kathmandu", ("10:00", "19:00")),  # UTC+5:45
    ("Pacific/Chatham", ("08:00", "16:00")),  # UTC+13:45 in summer
    ("Australia/Sydney", ("07:00", "21:00")),
    ("Pacific/Pago_Pago", ("09:00", "17:00")),  # UTC-11
    ("Asia/Tokyo", ("00:00", "24:00")),  # a whole day of slots
    ("America/Los_Angeles", ("06:00", "14:00")),
    ("Europe/Berlin", ("12:00", "20:00")),
    ("Asia/Kolkata", ("09:30", "18:30")),  # UTC+5:30
)
QUICK_PROVIDERS, FULL_PROVIDERS = 4, 12
ENVIRONMENT = {
    **APP_ENVIRONMENT, "TABLE_NAME": "marketplace-bench-roll",
    # Required outside the local stage; nothing here signs in.
    "USER_POOL_ID": "eu-west-1_bench", "USER_POOL_CLIENT_ID": "bench",
    # The first build is the whole horizon in the request: on a busy machine the 10 s budget would leave days
    # pending, and the roll would then lay them out too.
    "SCHEDULE_SYNC_SECONDS": "600",
}


@dataclass
class Recorded:
    """What the calls of a stretch wrote and read: slot items written per provider, listing queries."""

    slots: Dict[str, Set[str]] = field(default_factory=lambda: defaultdict(set))  # provider -> slot starts
    items_written: int = 0
    index_queries: int = 0


@contextmanager
def recording() -> Iterator[Recorded]:
    """Look into every DynamoDB call while inside (all threads): slot items each successful write wrote."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    recorded, lock = Recorded(), threading.Lock()

    def looked_into(client: Any, operation: str, params: Dict[str, Any]) -> Any:
        answer = original(client, operation, params)  # a write that raises wrote nothing
        if client.meta.service_model.service_name == "dynamodb":
            with lock:
                _note(recorded, operation, params)
        return answer

    BaseClient._make_api_call = looked_into  # type: ignore[method-assign]
    try:
        yield recorded
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _note(recorded: Recorded, operation: str, params: Dict[str, Any]) -> None:
    if operation == "Query" and params.get("IndexName"):
        recorded.index_queries += 1
    keys: List[Dict[str, Any]] = []
    if operation == "TransactWriteItems":
        for entry in params["TransactItems"]:
            kind, body = next(iter(entry.items()))
            if kind != "ConditionCheck":
                keys.append(body.get("Item") or body.get("Key"))
    elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
        keys.append(params.get("Item") or params.get("Key"))
    recorded.items_written += len(keys)
    for key in keys:
        pk, sk = key["pk"]["S"], key["sk"]["S"]
        if pk.startswith("PROVIDER#") and sk.startswith("SLOT#") and len(sk) > len("SLOT#yyyy-mm-dd"):
            recorded.slots[pk[len("PROVIDER#"):]].add(sk[len("SLOT#"):])


def _days(starts: Set[str], tz: ZoneInfo) -> Set[date]:
    return {datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).astimezone(tz).date()
            for s in starts}


class Clock:
    """The services' clock, moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _provider(index: int) -> Tuple[Callable[[], str], str]:
    """A way to create provider `index` (its zone and hours chosen round the list), and its zone."""
    from chalicelib.domain.model import CreateProvider, CreateService
    from chalicelib.domain.entities import Caller
    from chalicelib.service import catalog, providers

    zone, _ = ZONES[index % len(ZONES)]
    owner = Caller(user_id=f"bench-owner-{index}", email=f"o{index}@bench.example", groups=frozenset({"providers"}))

    def create() -> str:
        created = providers.create_provider(owner, CreateProvider.model_validate({
            "name": f"Roll {index}", "categories": ["cleaning"], "location": {"lat": 51.5, "lon": -0.1},
            "timezone": zone}))
        catalog.create_service(owner, created["provider_id"], CreateService.model_validate({
            "name": "Clean", "category": "cleaning", "duration_minutes": 60,
            "price": {"amount": 4000, "currency": "GBP"}}))
        return created["provider_id"]

    return create, zone


def measure(quick: bool) -> Part:
    """Build N providers' first 60 days, move the clock a day, roll once; figures per provider."""
    count = QUICK_PROVIDERS if quick else FULL_PROVIDERS
    saved = dict(os.environ)
    try:
        os.environ.update(ENVIRONMENT)
        with serialised_moto() as url:
            os.environ["AWS_ENDPOINT_URL"] = url
            return _measure(count, url)
    finally:
        # This process's settings and clients as they were: the tests run other things in it afterwards.
        os.environ.clear()
        os.environ.update(saved)
        reset_app_clients()


def _measure(count: int, url: str) -> Part:
    import boto3

    from chalicelib.config import get_settings
    from chalicelib.domain.entities import Caller
    from chalicelib.service import clock, schedule
    from chalicelib.service.stores import provider_store
    from local import bootstrap

    get_settings.cache_clear()  # the endpoint was set after anything may have read the settings
    bootstrap.create_table(boto3.client("dynamodb", endpoint_url=url), ENVIRONMENT["TABLE_NAME"])
    fixed = Clock(START)
    clock.set_clock(fixed)
    try:
        zones: Dict[str, ZoneInfo] = {}
        build_seconds: List[float] = []
        build_calls: Counter = Counter()
        build_slots: List[int] = []
        build_write_items: List[int] = []
        for index in range(count):
            create, zone = _provider(index)
            provider_id = create()
            zones[provider_id] = ZoneInfo(zone)
            start, end = ZONES[index % len(ZONES)][1]
            owner = Caller(user_id=f"bench-owner-{index}", groups=frozenset({"providers"}))
            hours = {"weekly": {day: [{"start": start, "end": end}] for day in EVERY_DAY}}
            with CallCounter() as calls, recording() as seen:
                began = time.perf_counter()
                schedule.put_working_hours(owner, provider_id, hours)
                build_seconds.append(time.perf_counter() - began)
            build_calls.update(calls.by_operation())
            build_slots.append(len(seen.slots[provider_id]))
            build_write_items.append(seen.items_written)

        fixed.now = START + timedelta(days=1)
        began = time.perf_counter()
        listed = sum(1 for shard in provider_store.listing_shards() for _ in provider_store.iter_listed(shard))
        listing_seconds = time.perf_counter() - began
        with CallCounter() as calls, recording() as seen:
            began = time.perf_counter()
            outcome = schedule.roll_all_horizons()
            roll_seconds = time.perf_counter() - began
    finally:
        clock.set_clock(lambda: datetime.now(timezone.utc))
    part = _part(count, zones, build_seconds, build_calls, build_slots, build_write_items, calls, seen,
                 roll_seconds, outcome)
    part.details.update(listed=listed, listing_seconds_alone=round(listing_seconds, 3))
    part.rows.append(("the listing alone, shard after shard: seconds", f"{listing_seconds:.3f} ({listed} listed)"))
    return part


def _part(count: int, zones: Dict[str, ZoneInfo], build_seconds: List[float], build_calls: Counter,
          build_slots: List[int], build_write_items: List[int], calls: CallCounter, seen: Recorded,
          roll_seconds: float, outcome: Dict[str, int]) -> Part:
    days_written = [len(_days(seen.slots.get(pid, set()), tz)) for pid, tz in zones.items()]
    total = calls.of("dynamodb")
    per_provider = (total - seen.index_queries) / count
    shards = _shards()
    build_writes = sum(n for op, n in build_calls.items() if op in WRITES)
    build_reads = sum(n for op, n in build_calls.items() if op in READS)
    figures = {
        "first_build_write_calls": round(build_writes / count, 1),
        "first_build_seconds": round(statistics.median(build_seconds), 3),
        "first_build_slots": round(statistics.median(build_slots), 1),
        "daily_roll_days_written": round(statistics.fmean(days_written), 3),
        "daily_roll_calls_per_provider": round(per_provider, 2),
        "daily_roll_seconds": round(roll_seconds, 3),
        "roll_listing_shards": shards,
    }
    goals = {"daily_roll_days_written": ("==", 1), "daily_roll_calls_per_provider": ("<=", 2)}
    rows = [
        ("providers (zones)", f"{count} ({len(set(str(z) for z in zones.values()))})"),
        ("first build: write calls per provider", f"{figures['first_build_write_calls']}"),
        ("first build: read calls per provider", f"{build_reads / count:.1f}"),
        ("first build: items written per provider (median)", f"{statistics.median(build_write_items):.0f}"),
        ("first build: slots per provider (median)", f"{figures['first_build_slots']:.0f}"),
        ("first build: seconds per provider (median)", f"{figures['first_build_seconds']:.3f}"),
        ("roll: local days of slots written per provider (mean)", f"{figures['daily_roll_days_written']:.3f}"),
        ("roll: DynamoDB calls per provider (listing apart)", f"{per_provider:.2f}"),
        ("roll: listing queries (all shards)", f"{seen.index_queries}"),
        ("roll: DynamoDB calls in all", f"{total} {calls.by_operation()}"),
        ("roll: seconds (all providers)", f"{roll_seconds:.3f}"),
        ("roll: listing shards", f"{shards}"),
    ]
    details = {"providers": count, "roll_outcome": outcome, "roll_calls": calls.by_operation(),
               "roll_calls_total": total, "roll_listing_queries": seen.index_queries,
               "roll_calls_per_provider_with_listing": round(total / count, 2),
               "roll_items_written": seen.items_written,
               "days_written_by_provider": {str(days): n for days, n in sorted(Counter(days_written).items())},
               "first_build_calls": dict(build_calls), "first_build_ms": summary_ms(build_seconds),
               "first_build_items_written_median": statistics.median(build_write_items)}
    return Part(name="roll", figures=figures, goals=goals, rows=rows, details=details)


def _shards() -> int:
    """How many partitions the providers' listing is spread over."""
    from chalicelib.adapters import models

    return int(getattr(models, "PROVIDER_SHARDS", 1))


if __name__ == "__main__":
    sys.exit(part_main(measure, name="roll"))
