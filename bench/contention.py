"""Contention: 200 customers at once buy every slot of 20 providers over HTTP; nothing sold twice, nothing left.

    python -m bench.contention [--quick] [--json PATH]

It starts the local stack (`python -m local.stack --no-seed --quiet` on free ports, as the e2e tests do:
emulated AWS, search, the API, the stream functions and the jobs), then over the API creates one owner
(group `providers`) and 20 providers, each with one 15-minute service (no buffer) and working hours on
one day only: a working-hours override of 09:00-13:00 on the provider's own clock, the weekly hours
empty (closed). That is exactly 16 bookable starts a provider, none overlapping another. The providers
are spread over four time zones (London, New York, Sydney, Kolkata with its half-hour offset); the day is
the date three days after today (UTC), meant on each provider's clock, so every start is days beyond the
60-minute notice whatever the zone, and a morning never spans a daylight-saving change (those are at
night). The expected starts are computed here with zoneinfo and must equal what availability offers.

Then 200 client threads, each with its own keep-alive connection (a requests.Session), are released
together. Each loops: pick a random provider not yet seen sold out, read its availability, pick a random
free start, and book it: directly (POST /v1/bookings with provider, service and start) or, for a quarter
of the attempts, hold first (POST /v1/holds, then POST /v1/bookings with the hold; a hold whose booking
fails is deleted). A 409 goes back to a fresh availability read; a 503 waits its Retry-After (at most
a second). Creating 200 Cognito users on the serialised emulator is slow, so 50 customers are signed in
and each token is shared by four clients (each attempt has its own Idempotency-Key).

A provider is sold out for the clients once its availability is read empty, unless one of their holds on
it was released while that read was under way; a hold deleted unused makes its provider open again (only
that frees time here). When every provider is sold out, the clients stop (or at a deadline, which then
shows as unsold slots). Then the truth is read from the table (the slot items and the providers' booking
items) and cross-checked through the API (the owner's booking listing, availability):

  contention_double_bookings   15-minute slots covered by more than one active booking (goal 0)
  contention_unsold_slots      bookable starts left without an active booking (goal 0)
  contention_server_errors     5xx answers other than 503, and requests that got no answer (goal 0)
  contention_bookings_per_second   bookings made / seconds from the start to the last booking's answer
  contention_latency_ms {p50, p99} of the holds and bookings as the clients saw them (queueing included)
  contention_answers     the holds' and bookings' answers: 201, 409, 503, other

--quick: 4 providers x 4 slots, 20 clients, 5 customers. run(stack, quick) does the same on a stack that
is already up (the e2e test uses the session's stack).
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple
from zoneinfo import ZoneInfo

import requests

from bench.common import ROOT, Part, load_average, percentile, part_main

ZONES = ("Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata")
OPENS = "09:00"
SLOT_MINUTES = 15
DAYS_AHEAD = 3
HOLD_SHARE = 0.25
MAX_RETRY_AFTER = 1.0
REQUEST_TIMEOUT = 60.0
STACK_START_TIMEOUT = 180.0
PASSWORD = "Bench-pass-2026!"


@dataclass(frozen=True)
class Size:
    providers: int
    slots: int
    clients: int
    customers: int
    deadline: float  # seconds the clients may take


FULL = Size(providers=20, slots=16, clients=200, customers=50, deadline=240.0)
QUICK = Size(providers=4, slots=4, clients=20, customers=5, deadline=40.0)


@dataclass
class Shop:
    provider_id: str
    service_id: str
    timezone: str
    starts: List[str]  # the bookable starts, UTC text as the API writes them


# --- the stack -----------------------------------------------------------------------------------

@contextmanager
def local_stack() -> Iterator[Any]:
    """The local stack without demo data on free ports, as tests/local_stack.py starts it; its Stack."""
    from tests.local_stack import TEST_STACK_SETTINGS, Stack, free_ports

    with tempfile.TemporaryDirectory(prefix="bench-contention-") as directory:
        workdir = Path(directory)
        state_file, log_path = workdir / "state.json", workdir / "stack.log"
        api_port, aws_port, search_port = free_ports(3)
        command = [sys.executable, "-m", "local.stack", "--no-seed", "--quiet",
                   "--api-port", str(api_port), "--aws-port", str(aws_port), "--search-port", str(search_port),
                   "--state-file", str(state_file), "--log-dir", str(workdir)]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, env={**os.environ, **TEST_STACK_SETTINGS})
        try:
            deadline = time.monotonic() + STACK_START_TIMEOUT
            while not state_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the local stack did not come up:\n" + log_path.read_text(errors="replace"))
                time.sleep(0.2)
            state = json.loads(state_file.read_text())
            yield Stack(api_url=state["api_url"], aws_endpoint_url=state["aws_endpoint_url"], region=state["region"],
                        user_pool_id=state["user_pool_id"], user_pool_client_id=state["user_pool_client_id"],
                        table_name=state["table_name"], log_path=log_path)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


# --- setting up ----------------------------------------------------------------------------------

def _expect(response: requests.Response, status: int) -> Any:
    if response.status_code != status:
        raise SystemExit(f"setup: {response.request.method} {response.request.path_url} -> "
                         f"{response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


def _starts(day: date, zone: str, count: int) -> Tuple[List[str], str]:
    """The UTC starts of `count` quarters from OPENS on `day` in `zone`, and the local closing time."""
    hour, minute = (int(part) for part in OPENS.split(":"))
    first = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))
    starts = [(first + timedelta(minutes=SLOT_MINUTES * n)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
              for n in range(count)]
    closes = (first + timedelta(minutes=SLOT_MINUTES * count)).strftime("%H:%M")
    return starts, closes


def create_shop(api_url: str, owner_headers: Dict[str, str], index: int, day: date, slots: int) -> Shop:
    """One provider with a 15-minute service and `slots` quarters of working time on `day` (its clock)."""
    zone = ZONES[index % len(ZONES)]
    starts, closes = _starts(day, zone, slots)
    with requests.Session() as session:
        session.headers.update(owner_headers)
        provider = _expect(session.post(f"{api_url}/v1/providers", json={
            "name": f"Contention {index} {uuid.uuid4().hex[:6]}", "categories": ["massage"],
            "location": {"lat": 51.5 + index / 100, "lon": -0.12}, "timezone": zone,
            "booking_rules": {"auto_confirm": True, "min_notice_minutes": 60, "max_days_ahead": 60,
                              "hold_minutes": 5, "cancel_cutoff_minutes": 0}}, timeout=REQUEST_TIMEOUT), 201)
        provider_id = provider["provider_id"]
        _expect(session.put(f"{api_url}/v1/providers/{provider_id}/working-hours", json={
            "weekly": {}, "overrides": [{"date": day.isoformat(), "intervals": [{"start": OPENS, "end": closes}]}]},
            timeout=REQUEST_TIMEOUT), 200)
        service = _expect(session.post(f"{api_url}/v1/providers/{provider_id}/services", json={
            "name": "Quarter hour", "category": "massage", "duration_minutes": SLOT_MINUTES,
            "price": {"amount": 1000, "currency": "EUR"}}, timeout=REQUEST_TIMEOUT), 201)
    return Shop(provider_id=provider_id, service_id=service["service_id"], timezone=zone, starts=starts)


def _one_day(shop: Shop, day: date) -> Dict[str, str]:
    return {"service_id": shop.service_id, "from": day.isoformat(), "to": day.isoformat()}


def availability(session: requests.Session, api_url: str, shop: Shop, day: date) -> requests.Response:
    """GET the shop's availability of its service on `day`."""
    return session.get(f"{api_url}/v1/providers/{shop.provider_id}/availability", params=_one_day(shop, day),
                       timeout=REQUEST_TIMEOUT)


# --- the clients -----------------------------------------------------------------------------------

@dataclass
class Attempt:
    kind: str  # "hold" | "book" | "book_with_hold" | "availability" | "release"
    status: int  # 0: no answer
    seconds: float
    ended: float = 0.0  # time.perf_counter() when it was answered

    def __post_init__(self) -> None:
        self.ended = self.ended or time.perf_counter()


class Market:
    """What the clients share: which providers are still open, their released holds, every request made."""

    def __init__(self, shops: List[Shop], deadline: float) -> None:
        self.shops = shops
        self.deadline = deadline
        self._lock = threading.Lock()
        self._open: Set[int] = set(range(len(shops)))
        self._released: Counter = Counter()  # holds released without a booking, ever, by provider
        self.attempts: List[Attempt] = []
        self.booked: Dict[str, Tuple[str, str]] = {}  # booking_id -> (provider_id, start), from the 201s
        self.no_answer: List[str] = []
        self.empty_reads = 0

    def choose(self, rng: random.Random) -> Optional[int]:
        """A random open provider, or None when all are sold out."""
        with self._lock:
            return rng.choice(sorted(self._open)) if self._open else None

    def released_count(self, index: int) -> int:
        with self._lock:
            return self._released[index]

    def saw_empty(self, index: int, released_before: int) -> None:
        """Availability was empty: sold out, unless one of our holds on it was released since the read began."""
        with self._lock:
            self.empty_reads += 1
            if self._released[index] == released_before:
                self._open.discard(index)

    def released(self, index: int) -> None:
        """One of our holds on it was deleted unused: its time is free again, the provider open again."""
        with self._lock:
            self._released[index] += 1
            self._open.add(index)

    def record(self, attempt: Attempt, no_answer: str = "") -> None:
        with self._lock:
            self.attempts.append(attempt)
            if no_answer:
                self.no_answer.append(no_answer)

    def booked_by(self, response: Optional[requests.Response]) -> None:
        """Note the booking a 201 answer made."""
        if response is not None and response.status_code == 201:
            body = response.json()
            with self._lock:
                self.booked[body["booking_id"]] = (body["provider_id"], body["start"])

    def over(self) -> bool:
        return time.monotonic() > self.deadline or not self._open


def _timed(market: Market, kind: str, session: requests.Session, method: str, url: str,
           **kwargs: Any) -> Optional[requests.Response]:
    started = time.perf_counter()
    try:
        response = session.request(method, url, timeout=REQUEST_TIMEOUT, **kwargs)
    except requests.RequestException as error:
        market.record(Attempt(kind, 0, time.perf_counter() - started), f"{method} {url}: {error!r}"[:300])
        return None
    market.record(Attempt(kind, response.status_code, time.perf_counter() - started))
    return response


def _pause(response: Optional[requests.Response]) -> None:
    """After a 503 (or no answer): wait what Retry-After says, at most a second."""
    try:
        wait = float(response.headers.get("Retry-After", "0.2")) if response is not None else 0.2
    except ValueError:
        wait = 0.2
    time.sleep(min(max(wait, 0.05), MAX_RETRY_AFTER))


def client(market: Market, api_url: str, token: str, day: date, seed: int, barrier: threading.Barrier) -> None:
    """One customer's loop: read availability, book a random free start, again until all is sold."""
    rng = random.Random(seed)
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        barrier.wait()
        while not market.over():
            index = market.choose(rng)
            if index is None:
                break
            shop = market.shops[index]
            before = market.released_count(index)
            answer = _timed(market, "availability", session, "GET",
                            f"{api_url}/v1/providers/{shop.provider_id}/availability", params=_one_day(shop, day))
            if answer is None or answer.status_code != 200:
                _pause(answer)
                continue
            slots = answer.json()["slots"]
            if not slots:
                market.saw_empty(index, before)
                continue
            start = rng.choice(slots)["start"]
            target = {"provider_id": shop.provider_id, "service_id": shop.service_id, "start": start}
            if rng.random() < HOLD_SHARE:
                response = _book_with_hold(market, session, api_url, index, target)
            else:
                response = _timed(market, "book", session, "POST", f"{api_url}/v1/bookings", json=target,
                                  headers={"Idempotency-Key": uuid.uuid4().hex})
                market.booked_by(response)
            if response is None or response.status_code == 503:
                _pause(response)


def _book_with_hold(market: Market, session: requests.Session, api_url: str, index: int,
                    target: Dict[str, str]) -> Optional[requests.Response]:
    """Hold the start, then book with the hold; a hold whose booking fails is deleted at once."""
    held = _timed(market, "hold", session, "POST", f"{api_url}/v1/holds", json=target)
    if held is None or held.status_code != 201:
        # No answer may still have made a hold; it lapses in hold_minutes (the verification would see it).
        return held
    hold_id = held.json()["hold_id"]
    booked = _timed(market, "book_with_hold", session, "POST", f"{api_url}/v1/bookings",
                    json={"hold_id": hold_id}, headers={"Idempotency-Key": uuid.uuid4().hex})
    market.booked_by(booked)
    if booked is None or booked.status_code != 201:
        _timed(market, "release", session, "DELETE", f"{api_url}/v1/holds/{hold_id}")
        market.released(index)
    return booked


# --- verifying -----------------------------------------------------------------------------------

def _quarters(start: str, end: str) -> List[str]:
    """The 15-minute slot starts of [start, end), as UTC text."""
    at = datetime.fromisoformat(start.replace("Z", "+00:00"))
    stop = datetime.fromisoformat(end.replace("Z", "+00:00"))
    found = []
    while at < stop:
        found.append(at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        at += timedelta(minutes=SLOT_MINUTES)
    return found


def _query_all(dynamodb, **kwargs: Any) -> List[Dict[str, Any]]:
    items: List[Dict[str, Any]] = []
    while True:
        page = dynamodb.query(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def verify(stack: Any, owner_headers: Dict[str, str], shops: List[Shop], day: date,
           booked: Dict[str, Tuple[str, str]]) -> Dict[str, Any]:
    """Double bookings and unsold slots, from the table and through the API; and which answers disagree."""
    dynamodb = stack.client("dynamodb")
    double = unsold = api_double = api_unsold = 0
    slot_statuses: Counter = Counter()
    table_active: Dict[str, Tuple[str, str]] = {}
    api_active: Set[str] = set()
    slot_mismatches = 0
    with requests.Session() as session:
        session.headers.update(owner_headers)
        for shop in shops:
            pk = f"PROVIDER#{shop.provider_id}"
            # The bookings, from the table: GSI2 lists a provider's bookings by start.
            bookings = _query_all(dynamodb, TableName=stack.table_name, IndexName="gsi2",
                                  KeyConditionExpression="gsi2pk = :pk",
                                  ExpressionAttributeValues={":pk": {"S": f"{pk}#BOOKINGS"}})
            covered: Counter = Counter()
            for item in bookings:
                if item["status"]["S"] in ("PENDING", "CONFIRMED"):
                    table_active[item["booking_id"]["S"]] = (shop.provider_id, item["start"]["S"])
                    covered.update(_quarters(item["start"]["S"], item["occupied_until"]["S"]))
            double += sum(1 for n in covered.values() if n > 1)
            unsold += sum(1 for start in shop.starts if covered[start] == 0)
            # The slots, from the table: each bookable start BOOKED by one of those bookings.
            slots = {item["sk"]["S"][len("SLOT#"):]: item for item in _query_all(
                dynamodb, TableName=stack.table_name, KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
                ExpressionAttributeValues={":pk": {"S": pk}, ":a": {"S": "SLOT#" + shop.starts[0]},
                                           ":b": {"S": "SLOT#" + shop.starts[-1]}})}
            for start in shop.starts:
                item = slots.get(start)
                status = item["status"]["S"] if item else "MISSING"
                slot_statuses[status] += 1
                owner = item.get("booking_id", {}).get("S") if item else None
                if status != "BOOKED" or table_active.get(owner or "", (None, None))[1] != start:
                    slot_mismatches += 1
            # The same through the API: the owner's listing and availability.
            listed = _expect(session.get(f"{stack.api_url}/v1/providers/{shop.provider_id}/bookings", params={
                "from": day.isoformat(), "to": day.isoformat(), "limit": 100}, timeout=REQUEST_TIMEOUT), 200)
            active = [b for b in listed["bookings"] if b["status"] in ("PENDING", "CONFIRMED")]
            api_active.update(b["booking_id"] for b in active)
            by_quarter: Counter = Counter(q for b in active for q in _quarters(b["start"], b["end"]))
            api_double += sum(1 for n in by_quarter.values() if n > 1)
            free = _expect(availability(session, stack.api_url, shop, day), 200)["slots"]
            api_unsold += max(len(free), sum(1 for start in shop.starts if by_quarter[start] == 0))
    return {
        "double_bookings": max(double, api_double),
        "unsold_slots": max(unsold, api_unsold),
        "table": {"double_bookings": double, "unsold_slots": unsold, "active_bookings": len(table_active),
                  "slot_statuses": dict(slot_statuses), "slots_not_booked_by_their_booking": slot_mismatches},
        "api": {"double_bookings": api_double, "unsold_slots": api_unsold, "active_bookings": len(api_active)},
        # Bookings answered 201 that are not active, and active ones nobody was answered 201 for.
        "answered_but_missing": sorted(set(booked) - set(table_active))[:20],
        "active_but_unanswered": sorted(set(table_active) - set(booked))[:20],
        "listing_disagrees_with_table": sorted(set(table_active) ^ api_active)[:20],
    }


# --- the part ------------------------------------------------------------------------------------

def _sign_in_all(stack: Any, count: int, provider: bool = False) -> List[Any]:
    from tests.local_stack import UserFactory

    factory = UserFactory(stack, stack.client("cognito-idp"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: factory(provider=provider, password=PASSWORD), range(count)))


def run(stack: Any, quick: bool) -> Part:
    """The whole measurement on a stack that is up: set up, sell out, verify."""
    size = QUICK if quick else FULL
    load_at_start = load_average()
    started = time.monotonic()
    (owner,) = _sign_in_all(stack, 1, provider=True)
    customers = _sign_in_all(stack, size.customers)
    day = datetime.now(timezone.utc).date() + timedelta(days=DAYS_AHEAD)
    with ThreadPoolExecutor(max_workers=4) as pool:
        shops = list(pool.map(lambda i: create_shop(stack.api_url, owner.headers, i, day, size.slots),
                              range(size.providers)))
    with requests.Session() as session:
        for shop in shops:
            offered = [slot["start"] for slot in _expect(availability(session, stack.api_url, shop, day), 200)["slots"]]
            if offered != shop.starts:
                raise SystemExit(f"setup: {shop.provider_id} ({shop.timezone}) offers {offered}, not {shop.starts}")
    setup_seconds = time.monotonic() - started

    barrier = threading.Barrier(size.clients + 1)
    market = Market(shops, deadline=float("inf"))
    threads = [threading.Thread(target=client, name=f"client-{n}", daemon=True,
                                args=(market, stack.api_url, customers[n % len(customers)].id_token, day, n, barrier))
               for n in range(size.clients)]
    for thread in threads:
        thread.start()
    market.deadline = time.monotonic() + size.deadline
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=max(0.0, market.deadline - time.monotonic()) + REQUEST_TIMEOUT)
    selling_seconds = time.perf_counter() - began
    timed_out = time.monotonic() > market.deadline

    checked = verify(stack, owner.headers, shops, day, market.booked)
    attempts = list(market.attempts)
    writes = [a for a in attempts if a.kind in ("hold", "book", "book_with_hold")]
    statuses = Counter(a.status for a in writes)
    server_errors = sum(1 for a in attempts if a.status == 0 or (a.status >= 500 and a.status != 503))
    made = [a for a in writes if a.kind in ("book", "book_with_hold") and a.status == 201]
    bookings_made = len(made)
    # Sold out when the last booking was answered; the clients stop a little later (their last reads).
    sold_seconds = max(a.ended for a in made) - began if made else selling_seconds
    ms = [a.seconds * 1000 for a in writes]
    latency = {"p50": round(percentile(ms, 0.50), 1), "p99": round(percentile(ms, 0.99), 1)} if ms else {}
    by_kind = {kind: {"n": len(rows), "p50_ms": round(percentile([r.seconds * 1000 for r in rows], 0.5), 1),
                      "p99_ms": round(percentile([r.seconds * 1000 for r in rows], 0.99), 1),
                      "statuses": dict(Counter(str(r.status) for r in rows))}
               for kind, rows in _group(attempts).items()}
    answers = {"201": statuses.get(201, 0), "409": statuses.get(409, 0), "503": statuses.get(503, 0),
               "other": sum(n for status, n in statuses.items() if status not in (201, 409, 503))}
    total = size.providers * size.slots
    figures = {
        "contention_double_bookings": checked["double_bookings"],
        "contention_unsold_slots": checked["unsold_slots"],
        "contention_server_errors": server_errors,
        "contention_bookings_per_second": round(bookings_made / sold_seconds, 2) if sold_seconds > 0 else None,
        "contention_latency_ms": latency,
        "contention_answers": answers,
    }
    goals = {"contention_double_bookings": ("==", 0), "contention_unsold_slots": ("==", 0),
             "contention_server_errors": ("==", 0)}
    rows = [
        ("setup", f"{size.providers} providers x {size.slots} slots = {total}, {size.clients} clients "
                  f"({size.customers} customers), {setup_seconds:.1f} s"),
        ("sold out in (clients stopped at)", f"{sold_seconds:.1f} s ({selling_seconds:.1f} s)"
                                             f"{' DEADLINE HIT' if timed_out else ''}, "
                        f"{bookings_made} bookings made"),
        ("bookings per second", f"{figures['contention_bookings_per_second']}"),
        ("hold/book latency p50 / p99", f"{latency.get('p50')} / {latency.get('p99')} ms ({len(writes)} requests)"),
        ("hold/book answers 201 / 409 / 503 / other",
         f"{answers['201']} / {answers['409']} / {answers['503']} / {answers['other']}"),
        ("availability reads (empty ones)", f"{by_kind.get('availability', {}).get('n', 0)} "
                                            f"({market.empty_reads}), p50 "
                                            f"{by_kind.get('availability', {}).get('p50_ms')} ms"),
        ("double bookings (goal 0)", str(figures["contention_double_bookings"])),
        ("unsold slots (goal 0)", str(figures["contention_unsold_slots"])),
        ("server errors: 5xx but 503, no answer (goal 0)", str(server_errors)),
    ]
    details = {
        "size": size.__dict__, "day": day.isoformat(), "zones": list(ZONES), "hold_share": HOLD_SHARE,
        "setup_seconds": round(setup_seconds, 1), "selling_seconds": round(selling_seconds, 2),
        "sold_out_seconds": round(sold_seconds, 2),
        "deadline_hit": timed_out, "bookings_made": bookings_made, "empty_availability_reads": market.empty_reads,
        "by_kind": by_kind, "verify": checked,
        "no_answer": market.no_answer[:10], "load_average": {"at_start": load_at_start, "at_end": load_average()},
    }
    return Part(name="contention", figures=figures, goals=goals, rows=rows, details=details)


def _group(attempts: List[Attempt]) -> Dict[str, List[Attempt]]:
    groups: Dict[str, List[Attempt]] = defaultdict(list)
    for attempt in attempts:
        groups[attempt.kind].append(attempt)
    return dict(groups)


def measure(quick: bool) -> Part:
    """Start a local stack of its own, run the contention on it, stop it."""
    with local_stack() as stack:
        return run(stack, quick)


if __name__ == "__main__":
    sys.exit(part_main(measure, name="contention"))
