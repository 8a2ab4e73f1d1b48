"""Search without an engine: the checked query, cursors, the availability summary and the document of a provider,
results, the service that keeps the index (over tests/unit/fakes_search.py) and the stream function that calls it."""
from __future__ import annotations

import base64
import dataclasses
import json
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Optional, Union

import pytest

from chalicelib.adapters.search import MAPPING
from chalicelib.domain import search as domain
from chalicelib.domain.entities import BLOCKED, BOOKED, FREE, HELD, Provider, Rules, Service, SlotState
from chalicelib.domain.errors import InvalidRequest, NotOurCursor
from chalicelib.domain.search import (
    MAX_DOCUMENT_AGE,
    availability_of,
    distance_km,
    document_of,
    next_available,
    rating_rank,
    result_of,
)
from chalicelib.domain.search_query import decode_cursor, encode_cursor, parse_search
from chalicelib.domain.timegrid import SLOT, format_utc, read_zone
from chalicelib.service import indexing, stores
from chalicelib.service import search as search_service
from tests.unit.conftest import NOW
from tests.unit.fakes import FakeState
from tests.unit.fakes_search import FakeSearchIndex

UTC = timezone.utc
LONDON = (51.5074, -0.1278)
PARIS = (48.8566, 2.3522)


def utc(text: str) -> datetime:
    """An instant from '2026-12-01T09:00' or '2026-12-01T09:00:00Z'."""
    return datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=UTC)


def z(text: str) -> str:
    """'2026-12-01T09:00' as the index writes it: '2026-12-01T09:00:00Z'."""
    return format_utc(utc(text))


def provider(pid: str = "p1", zone: str = "Europe/London", min_notice: int = 0, max_days_ahead: int = 60,
             rating: Optional[float] = None, review_count: int = 0, lat: float = LONDON[0], lon: float = LONDON[1],
             name: str = "Calm", categories=("massage",)) -> Provider:
    return Provider(provider_id=pid, owner_id="owner", name=name, description="Deep tissue and more",
                    categories=list(categories), lat=lat, lon=lon, address="1 High St", timezone=zone,
                    rules=Rules(min_notice_minutes=min_notice, max_days_ahead=max_days_ahead),
                    rating=rating, review_count=review_count, horizon_end=None, created_at="2026-11-01T08:00:00Z",
                    updated_at="2026-11-01T08:00:00Z", version=1)


def service(minutes: int = 15, active: bool = True, sid: str = "s1", pid: str = "p1", buffer: int = 0,
            name: str = "Massage") -> Service:
    return Service(provider_id=pid, service_id=sid, name=name, category="massage", duration_minutes=minutes,
                   buffer_minutes=buffer, price_amount=4500, price_currency="GBP", active=active,
                   created_at="2026-11-01T08:00:00Z", updated_at="2026-11-01T08:00:00Z")


def free(first: str, last: str, status: str = FREE, in_hours: bool = True) -> List[SlotState]:
    """Slots from first to last (UTC starts, both included), every 15 minutes."""
    out, current = [], utc(first)
    while current <= utc(last):
        out.append(SlotState(start=current, status=status, in_hours=in_hours))
        current += SLOT
    return out


def week(days: Iterable[str] = ("01", "02", "03", "04"), first: str = "09:00", last: str = "09:45") -> List[SlotState]:
    """The same free hour on each of the December 2026 days given (London is on UTC in December)."""
    return [s for day in days for s in free(f"2026-12-{day}T{first}", f"2026-12-{day}T{last}")]


def refused(params: Dict[str, str]) -> str:
    with pytest.raises(InvalidRequest) as caught:
        parse_search(params)
    return caught.value.message


# --- 1. parse_search ------------------------------------------------------------------------------

PLACE = {"lat": "51.5", "lon": "-0.1"}


@pytest.mark.parametrize("params, named", [
    ({"category": "yoga"}, "category:"),
    ({"lat": "51.5"}, "lat and lon"),
    ({"lon": "-0.1"}, "lat and lon"),
    ({"radius_km": "5"}, "radius_km:"),
    ({**PLACE, "radius_km": "0"}, "radius_km:"),
    ({**PLACE, "radius_km": "501"}, "radius_km:"),
    ({**PLACE, "radius_km": "nan"}, "radius_km:"),
    ({**PLACE, "radius_km": "1e3"}, "radius_km:"),
    ({**PLACE, "radius_km": "inf"}, "radius_km:"),
    ({"lat": "91", "lon": "0"}, "lat:"),
    ({"lat": "0", "lon": "-180.5"}, "lon:"),
    ({"sort": "distance"}, "sort=distance"),
    ({"sort": "price"}, "sort:"),
    ({"available_on": "2026-2-1"}, "available_on:"),
    ({"available_on": "tomorrow"}, "available_on:"),
    ({"available_on": "2026-02-30"}, "available_on:"),
    ({"limit": "0"}, "limit:"),
    ({"limit": "101"}, "limit:"),
    ({"limit": "ten"}, "limit:"),
    ({"limit": "2.5"}, "limit:"),
    ({"q": "a" * 201}, "q:"),
    ({"q": "deep\x00tissue"}, "q:"),
    ({"q": "deep\ttissue"}, "q:"),
    ({"cursor": "a" * 2049}, "cursor:"),
])
def test_every_refusal_names_the_parameter_to_fix(params, named):
    assert refused(params).startswith(named)


def test_the_defaults():
    query = parse_search({})
    assert (query.sort, query.radius, query.limit, query.located, query.q, query.cursor) == (
        "relevance", 25.0, 20, False, None, None)


def test_accepted_forms():
    query = parse_search({"category": "massage", "q": "  deep \u00a0 tissue   massage ", **PLACE, "radius_km": "2.5",
                          "sort": "distance", "available_on": "2026-12-02", "limit": "100"})
    assert query.q == "deep tissue massage"
    assert (query.lat, query.lon, query.radius, query.sort) == (51.5, -0.1, 2.5, "distance")
    assert query.available_on == date(2026, 12, 2) and query.limit == 100
    assert parse_search({"q": "a" * 200}).q == "a" * 200
    assert parse_search({"q": "   "}).q is None
    assert parse_search({"lat": "-90", "lon": "180", "radius_km": "500"}).radius == 500


def test_empty_parameters_are_absent():
    # docs/api.md: a query parameter sent empty counts as not sent.
    every = ("category", "q", "lat", "lon", "radius_km", "sort", "available_on", "limit", "cursor")
    assert parse_search({name: "" for name in every}) == parse_search({})
    assert refused({"lat": "51.5", "lon": ""}).startswith("lat and lon")


# --- 2. cursors -----------------------------------------------------------------------------------

def with_cursor(params: Dict[str, str], cursor: str):
    return parse_search({**params, "cursor": cursor})


def raw_cursor(content: Any, text: Union[str, bytes, None] = None) -> str:
    """A cursor of JSON `content`, or of `text` as it is."""
    raw = json.dumps(content) if text is None else text
    raw = raw.encode() if isinstance(raw, str) else raw
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("params, after", [
    ({}, [0.9312, "p1"]),
    ({**PLACE, "sort": "distance"}, [1.25, "p7"]),
    ({"sort": "rating"}, [4.5, 12, "p3"]),
    ({"q": "massage", "category": "massage"}, [3, "p2"]),
])
def test_a_cursor_gives_back_the_values_it_was_made_of(params, after):
    cursor = encode_cursor(parse_search(params), after)
    assert "=" not in cursor
    assert decode_cursor(with_cursor(params, cursor)) == after
    assert decode_cursor(parse_search(params)) is None


SEARCH = {"category": "massage", "q": "deep tissue", **PLACE, "sort": "distance", "available_on": "2026-12-02"}


@pytest.mark.parametrize("other", [
    {**SEARCH, "category": "beauty"},
    {**SEARCH, "q": "deep"},
    {**SEARCH, "lat": "51.6"},
    {**SEARCH, "lon": "0.1"},
    {**SEARCH, "radius_km": "5"},
    {**SEARCH, "sort": "relevance"},
    {**SEARCH, "available_on": "2026-12-03"},
])
def test_a_cursor_made_for_another_search_is_refused(other):
    cursor = encode_cursor(parse_search(SEARCH), [1.5, "p1"])
    assert decode_cursor(with_cursor(SEARCH, cursor)) == [1.5, "p1"]
    with pytest.raises(NotOurCursor):
        decode_cursor(with_cursor(other, cursor))


def test_limit_and_the_cursor_itself_are_not_part_of_the_search():
    first = parse_search({**SEARCH, "limit": "5"})
    cursor = encode_cursor(first, [1.5, "p1"])
    assert parse_search({**SEARCH, "limit": "50", "cursor": cursor}).fingerprint() == first.fingerprint()
    assert decode_cursor(parse_search({**SEARCH, "limit": "50", "cursor": cursor})) == [1.5, "p1"]
    # Words are compared as collapsed: the same search typed with other spacing is the same search.
    assert parse_search({**SEARCH, "q": " deep   tissue "}).fingerprint() == first.fingerprint()


def _ours(after: Any) -> Dict[str, Any]:
    return {"q": parse_search({}).fingerprint(), "after": after}


@pytest.mark.parametrize("cursor", [
    "!!!!", "abc", "é", raw_cursor(None, "not json"), raw_cursor(None, b"\xff\xfe"),
    raw_cursor([1, "p1"]), raw_cursor("p1"), raw_cursor(7), raw_cursor(None), raw_cursor({"after": [1, "p1"]}),
    raw_cursor({"q": parse_search({}).fingerprint()}),
    raw_cursor(_ours("p1")), raw_cursor(_ours(["p1"])), raw_cursor(_ours([1, 2, 3, "p1"])),
    raw_cursor(_ours([1, 2])), raw_cursor(_ours([[1], "p1"])), raw_cursor(_ours([{"a": 1}, "p1"])),
    raw_cursor(_ours([None, "p1"])), raw_cursor(_ours([True, "p1"])), raw_cursor(_ours([1, False, "p1"])),
    raw_cursor(None, '{"q": "%s", "after": [NaN, "p1"]}' % parse_search({}).fingerprint()),
    raw_cursor(None, '{"q": "%s", "after": [Infinity, "p1"]}' % parse_search({}).fingerprint()),
    raw_cursor(None, '{"q": "%s", "after": [-Infinity, 2, "p1"]}' % parse_search({}).fingerprint()),
    raw_cursor(None, '{"q": "%s", "after": [1e999, "p1"]}' % parse_search({}).fingerprint()),
    # Nesting deeper than the JSON reader recurses (within the cursor's 2048 characters).
    raw_cursor(None, "[" * 1500),
])
def test_garbage_and_wrong_shapes_are_not_our_cursor(cursor):
    assert len(cursor) <= 2048
    with pytest.raises(NotOurCursor):
        decode_cursor(with_cursor({}, cursor))


# --- 3. availability_of ---------------------------------------------------------------------------

def test_free_days_and_the_first_days_starts_of_a_simple_week():
    # Given an hour free on four days, and a 30-minute service
    found = availability_of(provider(), [service(30)], week(), NOW)
    # Then each day is a free day, and the first day's starts are those where 30 minutes fit
    assert found.free_days == ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    assert found.first_day_starts == [z("2026-12-01T09:00"), z("2026-12-01T09:15"), z("2026-12-01T09:30")]
    assert found.second_day_start == z("2026-12-02T09:00")


def test_one_free_day_has_no_second_day_start():
    found = availability_of(provider(), [service(15)], week(["03"]), NOW)
    assert found.free_days == ["2026-12-03"] and found.second_day_start is None


def test_the_shortest_active_service_decides():
    half_hour = week(first="09:00", last="09:15")  # two slots a day
    # Only a 60-minute service: nothing fits
    assert availability_of(provider(), [service(60)], half_hour, NOW) == domain.Availability()
    # A 30-minute one beside it: one start a day
    both = availability_of(provider(), [service(60, sid="s1"), service(30, sid="s2")], half_hour, NOW)
    assert both.first_day_starts == [z("2026-12-01T09:00")] and len(both.free_days) == 4
    # An inactive 15-minute one is ignored
    inactive = availability_of(provider(), [service(30, sid="s2"), service(15, sid="s3", active=False)], half_hour,
                               NOW)
    assert inactive == both
    # The buffer counts: 15 minutes and a 15-minute buffer need two slots
    assert availability_of(provider(), [service(15, buffer=15)], half_hour, NOW) == both


def test_no_active_service_means_nothing():
    assert availability_of(provider(), [], week(), NOW) == domain.Availability()
    assert availability_of(provider(), [service(15, active=False)], week(), NOW) == domain.Availability()


def test_min_notice_excludes_starts_too_soon():
    # Now is 08:00; 90 minutes' notice: the first start is 09:30
    found = availability_of(provider(min_notice=90), [service(15)], week(), NOW)
    assert found.first_day_starts == [z("2026-12-01T09:30"), z("2026-12-01T09:45")]
    # A day's notice: today is gone, and tomorrow before 08:00 too
    later = availability_of(provider(min_notice=24 * 60), [service(15)], week(), NOW)
    assert later.free_days[0] == "2026-12-02" and later.first_day_starts[0] == z("2026-12-02T09:00")


def test_max_days_ahead_cuts_later_days():
    found = availability_of(provider(max_days_ahead=2), [service(15)], week(), NOW)
    assert found.free_days == ["2026-12-01", "2026-12-02", "2026-12-03"]


def test_held_time_counts_as_free_booked_blocked_and_out_of_hours_do_not():
    slots = (free("2026-12-01T09:00", "2026-12-01T09:00", HELD) + free("2026-12-01T09:15", "2026-12-01T09:15", BOOKED)
             + free("2026-12-01T09:30", "2026-12-01T09:30", BLOCKED)
             + free("2026-12-01T09:45", "2026-12-01T09:45", FREE, in_hours=False)
             + free("2026-12-01T10:00", "2026-12-01T10:00", FREE))
    found = availability_of(provider(), [service(15)], slots, NOW)
    assert found.first_day_starts == [z("2026-12-01T09:00"), z("2026-12-01T10:00")]


def test_a_60_minute_service_needs_four_free_slots_back_to_back():
    hour = free("2026-12-01T09:00", "2026-12-01T09:45")
    assert availability_of(provider(), [service(60)], hour, NOW).first_day_starts == [z("2026-12-01T09:00")]
    # A slot taken in the middle breaks the run
    gap = [s if s.start != utc("2026-12-01T09:30") else dataclasses.replace(s, status=BOOKED) for s in hour]
    assert availability_of(provider(), [service(60)], gap, NOW).free_days == []
    # A missing slot too
    assert availability_of(provider(), [service(60)], [s for s in hour if s.start != utc("2026-12-01T09:15")],
                           NOW).free_days == []
    # Five back to back give two starts
    five = free("2026-12-01T09:00", "2026-12-01T10:00")
    assert availability_of(provider(), [service(60)], five, NOW).first_day_starts == [
        z("2026-12-01T09:00"), z("2026-12-01T09:15")]


def test_local_dates_across_london_spring_forward():
    # On 2026-03-29 London goes from 01:00 GMT to 02:00 BST: UTC 23:15 is 23:15 local on the 28th, 00:15 on the 29th
    slots = (free("2026-03-28T23:45", "2026-03-28T23:45") + free("2026-03-29T00:30", "2026-03-29T00:30")
             + free("2026-03-29T22:45", "2026-03-29T22:45") + free("2026-03-29T23:15", "2026-03-29T23:15"))
    found = availability_of(provider(), [service(15)], slots, utc("2026-03-28T12:00"))
    assert found.free_days == ["2026-03-28", "2026-03-29", "2026-03-30"]
    assert found.first_day_starts == [z("2026-03-28T23:45")] and found.second_day_start == z("2026-03-29T00:30")
    # 22:45 UTC is 23:45 BST on the 29th; 23:15 UTC is 00:15 on the 30th
    day29 = availability_of(provider(), [service(15)], slots, utc("2026-03-29T00:00"))
    assert day29.first_day_starts == [z("2026-03-29T00:30"), z("2026-03-29T22:45")]
    assert day29.second_day_start == z("2026-03-29T23:15")


def test_local_dates_across_london_fall_back():
    # On 2026-10-25 London goes from 02:00 BST back to 01:00 GMT; the day has 25 hours
    slots = (free("2026-10-24T22:45", "2026-10-24T22:45") + free("2026-10-24T23:15", "2026-10-24T23:15")
             + free("2026-10-25T00:30", "2026-10-25T01:30") + free("2026-10-25T23:15", "2026-10-25T23:15")
             + free("2026-10-26T00:15", "2026-10-26T00:15"))
    found = availability_of(provider(), [service(15)], slots, utc("2026-10-24T12:00"))
    assert found.free_days == ["2026-10-24", "2026-10-25", "2026-10-26"]
    day25 = availability_of(provider(), [service(15)], slots, utc("2026-10-24T23:00"))
    # 23:15 UTC on the 24th is 00:15 BST on the 25th; the repeated hour (00:30-01:30 UTC) too; 23:15 UTC on the
    # 25th is 23:15 GMT the same day
    assert day25.first_day_starts == [z("2026-10-24T23:15")] + [
        z(f"2026-10-25T{t}") for t in ("00:30", "00:45", "01:00", "01:15", "01:30", "23:15")]
    assert day25.second_day_start == z("2026-10-26T00:15")


@pytest.mark.parametrize("zone, midnight, now", [
    ("Asia/Kathmandu", "2026-12-01T18:15", NOW),          # +05:45
    ("Pacific/Chatham", "2026-12-01T10:15", NOW),         # +13:45 in its summer
    ("Pacific/Chatham", "2026-06-01T11:15", utc("2026-06-01T00:00")),  # +12:45 in its winter
])
def test_odd_offsets_put_starts_on_the_right_local_date_near_midnight(zone, midnight, now):
    # Given a slot at 23:45 local and one at 00:00 the next day: one UTC date for both
    local_midnight = utc(midnight)
    assert local_midnight.astimezone(read_zone(zone)).strftime("%H:%M") == "00:00"
    before = (local_midnight - SLOT).astimezone(read_zone(zone)).date()
    slots = [SlotState(start=local_midnight - SLOT, status=FREE, in_hours=True),
             SlotState(start=local_midnight, status=FREE, in_hours=True)]
    found = availability_of(provider(zone=zone), [service(15)], slots, now)
    assert found.free_days == [before.isoformat(), (before + timedelta(days=1)).isoformat()]
    assert found.first_day_starts == [format_utc(local_midnight - SLOT)]
    assert found.second_day_start == format_utc(local_midnight)
    # A 30-minute start at 23:45 local runs past midnight and stays on the day it starts
    run = availability_of(provider(zone=zone), [service(30)], slots, now)
    assert run.free_days == [before.isoformat()] and run.first_day_starts == [format_utc(local_midnight - SLOT)]


# --- 4. document_of, rating_rank, next_available ---------------------------------------------------

def doc(p: Optional[Provider] = None, services=None, slots=None, now: datetime = NOW) -> Dict[str, Any]:
    p = p or provider()
    services = [service(15)] if services is None else services
    slots = week() if slots is None else slots
    return document_of(p, services, availability_of(p, services, slots, now), now)


def test_the_document_of_a_provider():
    document = doc(services=[service(15, name="Massage"), service(30, sid="s2", name="Facial"),
                             service(45, sid="s3", name="Old", active=False)])
    assert document["provider_id"] == "p1" and document["service_names"] == ["Facial", "Massage"]
    assert document["location"] == {"lat": LONDON[0], "lon": LONDON[1]} and document["categories"] == ["massage"]
    assert document["next_available"] == z("2026-12-01T09:00") and document["indexed_at"] == z("2026-12-01T08:00")
    assert document["min_notice_minutes"] == 0
    # Every field the engine's strict mapping has, and no other
    assert set(document) == set(MAPPING["properties"])


def test_stale_after_is_the_first_days_last_start():
    assert doc()["stale_after"] == z("2026-12-01T09:45")


def test_stale_after_is_when_the_first_days_last_start_falls_inside_the_notice():
    # 30 minutes' notice: the last start, 09:45, can be booked until 09:15; after that the day is no free day
    document = doc(provider(min_notice=30))
    assert document["stale_after"] == z("2026-12-01T09:15")
    assert next_available(document, utc("2026-12-01T09:15")) == z("2026-12-01T09:45")
    assert next_available(document, utc("2026-12-01T09:16")) == z("2026-12-02T09:00")
    # Rebuilt then, today is no longer a free day: until then the document may say it is, not after
    rebuilt = availability_of(provider(min_notice=30), [service(15)], week(), utc("2026-12-01T09:16"))
    assert rebuilt.free_days[0] == "2026-12-02"


def test_stale_after_is_at_most_max_document_age_away():
    # The first free day is tomorrow: rebuilt after 12 hours all the same (a new day enters the horizon)
    assert doc(slots=week(["02", "03"]))["stale_after"] == format_utc(NOW + MAX_DOCUMENT_AGE)
    # No free day at all
    empty = doc(slots=[])
    assert empty["stale_after"] == format_utc(NOW + MAX_DOCUMENT_AGE)
    assert (empty["free_days"], empty["first_day_starts"], empty["next_available"]) == ([], [], None)


def test_rating_sort_is_zero_when_unrated():
    assert doc()["rating_sort"] == 0.0 and doc()["rating"] is None
    assert doc(provider(rating=4.5, review_count=3))["rating_sort"] == 4.5


def test_rating_rank():
    assert rating_rank(None, 0) == 0.85
    assert doc()["rating_rank"] == 0.85
    assert 0.99 < rating_rank(5.0, 10_000) <= 1.0
    assert rating_rank(5.0, 1) < rating_rank(4.8, 50)
    assert rating_rank(1.0, 10_000) >= 0.6
    assert rating_rank(4.0, 10) > rating_rank(4.0, 1) > rating_rank(None, 0)


def test_next_available_follows_the_clock():
    document = doc(slots=week(["01", "02"], "09:00", "09:30"))
    assert document["first_day_starts"] == [z("2026-12-01T09:00"), z("2026-12-01T09:15"), z("2026-12-01T09:30")]
    assert next_available(document, NOW) == z("2026-12-01T09:00")
    assert next_available(document, utc("2026-12-01T09:00")) == z("2026-12-01T09:00")
    assert next_available(document, utc("2026-12-01T09:01")) == z("2026-12-01T09:15")
    assert next_available(document, utc("2026-12-01T09:31")) == z("2026-12-02T09:00")
    assert next_available(document, utc("2026-12-02T09:01")) is None
    assert next_available({**document, "min_notice_minutes": 20}, utc("2026-12-01T08:50")) == z("2026-12-01T09:15")
    assert next_available({**document, "min_notice_minutes": 60}, utc("2026-12-01T08:50")) == z("2026-12-02T09:00")
    assert next_available({"first_day_starts": [], "second_day_start": None}, NOW) is None


# --- 5. result_of, distance_km --------------------------------------------------------------------

def test_distance_km_known_values():
    assert abs(distance_km(*LONDON, *PARIS) - 343.5) < 1
    assert distance_km(*LONDON, *LONDON) == 0
    assert abs(distance_km(0, 0, 0, 180) - 20015.1) < 1  # half the equator
    assert distance_km(*LONDON, *PARIS) == distance_km(*PARIS, *LONDON)


def test_a_result_rounds_distance_to_two_decimals_and_has_none_without_a_place():
    document = doc(provider(lat=PARIS[0], lon=PARIS[1], rating=4.5, review_count=3))
    located = result_of(document, parse_search({"lat": str(LONDON[0]), "lon": str(LONDON[1]), "radius_km": "500"}),
                        NOW)
    assert located["distance_km"] == round(distance_km(*LONDON, *PARIS), 2)
    assert located["distance_km"] == round(located["distance_km"], 2) and abs(located["distance_km"] - 343.5) < 1
    plain = result_of(document, parse_search({}), NOW)
    assert plain["distance_km"] is None
    assert plain == {"provider_id": "p1", "name": "Calm", "categories": ["massage"],
                     "location": {"lat": PARIS[0], "lon": PARIS[1], "address": "1 High St"}, "distance_km": None,
                     "rating": 4.5, "review_count": 3, "next_available": z("2026-12-01T09:00")}
    assert result_of(document, parse_search({}), utc("2026-12-01T09:50"))["next_available"] == z("2026-12-02T09:00")


# --- 6. the service, over fakes --------------------------------------------------------------------

@pytest.fixture()
def index(state) -> FakeSearchIndex:
    fake = FakeSearchIndex()
    with stores.using(search=fake):
        yield fake


def put(state: FakeState, pid: str, slots: Optional[List[SlotState]] = None, **changes: Any) -> Provider:
    """Given a provider in the table with a 15-minute service and these slots (an hour on four days by default)."""
    p = provider(pid, **changes)
    state.providers[pid] = p
    state.services[pid]["s1"] = service(15, pid=pid)
    for s in week() if slots is None else slots:
        state.put_slot(pid, s)
    return p


def test_index_providers_writes_one_document_per_distinct_provider(state, index):
    put(state, "p1")
    put(state, "p2")
    assert indexing.index_providers(["p2", "p1", "p2", "p1"]) == 2
    assert sorted(index.documents()) == ["p1", "p2"]
    assert [pid for _, pid, _, _ in index.writes] == ["p2", "p1"]
    assert index.document("p1")["free_days"] == ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    # Only slots from just before now on are read
    assert state.calls.count("query_slots") == 2


def test_a_provider_gone_from_the_table_is_deleted_from_the_index(state, index):
    put(state, "p1")
    indexing.index_providers(["p1"])
    del state.providers["p1"]
    [(pid, document, version)] = indexing.document_changes(["p1"])
    assert (pid, document) == ("p1", None)
    indexing.index_providers(["p1"])
    assert index.document("p1") is None
    # The delete keeps its version: the document read before it cannot come back
    assert index.version("p1") > version


def test_document_changes_versions_strictly_increase(state, index):
    for pid in ("p1", "p2", "p3"):
        put(state, pid)
    versions = [v for _, _, v in indexing.document_changes(["p1", "p2", "gone", "p3"])]
    versions += [v for _, _, v in indexing.document_changes(["p1", "gone"])]
    assert all(a < b for a, b in zip(versions, versions[1:])), versions


def test_versions_increase_even_when_the_clock_does_not(state, index, monkeypatch):
    # A coarse clock (or one stepped back by NTP): a later read must still carry a higher version
    put(state, "p1")
    # (Instants in the past, and the process's last version put back afterwards: nothing leaks into later tests.)
    monkeypatch.setattr(indexing, "_last_version", indexing._last_version)
    monkeypatch.setattr(indexing.time, "time_ns", lambda: 1_600_000_000_000_000_000)
    first = indexing.document_changes(["p1"])
    state.providers["p1"] = dataclasses.replace(state.providers["p1"], name="Calmer")
    second = indexing.document_changes(["p1", "gone"])
    monkeypatch.setattr(indexing.time, "time_ns", lambda: 1_500_000_000_000_000_000)
    third = indexing.document_changes(["p1"])
    versions = [v for changes in (first, second, third) for _, _, v in changes]
    assert all(a < b for a, b in zip(versions, versions[1:])), versions
    # Written in order, the later read stays
    index.write_documents(first)
    index.write_documents(second)
    assert index.document("p1")["name"] == "Calmer"


def test_an_older_document_written_after_a_newer_one_is_ignored(state, index):
    # Given a provider read (A), then renamed and read again (B)
    put(state, "p1")
    older = indexing.document_changes(["p1"])
    state.providers["p1"] = dataclasses.replace(state.providers["p1"], name="Calmer")
    newer = indexing.document_changes(["p1"])
    # When B is written before A (a slow writer of A)
    assert index.write_documents(newer) == 1
    assert index.write_documents(older) == 0
    # Then B stays, as the engine would keep it
    assert index.document("p1")["name"] == "Calmer"
    assert index.version("p1") == newer[0][2]
    # And written again, B changes nothing either
    assert index.write_documents(newer) == 0


def test_a_late_document_does_not_bring_a_deleted_provider_back(state, index):
    put(state, "p1")
    read_before = indexing.document_changes(["p1"])
    del state.providers["p1"]
    indexing.index_providers(["p1"])
    assert index.write_documents(read_before) == 0
    assert index.document("p1") is None


def test_rebuild_index_writes_every_provider_to_a_new_index_and_swaps(state, index):
    # Given a live index with a document of a provider no longer in the table
    old = index.ensure_index()
    index.write_documents([("ghost", {"provider_id": "ghost", "stale_after": z("2026-12-02T00:00")}, 1)])
    for pid in ("p1", "p2", "p3"):
        put(state, pid)
    # When it is rebuilt, two providers a batch
    report = indexing.rebuild_index(batch=2)
    # Then the new index has every provider and only them, and the alias points at it
    assert index.called("finish_rebuild") == [(index.begun[0],)] and report.index == index.begun[0]
    assert report.index != old and index.live == report.index and index.building is None
    assert sorted(index.documents()) == ["p1", "p2", "p3"]
    assert (report.providers, report.dropped) == (3, [old]) and old not in index.indices
    # Each batch went to the live index and the one being built
    batches = [targets for changes, targets in index.called("write_documents") if targets is not None]
    assert batches == [[old, report.index], [old, report.index]]


def test_a_change_during_a_rebuild_reaches_both_indices(state, index):
    put(state, "p1")
    live = index.ensure_index()
    building = index.begin_rebuild()
    indexing.index_providers(["p1"])
    assert "p1" in index.documents(live) and "p1" in index.documents(building)


def test_refresh_stale_rebuilds_only_the_stale_documents(state, fixed_clock, index):
    # Given p1 free today until 09:45, p2 first free tomorrow (its document is good for 12 hours)
    put(state, "p1")
    put(state, "p2", slots=week(["02", "03"]))
    indexing.index_providers(["p1", "p2"])
    assert indexing.refresh_stale() == 0
    # When today's last start has passed
    fixed_clock.now = utc("2026-12-01T09:46")
    before = len(index.writes)
    # Then only p1 is rebuilt, and its next free time is tomorrow
    assert indexing.refresh_stale() == 1
    assert [pid for _, pid, _, _ in index.writes[before:]] == ["p1"]
    assert index.document("p1")["free_days"][0] == "2026-12-02"
    assert indexing.refresh_stale() == 0
    # When 12 hours have passed since p2 was indexed, p2 is rebuilt too
    fixed_clock.now = NOW + MAX_DOCUMENT_AGE
    assert indexing.refresh_stale() == 1 and index.writes[-1][1] == "p2"


def test_search_providers_pages_with_cursors(state, fixed_clock, index):
    for pid, rating in (("p1", 4.0), ("p2", 5.0), ("p3", None)):
        put(state, pid, rating=rating, review_count=20 if rating else 0)
    indexing.index_providers(["p1", "p2", "p3"])
    query = {"category": "massage", "sort": "rating", "limit": "2"}
    first = search_service.search_providers(parse_search(query))
    assert [r["provider_id"] for r in first["results"]] == ["p2", "p1"] and first["next_cursor"]
    second = search_service.search_providers(parse_search({**query, "cursor": first["next_cursor"]}))
    assert [r["provider_id"] for r in second["results"]] == ["p3"] and second["next_cursor"] is None
    assert second["results"][0]["next_available"] == z("2026-12-01T09:00")
    with pytest.raises(NotOurCursor):
        search_service.search_providers(parse_search({"sort": "rating", "cursor": first["next_cursor"]}))


# --- 7. the stream function -----------------------------------------------------------------------

ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/marketplace-test/stream/2026-12-01T08:00:00.000"


def booking_record(booking_id: str, pid: str, sequence: str) -> Dict[str, Any]:
    """A stream record (Lambda's shape) of a booking made at provider `pid`."""
    keys = {"pk": {"S": f"BOOKING#{booking_id}"}, "sk": {"S": "BOOKING"}}
    item = {**keys, **{name: {"S": value} for name, value in {
        "booking_id": booking_id, "status": "CONFIRMED", "provider_id": pid, "service_id": "s1",
        "customer_id": "alice", "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T09:15:00Z",
        "occupied_until": "2026-12-02T09:15:00Z", "timezone": "Europe/London", "created_at": "2026-12-01T08:00:00Z",
        "updated_at": "2026-12-01T08:00:00Z", "changed_by": "alice"}.items()}, "version": {"N": "1"}}
    return {"eventID": f"e{sequence}", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "eu-west-1", "eventSourceARN": ARN,
            "dynamodb": {"ApproximateCreationDateTime": 1796198400, "Keys": keys, "NewImage": item,
                         "SequenceNumber": sequence, "SizeBytes": 400, "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def run_handler(records: List[Dict[str, Any]]) -> Dict[str, Any]:
    from chalicelib.adapters import dead_letters
    from stream_handlers import search_index

    context = dead_letters.context_for(dead_letters.function_arn("eu-west-1", "test", "search"))
    return search_index.handler({"Records": records}, context)


def test_a_batch_rebuilds_each_provider_once(state, index):
    put(state, "p1")
    put(state, "p2")
    answer = run_handler([booking_record("b1", "p1", "101"), booking_record("b2", "p2", "102"),
                          booking_record("b3", "p1", "103"), booking_record("b4", "p1", "104")])
    assert answer == {"batchItemFailures": []}
    assert [pid for _, pid, _, _ in index.writes] == ["p1", "p2"]
    assert sorted(index.documents()) == ["p1", "p2"]
    # The next batch rebuilds them again
    run_handler([booking_record("b5", "p1", "105")])
    assert [pid for _, pid, _, _ in index.writes] == ["p1", "p2", "p1"]


def test_a_failure_for_one_provider_reports_only_its_records(state, index):
    put(state, "p1")
    put(state, "p2")
    put(state, "p3")
    index.refuse = {"p2"}
    answer = run_handler([booking_record("b1", "p1", "101"), booking_record("b2", "p2", "102"),
                          booking_record("b3", "p3", "103"), booking_record("b4", "p1", "104")])
    assert answer == {"batchItemFailures": [{"itemIdentifier": "102"}]}
    assert sorted(index.documents()) == ["p1", "p3"]
    # Every record of the failing provider is tried and reported: the retry starts from the first
    answer = run_handler([booking_record("b2", "p2", "102"), booking_record("b5", "p2", "105"),
                          booking_record("b6", "p3", "106")])
    assert answer == {"batchItemFailures": [{"itemIdentifier": "102"}, {"itemIdentifier": "105"}]}
