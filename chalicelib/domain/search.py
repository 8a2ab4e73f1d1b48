"""Search, the pure part: what a search asks, what the index holds of a provider, cursors (no engine here).

The index is a read model of the table: one document per provider, rebuilt from the table whenever the
stream says something of that provider changed (see docs/search.md). Relevance, distances and the
availability summary are decided here so the engine adapter only translates.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Dict, Iterable, List, Literal, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.availability import fitting_starts, slots_needed
from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.errors import InvalidRequest, NotOurCursor
from chalicelib.domain.model import FREE, HELD, Provider, Service, SlotState, _no_controls
from chalicelib.domain.timegrid import booking_window, format_utc, local_date, read_instant, read_zone

SORTS = ("relevance", "distance", "rating")
DEFAULT_RADIUS_KM = 25.0
MAX_RADIUS_KM = 500.0
MAX_WORDS = 200
# The mean rating a provider with few reviews is pulled towards, and how many reviews' weight it has.
PRIOR_RATING, PRIOR_WEIGHT = 3.5, 5
# The distance decay of relevance: full score within OFFSET, half at OFFSET + SCALE (SCALE grows with the radius).
DECAY_OFFSET_KM, MIN_DECAY_SCALE_KM = 1.0, 2.0
# The mean radius of the Earth, as OpenSearch's arc distance uses it.
EARTH_RADIUS_KM = 6371.0087714
# A document is rebuilt at least this often, even when nothing of the provider changes (a new day
# enters the booking horizon; today's last free time passes).
MAX_DOCUMENT_AGE = timedelta(hours=12)


class SearchQuery(BaseModel):
    """The parameters of GET /v1/search, checked: every refusal says what to fix."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    category: Optional[str] = Field(default=None, description="A category id from GET /v1/categories.")
    q: Optional[str] = Field(default=None, max_length=MAX_WORDS,
                             description="Words to find in names, services and descriptions.")
    lat: Optional[float] = Field(default=None, ge=-90, le=90, description="Where to search from; needs lon.")
    lon: Optional[float] = Field(default=None, ge=-180, le=180, description="Where to search from; needs lat.")
    radius_km: Optional[float] = Field(default=None, gt=0, le=MAX_RADIUS_KM,
                                       description=f"Needs lat/lon; default {DEFAULT_RADIUS_KM:g}.")
    sort: Literal["relevance", "distance", "rating"] = Field(
        default="relevance", description="distance needs lat/lon; relevance combines words, distance and rating.")
    available_on: Optional[date] = Field(default=None,
                                         description="Only providers with a free time that day (their local date).")
    limit: int = Field(default=20, ge=1, le=100)
    cursor: Optional[str] = Field(default=None, max_length=2048, description="next_cursor of the page before.")

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and value not in CATEGORIES:
            raise ValueError(f"unknown category; one of {', '.join(CATEGORIES)}")
        return value

    @field_validator("q")
    @classmethod
    def _words(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        _no_controls(value)
        value = " ".join(value.split())
        return value or None

    @field_validator("lat", "lon", "radius_km")
    @classmethod
    def _finite(cls, value: Optional[float]) -> Optional[float]:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _together(self) -> "SearchQuery":
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon: send both or neither")
        if self.radius_km is not None and self.lat is None:
            raise ValueError("radius_km: needs lat and lon")
        if self.sort == "distance" and self.lat is None:
            raise ValueError("sort=distance: needs lat and lon")
        return self

    @property
    def located(self) -> bool:
        """Whether the search has a place to measure distances from."""
        return self.lat is not None

    @property
    def radius(self) -> float:
        """The radius in km (the default when not given)."""
        return DEFAULT_RADIUS_KM if self.radius_km is None else self.radius_km

    @property
    def decay_scale_km(self) -> float:
        """How far past DECAY_OFFSET_KM relevance halves: a quarter of the radius, at least 2 km."""
        return max(MIN_DECAY_SCALE_KM, self.radius / 4)

    def fingerprint(self) -> str:
        """What a cursor must have been made for: every parameter but the page."""
        shown = self.model_dump(mode="json", exclude={"limit", "cursor"})
        return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


def parse_search(params: Dict[str, str]) -> SearchQuery:
    """The query parameters of a search as a SearchQuery; InvalidRequest naming what to fix."""
    from pydantic import ValidationError

    # Empty is absent (docs/api.md), for the checks below as for the model.
    params = {name: value for name, value in params.items() if value != ""}
    for name in ("lat", "lon", "radius_km", "limit"):
        text = params.get(name)
        # Plain decimal numbers only: no "nan", "inf", "1e3" or "0x10".
        if text is not None and not re.fullmatch(r"[+-]?(?:[0-9]{1,12}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})", text):
            raise InvalidRequest(f"{name}: a decimal number like {'25' if name != 'lat' else '51.5'}, not {text[:40]!r}")
    if params.get("limit") is not None and not re.fullmatch(r"[0-9]{1,3}", params["limit"]):
        raise InvalidRequest("limit: a whole number from 1 to 100")
    if params.get("available_on") is not None and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
                                                                    params["available_on"]):
        raise InvalidRequest("available_on: a date like 2026-12-01")
    try:
        return SearchQuery.model_validate(params)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "query"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "literal_error":
            message = f"one of {', '.join(SORTS)}"
        raise InvalidRequest(f"{where}: {message}" if where != "query" else message) from None


def encode_cursor(query: SearchQuery, after: Sequence[Any]) -> str:
    """The cursor of the page after the hit whose sort values are `after`."""
    raw = json.dumps({"q": query.fingerprint(), "after": list(after)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: SearchQuery) -> Optional[List[Any]]:
    """The sort values a cursor carries; NotOurCursor when it was not made for this same search."""
    if not query.cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(query.cursor + "=" * (-len(query.cursor) % 4))
        wrapper = json.loads(raw)
        after = wrapper["after"]
        fits = wrapper["q"] == query.fingerprint() and isinstance(after, list) and 2 <= len(after) <= 3
        if not fits or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in after):
            raise ValueError
        if not isinstance(after[-1], str) or any(isinstance(v, float) and not math.isfinite(v) for v in after):
            raise ValueError
    # RecursionError: JSON nested deeper than the reader recurses ("[[[[..."), well within 2048 characters.
    except (ValueError, KeyError, TypeError, RecursionError):
        raise NotOurCursor("cursor: not a cursor from a previous answer to this same search; start again "
                           "without it") from None
    return after


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points (haversine), in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def rating_rank(rating: Optional[float], review_count: int) -> float:
    """The rating factor of relevance, 0.6 to 1.0: the mean rating pulled towards 3.5 while reviews are few."""
    total = (rating or 0.0) * review_count + PRIOR_RATING * PRIOR_WEIGHT
    return round(0.5 + 0.1 * total / (review_count + PRIOR_WEIGHT), 4)


@dataclass(frozen=True)
class Availability:
    """What the index keeps of a provider's free time.

    `free_days` are the local dates with at least one start of some active service. The starts of the
    first such day are kept (`first_day_starts`) with the first start of the next one, so the next free
    time stays right as the clock passes them; once the first day's last start can no longer be booked (it is
    inside the booking notice) the document is stale and rebuilt (`stale_after`).
    """

    free_days: List[str] = field(default_factory=list)
    first_day_starts: List[str] = field(default_factory=list)
    second_day_start: Optional[str] = None


def availability_of(provider: Provider, services: Iterable[Service], slots: Iterable[SlotState],
                    now: datetime) -> Availability:
    """The free days and next starts of a provider at `now`, counting held time as free.

    A hold lasts minutes and its end (a booking, a release) is what changes availability for good; no
    stream record marks a lapse, so the index would otherwise keep a lapsed hold's time as taken.
    """
    active = [s for s in services if s.active]
    if not active:
        return Availability()
    span = min(slots_needed(s.duration_minutes, s.buffer_minutes) for s in active)
    tz = read_zone(provider.timezone)
    earliest, last_day = booking_window(now, tz, provider.rules.min_notice_minutes, provider.rules.max_days_ahead)
    free = (s.start for s in slots if s.in_hours and s.status in (FREE, HELD))
    by_day: Dict[date, List[datetime]] = {}
    for start in fitting_starts(free, span):
        if start < earliest:
            continue
        day = local_date(start, tz)
        if day > last_day:
            break
        by_day.setdefault(day, []).append(start)
    days = sorted(by_day)
    if not days:
        return Availability()
    return Availability(free_days=[d.isoformat() for d in days],
                        first_day_starts=[format_utc(s) for s in by_day[days[0]]],
                        second_day_start=format_utc(by_day[days[1]][0]) if len(days) > 1 else None)


def document_of(provider: Provider, services: Iterable[Service], availability: Availability,
                now: datetime) -> Dict[str, Any]:
    """The index document of a provider."""
    services = list(services)
    stale_after = now + MAX_DOCUMENT_AGE
    if availability.first_day_starts:
        # The first day stops being a free day when its last start comes inside the booking notice.
        last_bookable = read_instant(availability.first_day_starts[-1]) - timedelta(
            minutes=provider.rules.min_notice_minutes)
        stale_after = min(stale_after, last_bookable)
    return {
        "provider_id": provider.provider_id,
        "name": provider.name,
        "description": provider.description,
        "service_names": sorted({s.name for s in services if s.active}),
        "categories": list(provider.categories),
        "location": {"lat": provider.lat, "lon": provider.lon},
        "address": provider.address,
        "timezone": provider.timezone,
        "rating": provider.rating,
        "review_count": provider.review_count,
        "rating_rank": rating_rank(provider.rating, provider.review_count),
        # Unrated sorts after every rating (1 to 5) without the engine's handling of missing values.
        "rating_sort": provider.rating or 0.0,
        "min_notice_minutes": provider.rules.min_notice_minutes,
        "free_days": availability.free_days,
        "first_day_starts": availability.first_day_starts,
        "second_day_start": availability.second_day_start,
        "next_available": (availability.first_day_starts or [None])[0],
        "stale_after": format_utc(stale_after),
        "indexed_at": format_utc(now),
    }


def next_available(document: Dict[str, Any], now: datetime) -> Optional[str]:
    """The first start still open at `now` by the document: it may have passed since it was indexed."""
    earliest = format_utc(now + timedelta(minutes=int(document.get("min_notice_minutes") or 0)))
    for start in document.get("first_day_starts") or ():
        if start >= earliest:
            return start
    second = document.get("second_day_start")
    return second if second and second >= earliest else None


def result_of(document: Dict[str, Any], query: SearchQuery, now: datetime) -> Dict[str, Any]:
    """One search result from an index document."""
    location = document["location"]
    distance = None
    if query.located:
        distance = round(distance_km(query.lat, query.lon, location["lat"], location["lon"]), 2)
    return {
        "provider_id": document["provider_id"], "name": document["name"], "categories": document["categories"],
        "location": {"lat": location["lat"], "lon": location["lon"], "address": document.get("address")},
        "distance_km": distance, "rating": document.get("rating"), "review_count": document.get("review_count", 0),
        "next_available": next_available(document, now),
    }
