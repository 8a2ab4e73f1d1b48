"""Search, the pure part: what the index holds of a provider and what a result shows (no engine here).

The index is a read model of the table: one document per provider, rebuilt from the table whenever the
stream says something of that provider changed (see docs/search.md). Relevance, distances and the
availability summary are decided here so the engine adapter only translates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional

from chalicelib.domain.availability import fitting_starts, slots_needed
from chalicelib.domain.entities import FREE, HELD, Provider, Service, SlotState
from chalicelib.domain.timegrid import booking_window, format_utc, local_date, read_instant, read_zone

if TYPE_CHECKING:  # the query's model is pydantic: only the API, which parses searches, loads it
    from chalicelib.domain.search_query import SearchQuery

# The mean rating a provider with few reviews is pulled towards, and how many reviews' weight it has.
PRIOR_RATING, PRIOR_WEIGHT = 3.5, 5
# The mean radius of the Earth, as OpenSearch's arc distance uses it.
EARTH_RADIUS_KM = 6371.0087714
# A document is rebuilt at least this often, even when nothing of the provider changes (a new day
# enters the booking horizon; today's last free time passes).
MAX_DOCUMENT_AGE = timedelta(hours=12)


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
