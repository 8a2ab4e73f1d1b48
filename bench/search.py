"""Search over generated providers: indexing rate, then search latency at the engine and through the API.

    python -m bench.search [--providers 100000] [--queries 200] [--seed 7] [--json bench/results-search.json]

One run starts its own in-memory OpenSearch-compatible engine (osmem-server), points the app's settings
at it, and creates the index through the adapter. It generates --providers providers spread around ten
European cities, builds each document with the production document_of(), and writes them through the
production write_documents() in bulk requests of --batch (external versions): documents per second.

Then it times a fixed mix of searches (category and radius under each sort, words, a free day, a second
page by cursor), each asked two ways in the same loop, their order alternated:

  engine  the very body the API sends (search_body), straight to the engine with the app's client;
  api     GET /v1/search through the Chalice app in-process, signed in with a real ID token of an
          emulated Cognito pool that the app verifies against the pool's published keys.

Both answers must name the same providers in the same order, or the run stops. Reported per kind of
search and overall: p50, p95 and mean milliseconds of each side, api/engine of the p50s, and the median
of api - engine over the pairs (what the app adds). Last, "the app alone": the API path again with the
engine's answers canned in memory, which is the app's own time per search. --profile N profiles N API
searches of that kind and prints where their time went.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import pstats
import queue
import random
import statistics
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "bench" / "results-search.json"
ALIAS = "bench-providers"
TARGET_RATIO = 1.25
KINDS = ("relevance", "distance", "rating", "words", "available_on", "page2")
PAGE = 20
# Documents a write_documents() call (one bulk request). The in-memory engine takes about twice as many
# documents a second in requests of 2,000 as in requests of 500 (the stream's batches are 200).
BATCH = 2000
# API searches answered by a canned engine, at least (about a millisecond each).
ALONE = 500

# The environment the app reads: emulated AWS with fake credentials, tracing and metrics off, and the
# log level a deployed stage has (INFO; the lines go to the null device).
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1", "TABLE_NAME": "marketplace-bench",
    "STAGE": "bench", "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "INFO", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    # A bulk request of hundreds of documents can take seconds on the in-memory engine; the app's 5 s
    # timeout would resend it (and the resent writes would be refused as already there).
    "SEARCH_TIMEOUT_SECONDS": "120",
}

# name, latitude, longitude, time zone, share of the providers, spread of the centre (1 sigma, km)
CITIES = (
    ("London", 51.5074, -0.1278, "Europe/London", 0.16, 9.0),
    ("Paris", 48.8566, 2.3522, "Europe/Paris", 0.14, 7.0),
    ("Berlin", 52.5200, 13.4050, "Europe/Berlin", 0.12, 8.0),
    ("Madrid", 40.4168, -3.7038, "Europe/Madrid", 0.11, 7.0),
    ("Rome", 41.9028, 12.4964, "Europe/Rome", 0.09, 7.0),
    ("Dublin", 53.3498, -6.2603, "Europe/Dublin", 0.09, 6.0),
    ("Warsaw", 52.2297, 21.0122, "Europe/Warsaw", 0.08, 7.0),
    ("Amsterdam", 52.3676, 4.9041, "Europe/Amsterdam", 0.07, 5.0),
    ("Vienna", 48.2082, 16.3738, "Europe/Vienna", 0.07, 6.0),
    ("Lisbon", 38.7223, -9.1393, "Europe/Lisbon", 0.07, 6.0),
)
# A quarter of each city's providers live in its wider region: three times the spread.
SUBURBS, SUBURB_SPREAD = 0.25, 3.0
KM_PER_DEGREE = 111.32

TRADES: Dict[str, Dict[str, Sequence[str]]] = {
    "cleaning": {
        "nouns": ("Cleaning", "Cleaners", "Maids", "Housekeeping", "Shine"),
        "services": ("Regular clean", "Deep clean", "End of tenancy clean", "Oven cleaning", "Window cleaning",
                     "Carpet cleaning", "Office cleaning", "Ironing"),
        "phrases": ("spotless kitchens and bathrooms", "eco-friendly products", "weekly or one-off visits",
                    "move-out cleans with a checklist", "fully insured cleaners", "we bring our own equipment"),
    },
    "home-repair": {
        "nouns": ("Handyman", "Home Repairs", "Fix-It", "Carpentry", "Renovations"),
        "services": ("Furniture assembly", "Shelf mounting", "Door repair", "Painting", "Tiling",
                     "Drywall patching", "TV mounting", "Window repair"),
        "phrases": ("small jobs done properly", "flat-pack furniture assembled", "painting and decorating",
                    "doors, locks and hinges", "tiling for kitchens and bathrooms", "no job too small"),
    },
    "plumbing": {
        "nouns": ("Plumbing", "Plumbers", "Pipes", "Drains", "Heating"),
        "services": ("Leak repair", "Boiler service", "Drain unblocking", "Tap replacement", "Toilet repair",
                     "Radiator bleeding", "Water heater installation", "Emergency callout"),
        "phrases": ("boilers and central heating", "leaks fixed the same day", "blocked drains cleared",
                    "gas safe engineers", "bathroom and kitchen plumbing", "emergency callouts"),
    },
    "beauty": {
        "nouns": ("Beauty", "Salon", "Nails", "Studio", "Hair"),
        "services": ("Haircut", "Manicure", "Pedicure", "Eyebrow shaping", "Facial", "Hair colouring",
                     "Makeup", "Eyelash extensions"),
        "phrases": ("nails, brows and lashes", "colour specialists", "bridal makeup", "relaxing facials",
                    "cuts for every hair type", "vegan products"),
    },
    "massage": {
        "nouns": ("Massage", "Spa", "Bodywork", "Wellness", "Therapies"),
        "services": ("Swedish massage", "Deep tissue massage", "Sports massage", "Hot stone massage",
                     "Aromatherapy", "Reflexology", "Thai massage", "Pregnancy massage"),
        "phrases": ("deep tissue and sports massage", "qualified therapists", "relieve back and neck pain",
                    "hot stones and aromatherapy oils", "a calm private room", "home visits available"),
    },
    "tutoring": {
        "nouns": ("Tutoring", "Tutors", "Academy", "Lessons", "Learning"),
        "services": ("Maths tutoring", "English lessons", "Physics tutoring", "Chemistry tutoring",
                     "Piano lessons", "Exam preparation", "Coding lessons", "Spanish lessons"),
        "phrases": ("exam preparation for all ages", "qualified teachers", "maths and science",
                    "languages from beginner to fluent", "online or in person", "homework help"),
    },
}
ADJECTIVES = ("Bright", "Swift", "Golden", "Green", "Urban", "Royal", "Happy", "Blue", "Prime", "True", "Silver",
              "North", "Oak", "Star", "Clear", "Maple", "Little", "Best", "Friendly", "Local", "Quick", "Modern")
SURNAMES = ("Smith", "Martin", "Müller", "García", "Rossi", "Murphy", "Nowak", "de Vries", "Gruber", "Silva",
            "Dubois", "Schmidt", "López", "Bianchi", "Kelly", "Kowalski", "Jansen", "Huber", "Santos", "Brown")
OPENERS = ("Family-run business offering", "Trusted by neighbours for", "Ten years of", "Friendly team for",
           "Book online:", "Reliable and punctual:")
STREETS = ("High Street", "Station Road", "Church Lane", "Market Square", "Park Avenue", "Mill Road", "King Street")
WORDS = {"cleaning": ("deep clean", "oven", "window cleaning", "end of tenancy"),
         "home-repair": ("furniture assembly", "painting", "tiling", "door repair"),
         "plumbing": ("boiler", "leak repair", "blocked drain", "radiator"),
         "beauty": ("manicure", "haircut", "eyelash", "facial"),
         "massage": ("deep tissue", "sports massage", "reflexology", "hot stone"),
         "tutoring": ("maths", "exam preparation", "piano", "spanish")}
WEEKDAYS_ONLY = (0, 1, 2, 3, 4)


# --- the providers -------------------------------------------------------------------------------

def _scatter(rng: random.Random, lat: float, lon: float, spread_km: float) -> Tuple[float, float]:
    """A point around (lat, lon), gaussian with `spread_km` (the wider region for a share of them)."""
    if rng.random() < SUBURBS:
        spread_km *= SUBURB_SPREAD
    north, east = rng.gauss(0, spread_km), rng.gauss(0, spread_km)
    return (round(lat + north / KM_PER_DEGREE, 6),
            round(lon + east / (KM_PER_DEGREE * math.cos(math.radians(lat))), 6))


class Calendar:
    """The next 61 local days of a time zone, and the UTC starts of each quarter of an hour from an opening hour."""

    def __init__(self, zone: ZoneInfo, now: datetime) -> None:
        today = now.astimezone(zone).date()
        self.zone = zone
        self.days = [(today + timedelta(days=offset)) for offset in range(61)]
        self.names = [day.isoformat() for day in self.days]
        self._starts: Dict[Tuple[int, int], List[str]] = {}

    def starts(self, offset: int, opens: int) -> List[str]:
        """Every quarter-hour start of the day `offset` from the local hour `opens` on, as UTC text (12 hours)."""
        found = self._starts.get((offset, opens))
        if found is None:
            day = self.days[offset]
            begin = datetime(day.year, day.month, day.day, opens, tzinfo=self.zone).astimezone(timezone.utc)
            begin = begin.replace(tzinfo=None)
            found = self._starts[(offset, opens)] = [
                f"{(begin + timedelta(minutes=15 * k)).isoformat()}Z" for k in range(48)]
        return found


def _availability(rng: random.Random, calendar: Calendar, now: datetime, min_notice: int, span_slots: int):
    """Free days over the next 60 local days and the starts of the first, as availability_of() would give."""
    from chalicelib.domain.search import Availability

    roll = rng.random()
    week = WEEKDAYS_ONLY if roll < 0.6 else WEEKDAYS_ONLY + (5,) if roll < 0.9 else tuple(range(7))
    opens = rng.choice((8, 9, 9, 10))
    closes = rng.choice((16, 17, 18, 18, 19, 20))
    busy = rng.uniform(0.0, 0.6)
    # Instants as UTC text of one format compare as the instants do.
    earliest = f"{(now + timedelta(minutes=min_notice)).astimezone(timezone.utc).replace(tzinfo=None).isoformat()}Z"
    quarters = (closes - opens) * 4 - span_slots + 1
    free_days: List[str] = []
    firsts: List[List[str]] = []
    for offset, day in enumerate(calendar.days):
        if day.weekday() not in week or rng.random() < busy:
            continue
        if len(firsts) < 2:
            starts = [start for start in calendar.starts(offset, opens)[:quarters]
                      if rng.random() > busy and start >= earliest]
            if not starts:
                continue
            firsts.append(starts)
        free_days.append(calendar.names[offset])
    if not firsts:
        return Availability()
    return Availability(free_days=free_days, first_day_starts=firsts[0],
                        second_day_start=firsts[1][0] if len(firsts) > 1 else None)


def generate(count: int, seed: int, now: datetime) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """(provider id, index document) for `count` generated providers, the same for the same seed and day."""
    from chalicelib.domain.entities import Provider, Rules, Service
    from chalicelib.domain.search import Availability, document_of
    from chalicelib.domain.timegrid import format_utc

    rng = random.Random(seed)
    categories = list(TRADES)
    shares = [city[4] for city in CITIES]
    calendars = {city[3]: Calendar(ZoneInfo(city[3]), now) for city in CITIES}
    rules = {minutes: Rules(min_notice_minutes=minutes) for minutes in (0, 60, 120, 1440)}
    stamp = format_utc(now)
    for _ in range(count):
        city, lat, lon, zone, _share, spread = rng.choices(CITIES, weights=shares)[0]
        provider_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        main = rng.choice(categories)
        kinds = [main] if rng.random() < 0.8 else [main, rng.choice([c for c in categories if c != main])]
        trade = TRADES[main]
        if rng.random() < 0.5:
            name = f"{rng.choice(ADJECTIVES)} {rng.choice(trade['nouns'])}"
        else:
            name = f"{rng.choice(SURNAMES)} {rng.choice(trade['nouns'])}"
        phrases = rng.sample(list(trade["phrases"]), 2)
        description = f"{rng.choice(OPENERS)} {phrases[0]} in {city}. Also {phrases[1]}."
        plat, plon = _scatter(rng, lat, lon, spread)
        address = f"{rng.randint(1, 240)} {rng.choice(STREETS)}, {city}"
        rated = rng.random() < 0.6
        rating = round(min(5.0, max(1.0, rng.gauss(4.3, 0.45))), 2) if rated else None
        reviews = max(1, int(rng.lognormvariate(2.3, 1.0))) if rated else 0
        notice = rng.choice((0, 60, 60, 120, 1440))
        provider = Provider(
            provider_id=provider_id, owner_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), name=name,
            description=description, categories=kinds, lat=plat, lon=plon, address=address, timezone=zone,
            rules=rules[notice], rating=rating, review_count=reviews, horizon_end=None, created_at=stamp,
            updated_at=stamp, version=1)
        services = []
        for category in kinds:
            for service_name in rng.sample(list(TRADES[category]["services"]), rng.randint(1, 4)):
                services.append(Service(
                    provider_id=provider_id, service_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    name=service_name, category=category, duration_minutes=rng.choice((30, 45, 60, 90)),
                    buffer_minutes=rng.choice((0, 0, 15)), price_amount=rng.randint(20, 150) * 100,
                    price_currency="GBP" if zone == "Europe/London" else "EUR",
                    active=rng.random() < 0.95, created_at=stamp, updated_at=stamp))
        active = [s for s in services if s.active]
        if active:
            span = min(-(-(s.duration_minutes + s.buffer_minutes) // 15) for s in active)
            availability = _availability(rng, calendars[zone], now, notice, span)
        else:
            availability = Availability()
        yield provider_id, document_of(provider, services, availability, now)


# --- the app's surroundings ----------------------------------------------------------------------

@contextmanager
def app_environment(engine_url: str) -> Iterator[Dict[str, str]]:
    """The app's settings pointed at the engine, a user pool with one signed-in customer; all undone after.

    Yields the headers of the customer's requests.
    """
    import boto3
    from moto import mock_aws

    from chalicelib.adapters import search as search_index
    from chalicelib.config import get_settings
    from local import bootstrap

    saved = dict(os.environ)
    jwks_url, jwks_server = bootstrap.serve_jwks()
    try:
        os.environ.update({**ENVIRONMENT, "JWKS_URL": jwks_url, "SEARCH_ENDPOINT": engine_url,
                           "SEARCH_INDEX": ALIAS})
        os.environ.pop("AWS_ENDPOINT_URL", None)
        with mock_aws(), _app_logs_discarded():
            cognito = boto3.client("cognito-idp")
            pool_id, client_id = bootstrap.create_user_pool(cognito, "bench")
            os.environ["USER_POOL_ID"], os.environ["USER_POOL_CLIENT_ID"] = pool_id, client_id
            get_settings.cache_clear()
            search_index.reset()
            email, password = "customer@bench.example", "Bench-pass-2026!"
            bootstrap.ensure_user(cognito, pool_id, email, password)
            token = bootstrap.sign_in(cognito, client_id, email, password)
            yield {"Authorization": f"Bearer {token}"}
    finally:
        jwks_server.shutdown()
        jwks_server.server_close()
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        search_index.reset()


@contextmanager
def _app_logs_discarded() -> Iterator[None]:
    """The app's logger at INFO, as deployed, writing to the null device; its level and stream restored."""
    from chalicelib.observability import logger

    handler = logger.registered_handler
    level = logger.log_level
    with open(os.devnull, "w") as sink:
        stream = handler.setStream(sink)
        logger.setLevel("INFO")
        try:
            yield
        finally:
            logger.setLevel(level)
            handler.setStream(stream)


# --- indexing ------------------------------------------------------------------------------------

@dataclass
class Indexing:
    documents: int
    index_seconds: float
    wall_seconds: float
    refresh_seconds: float
    batch: int

    @property
    def docs_per_second(self) -> float:
        """Documents written per second of bulk writing."""
        return self.documents / self.index_seconds if self.index_seconds else 0.0


def _batches(count: int, seed: int, batch: int, now: datetime, out: "queue.Queue") -> None:
    """Put the generated documents on `out` in lists of `batch`, then None (an exception instead, if any)."""
    try:
        pending: List[Tuple[str, Dict[str, Any]]] = []
        for item in generate(count, seed, now):
            pending.append(item)
            if len(pending) == batch:
                out.put(pending)
                pending = []
        if pending:
            out.put(pending)
        out.put(None)
    except BaseException as error:  # handed to the writer, which raises it
        out.put(error)


def index_providers(count: int, seed: int, batch: int, now: datetime) -> Indexing:
    """Create the index through the adapter and write `count` generated documents in bulk batches.

    The documents are generated a few batches ahead in a thread; only the writes are timed.
    """
    from chalicelib.adapters import search as search_index

    index = search_index.ensure_index()
    version = time.time_ns() // 1000
    made: "queue.Queue" = queue.Queue(maxsize=3)
    threading.Thread(target=_batches, args=(count, seed, batch, now, made), daemon=True).start()
    started, writing, done = time.perf_counter(), 0.0, 0
    while (documents := made.get()) is not None:
        if isinstance(documents, BaseException):
            raise documents
        changes = [(provider_id, document, version) for provider_id, document in documents]
        began = time.perf_counter()
        kept = search_index.write_documents(changes, [index])
        writing += time.perf_counter() - began
        if kept != len(changes):
            raise SystemExit(f"the index kept {kept} of {len(changes)} documents")
        done += len(changes)
        if done % (batch * 20) == 0 or done == count:
            print(f"  indexed {done:,}/{count:,} ({done / writing:,.0f}/s)", file=sys.stderr)
    wall = time.perf_counter() - started
    began = time.perf_counter()
    search_index.refresh()
    refreshed = time.perf_counter() - began
    held = search_index.count()
    if held != count:
        raise SystemExit(f"the index holds {held} documents, not {count}")
    return Indexing(count, round(writing, 2), round(wall, 2), round(refreshed, 3), batch)


# --- the searches --------------------------------------------------------------------------------

@dataclass
class Probe:
    """One search of the mix, prepared both ways: the API's path and the engine's body."""

    kind: str
    params: Dict[str, str]
    path: str
    body: Dict[str, Any]
    limit: int


def _near(rng: random.Random, city: tuple) -> Dict[str, str]:
    """A point within a few km of a city's centre and a radius, as query parameters."""
    lat, lon = _scatter(rng, city[1], city[2], 3.0)
    return {"lat": f"{lat:.4f}", "lon": f"{lon:.4f}", "radius_km": str(rng.choice((5, 10, 10, 15)))}


def _params(kind: str, rng: random.Random, today: date) -> Dict[str, str]:
    city = rng.choices(CITIES, weights=[c[4] for c in CITIES])[0]
    category = rng.choice(list(TRADES))
    if kind in ("relevance", "distance", "rating"):
        return {"category": category, **_near(rng, city), "sort": kind}
    if kind == "words":
        words = rng.choice(WORDS[category])
        where = _near(rng, city) if rng.random() < 0.7 else {}
        return {"q": words, **where}
    if kind == "available_on":
        day = today + timedelta(days=rng.randint(1, 30))
        return {"category": category, **_near(rng, city), "available_on": day.isoformat()}
    return {"category": category, **_near(rng, city), "sort": rng.choice(("relevance", "rating"))}


def _probe(kind: str, params: Dict[str, str]) -> Probe:
    from chalicelib.adapters.search import search_body
    from chalicelib.domain.search_query import decode_cursor, parse_search

    query = parse_search(params)
    return Probe(kind, params, f"/v1/search?{urlencode(params)}", search_body(query, decode_cursor(query)),
                 query.limit)


def _second_page(params: Dict[str, str], rng: random.Random, today: date) -> Dict[str, str]:
    """The search continued at its first page's cursor, widened or drawn again until it has one."""
    from chalicelib.domain.search_query import parse_search
    from chalicelib.service.search import search_providers

    # A small run leaves some city and category with one page even at 500 km: draw another search.
    for _ in range(50):
        for radius in (params["radius_km"], "25", "100", "500"):
            params["radius_km"] = radius
            cursor = search_providers(parse_search(params))["next_cursor"]
            if cursor:
                return {**params, "cursor": cursor}
        params = _params("page2", rng, today)
    raise SystemExit("no search of the mix has a second page; index more providers")


def probes(seed: int, variants: int, today: date) -> List[Probe]:
    """The search mix: `variants` searches of each kind; a second page continues its first page's cursor."""
    rng = random.Random(seed + 1)
    made = []
    for kind in KINDS:
        for _ in range(variants):
            params = _params(kind, rng, today)
            if kind == "page2":
                params = _second_page(params, rng, today)
            made.append(_probe(kind, params))
    return made


@dataclass
class Timings:
    engine: List[float] = field(default_factory=list)
    api: List[float] = field(default_factory=list)
    hits: List[int] = field(default_factory=list)


def _engine_ids(client, probe: Probe) -> Tuple[float, List[str]]:
    began = time.perf_counter()
    found = client.search(index=ALIAS, body=probe.body)
    took = time.perf_counter() - began
    return took, [hit["_source"]["provider_id"] for hit in found["hits"]["hits"][:probe.limit]]


def _api_ids(http, headers: Dict[str, str], probe: Probe) -> Tuple[float, List[str]]:
    began = time.perf_counter()
    response = http.get(probe.path, headers=headers)
    took = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(f"GET {probe.path} answered {response.status_code}: {response.body[:300]!r}")
    return took, [result["provider_id"] for result in json.loads(response.body)["results"]]


def measure(mix: List[Probe], http, headers: Dict[str, str], queries: int, warmup: int) -> Dict[str, Timings]:
    """Time `queries` searches of each side after `warmup` untimed ones, interleaved: kind -> timings."""
    from chalicelib.adapters.search import client

    engine = client()
    by_kind: Dict[str, List[Probe]] = {kind: [p for p in mix if p.kind == kind] for kind in KINDS}
    timings = {kind: Timings() for kind in KINDS}
    gc.collect()
    for i in range(warmup + queries):
        kind = KINDS[i % len(KINDS)]
        variant, turn = divmod(i // len(KINDS), len(by_kind[kind]))[::-1]
        probe = by_kind[kind][variant]
        # Which side goes first alternates from one search to the next, and for each search from one turn
        # of the mix to the next.
        if (i % len(KINDS) + variant + turn) % 2:
            (api_took, api_ids), (engine_took, engine_ids) = _api_ids(http, headers, probe), _engine_ids(engine, probe)
        else:
            (engine_took, engine_ids), (api_took, api_ids) = _engine_ids(engine, probe), _api_ids(http, headers, probe)
        if api_ids != engine_ids:
            raise SystemExit(f"the API and the engine disagree on {probe.path}:\n  api    {api_ids}\n"
                             f"  engine {engine_ids}")
        if i >= warmup:
            timings[kind].engine.append(engine_took * 1000)
            timings[kind].api.append(api_took * 1000)
            timings[kind].hits.append(len(api_ids))
    return timings


@contextmanager
def canned_engine(mix: List[Probe]) -> Iterator[None]:
    """The app's engine client swapped for one that answers each search of the mix from memory.

    The engine's answers are fetched once beforehand; what a search through the API then takes is the app
    alone (and the in-process gateway), without the engine and the network.
    """
    from chalicelib.adapters import search as search_index

    real = search_index.client()
    answers = {_key(p.body): real.search(index=ALIAS, body=p.body) for p in mix}

    class Canned:
        def search(self, index: str, body: Dict[str, Any]) -> Dict[str, Any]:
            return answers[_key(body)]

    search_index._client = Canned()
    try:
        yield
    finally:
        search_index._client = real


def _key(body: Dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True)


def measure_app_alone(mix: List[Probe], http, headers: Dict[str, str], count: int) -> List[float]:
    """Milliseconds of `count` API searches of the mix answered by a canned engine (after a few untimed)."""
    took = []
    with canned_engine(mix):
        for i in range(len(KINDS) + count):
            seconds, _ = _api_ids(http, headers, mix[i % len(mix)])
            if i >= len(KINDS):
                took.append(seconds * 1000)
    return took


def profile_api(mix: List[Probe], http, headers: Dict[str, str], count: int, top: int) -> str:
    """Where `count` API searches answered by a canned engine spend their time (cProfile), as text."""
    profiler = cProfile.Profile()
    with canned_engine(mix):
        profiler.enable()
        for i in range(count):
            _api_ids(http, headers, mix[i % len(mix)])
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --- the figures ---------------------------------------------------------------------------------

def _p95(values: List[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def side_figures(values: List[float]) -> Dict[str, float]:
    """p50, p95 (nearest rank) and mean, in ms, of one side's timings."""
    return {"n": len(values), "p50_ms": round(statistics.median(values), 3), "p95_ms": round(_p95(values), 3),
            "mean_ms": round(statistics.fmean(values), 3)}


def figures(engine: List[float], api: List[float], hits: List[int]) -> Dict[str, Any]:
    """Both sides' figures and the api/engine ratio of their p50s."""
    both = {"engine": side_figures(engine), "api": side_figures(api)}
    both["ratio_p50"] = round(both["api"]["p50_ms"] / both["engine"]["p50_ms"], 3)
    both["ratio_mean"] = round(both["api"]["mean_ms"] / both["engine"]["mean_ms"], 3)
    # What the app adds, search by search (both sides of a pair ran back to back).
    both["added_p50_ms"] = round(statistics.median(a - e for a, e in zip(api, engine)), 3)
    both["ratio_pairs_p50"] = round(statistics.median(a / e for a, e in zip(api, engine)), 3)
    both["mean_results"] = round(statistics.fmean(hits), 1)
    return both


def print_table(result: Dict[str, Any]) -> None:
    """The figures as a readable table."""
    indexing = result["indexing"]
    print(f"\nsearch over {result['providers']:,} providers, {result['machine']['cpu_count']} CPUs "
          f"({result['machine']['cpu_model']}), Python {result['machine']['python']}")
    print(f"indexing: {indexing['documents']:,} documents in {indexing['index_seconds']:.1f} s of bulk writes "
          f"({indexing['batch']} a request) = {indexing['docs_per_second']:,.0f} documents/s "
          f"({indexing['wall_seconds']:.1f} s in all, generating alongside); "
          f"refresh {indexing['refresh_seconds']:.2f} s")
    print(f"\nlatency, ms ({result['queries']} timed searches a side, interleaved; pairs: api/engine of each "
          f"search, added: api - engine of each search, their medians)")
    header = (f"{'kind':<13} {'n':>4} {'results':>7} | {'engine p50':>10} {'p95':>7} {'mean':>7} | "
              f"{'api p50':>8} {'p95':>7} {'mean':>7} | {'api/engine p50':>14} {'pairs p50':>9} {'added p50':>9}")
    print(header)
    print("-" * len(header))
    rows = [*result["by_kind"].items(), ("overall", result["overall"])]
    for kind, row in rows:
        engine, api = row["engine"], row["api"]
        print(f"{kind:<13} {engine['n']:>4} {row['mean_results']:>7} | {engine['p50_ms']:>10.2f} "
              f"{engine['p95_ms']:>7.2f} {engine['mean_ms']:>7.2f} | {api['p50_ms']:>8.2f} {api['p95_ms']:>7.2f} "
              f"{api['mean_ms']:>7.2f} | {row['ratio_p50']:>14.2f} {row['ratio_pairs_p50']:>9.3f} "
              f"{row['added_p50_ms']:>9.2f}")
    alone = result["app_alone"]
    print(f"\nthe app alone (the API with the engine's answers canned): p50 {alone['p50_ms']:.2f} ms, "
          f"p95 {alone['p95_ms']:.2f} ms, mean {alone['mean_ms']:.2f} ms")
    verdict = "within" if result["overall"]["ratio_p50"] <= TARGET_RATIO else "over"
    print(f"\napi/engine p50 {result['overall']['ratio_p50']:.2f}: {verdict} the target of {TARGET_RATIO}")


# --- main ----------------------------------------------------------------------------------------

def main(argv: Optional[List[str]] = None) -> int:
    """Run the benchmark; print the table and write the JSON figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=int, default=100_000, help="providers to index (default 100000)")
    parser.add_argument("--queries", type=int, default=200, help="timed searches a side (default 200)")
    parser.add_argument("--warmup", type=int, default=12, help="untimed searches first (default 12)")
    parser.add_argument("--variants", type=int, default=8, help="different searches of each kind (default 8)")
    parser.add_argument("--batch", type=int, default=BATCH, help=f"documents a bulk request (default {BATCH})")
    parser.add_argument("--seed", type=int, default=7, help="seed of the providers and the searches (default 7)")
    parser.add_argument("--json", metavar="PATH", default=str(DEFAULT_JSON.relative_to(ROOT)),
                        help="write the figures here (default bench/results-search.json)")
    parser.add_argument("--profile", type=int, metavar="N", default=0,
                        help="after the timed loop, profile N more API searches and print the hot spots")
    parser.add_argument("--part", metavar="PATH",
                        help="as a part of make bench: write the part's figures here (and --json only if given)")
    parser.add_argument("--quick", action="store_true", help="2,000 providers and 30 searches a side")
    args = parser.parse_args(argv)
    if args.quick:
        args.providers, args.queries = min(args.providers, 2000), min(args.queries, 30)
    if args.providers < 1 or args.queries < len(KINDS):
        parser.error(f"--providers must be at least 1 and --queries at least {len(KINDS)}")

    from chalice.test import Client
    from osmem_server import OsmemServer

    from bench.common import load_average, machine

    now = datetime.now(timezone.utc).replace(microsecond=0)
    load_at_start = load_average()
    server = OsmemServer.start(freeze=False, japanese=False)
    try:
        with app_environment(server.url) as headers:
            print(f"indexing {args.providers:,} generated providers ...", file=sys.stderr)
            indexing = index_providers(args.providers, args.seed, args.batch, now)
            import app

            with Client(app.app) as test_client:
                mix = probes(args.seed, args.variants, now.date())
                print(f"timing {args.queries} searches a side after {args.warmup} untimed ...", file=sys.stderr)
                timings = measure(mix, test_client.http, headers, args.queries, args.warmup)
                alone = measure_app_alone(mix, test_client.http, headers, max(args.queries, ALONE))
                report = profile_api(mix, test_client.http, headers, args.profile, 30) if args.profile else ""
    finally:
        server.close()

    every = Timings([t for k in KINDS for t in timings[k].engine], [t for k in KINDS for t in timings[k].api],
                    [h for k in KINDS for h in timings[k].hits])
    result = {
        "benchmark": "search",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "load_average": {"at_start": load_at_start, "at_end": load_average()},
        "providers": args.providers,
        "queries": args.queries,
        "warmup": args.warmup,
        "seed": args.seed,
        "page_size": PAGE,
        "method": "each search asked of the engine (the API's own request body, through the app's client) and "
                  "of the API (GET /v1/search in-process, a verified Cognito ID token) in the same loop, "
                  "the order alternated; p95 is the nearest rank",
        "indexing": {**vars(indexing), "docs_per_second": round(indexing.docs_per_second, 1)},
        "overall": figures(every.engine, every.api, every.hits),
        "by_kind": {kind: figures(timings[kind].engine, timings[kind].api, timings[kind].hits) for kind in KINDS},
        "app_alone": side_figures(alone),
        "ids_matched": True,
        "target_ratio_p50": TARGET_RATIO,
    }
    print_table(result)
    if report:
        print(f"\nprofile of {args.profile} API searches (not counted above):\n{report}")
    if args.part:
        from bench.common import write_part

        part = as_part(result)
        write_part(part, Path(args.part))
        if not any(arg == "--json" or arg.startswith("--json=") for arg in (argv or sys.argv[1:])):
            return 1 if part.misses() else 0
    path = Path(args.json)
    path = path if path.is_absolute() else ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


def as_part(result: Dict[str, Any]):
    """The run as a part of make bench: search_ratio (API/engine of the p50s) and the latencies."""
    from bench.common import Part

    overall = result["overall"]
    figures = {
        "search_ratio": overall["ratio_p50"],
        "search_providers": result["providers"],
        "search_latency_ms": {side: {"p50": overall[side]["p50_ms"], "p95": overall[side]["p95_ms"]}
                              for side in ("engine", "api")},
        "search_app_alone_ms": result["app_alone"],
        "search_indexing_docs_per_second": result["indexing"]["docs_per_second"],
    }
    rows = [
        ("search: API / engine, p50", f"{overall['ratio_p50']:.2f} over {result['providers']:,} providers"),
        ("search: engine p50 / p95", f"{overall['engine']['p50_ms']:.1f} / {overall['engine']['p95_ms']:.1f} ms"),
        ("search: API p50 / p95", f"{overall['api']['p50_ms']:.1f} / {overall['api']['p95_ms']:.1f} ms"),
        ("search: indexing", f"{result['indexing']['docs_per_second']:,.0f} documents/s"),
    ]
    details = {"by_kind": result["by_kind"], "indexing": result["indexing"], "queries": result["queries"]}
    return Part("search", figures, {"search_ratio": ("<=", TARGET_RATIO)}, rows, details)


if __name__ == "__main__":
    sys.exit(main())
