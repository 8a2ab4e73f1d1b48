"""Search against the real engine (osmem-server): the stream keeps the index, GET /v1/search reads it.

Providers are made over the API in emulated DynamoDB; the search source's records are fed to the stream
function in-process, as its event source mapping would, and the API searches the engine.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Iterator, List

import boto3
import pytest

from chalicelib.adapters import search as engine
from chalicelib.adapters import stream_reader
from chalicelib.domain.search import distance_km
from chalicelib.service import indexing
from local.streams import SourceFeeder
from stream_handlers.sources import source_named
from tests.integration.conftest import WEEKDAYS, call

FAST = (0.0, 0.0, 0.0)
LONDON = (51.5074, -0.1278)


class Indexer:
    """The search function fed every new record of the table's stream."""

    def __init__(self, feeder: SourceFeeder) -> None:
        self.feeder = feeder

    def drain(self) -> None:
        for _ in range(200):
            if not self.feeder.poll_once():
                engine.refresh()
                return
        raise AssertionError("the search feeder was still moving after many rounds")


@pytest.fixture(autouse=True)
def short_horizon(monkeypatch):
    """Slots for 8 days, not 60: what these tests search lies within them, and laying out fewer is faster."""
    from chalicelib.config import get_settings

    monkeypatch.setenv("SLOT_HORIZON_DAYS", "8")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture()
def indexer(aws) -> Iterator[Indexer]:
    stream_reader.reset()
    feeder = SourceFeeder(source_named("search"), stream_reader.stream_arn(), boto3.client("dynamodbstreams"),
                          stage="test", backoff=FAST)
    yield Indexer(feeder)


def new_provider(client, owner, name: str, lat: float, lon: float, categories=("plumbing",), description="",
                 service="Leak repair", hours=("09:00", "17:00"), days=WEEKDAYS, duration=60,
                 zone="Europe/London", min_notice=0) -> str:
    status, provider, _ = call(client, "POST", "/v1/providers", owner, {
        "name": name, "description": description, "categories": list(categories),
        "location": {"lat": lat, "lon": lon}, "timezone": zone,
        "booking_rules": {"min_notice_minutes": min_notice}})
    assert status == 201, provider
    pid = provider["provider_id"]
    if hours:
        week = {day: [{"start": hours[0], "end": hours[1]}] for day in days}
        assert call(client, "PUT", f"/v1/providers/{pid}/working-hours", owner, {"weekly": week})[0] == 200
    if service:
        status, body, _ = call(client, "POST", f"/v1/providers/{pid}/services", owner, {
            "name": service, "category": categories[0], "duration_minutes": duration,
            "price": {"amount": 5000, "currency": "GBP"}})
        assert status == 201, body
    return pid


def search(client, user, query: str) -> Dict[str, Any]:
    status, body, _ = call(client, "GET", f"/v1/search?{query}", user)
    assert status == 200, body
    return body


def ids(body: Dict[str, Any]) -> List[str]:
    return [r["provider_id"] for r in body["results"]]


def km_east(km: float) -> float:
    """The longitude this many km east of London."""
    return LONDON[1] + km / (111.32 * math.cos(math.radians(LONDON[0])))


@pytest.fixture()
def town(client, make_user, fixed_clock, indexer):
    """Given plumbers at 1, 3, 8 and 40 km east of London, a cleaner at 2 km, all open on weekdays."""
    owner = make_user(provider=True)
    made = {
        "near": new_provider(client, owner, "Near Plumbing", LONDON[0], km_east(1), description="boilers and pipes"),
        "mid": new_provider(client, owner, "Mid Pipes", LONDON[0], km_east(3), service="Boiler service"),
        "far": new_provider(client, owner, "Far Drains", LONDON[0], km_east(8), description="drain unblocking"),
        "away": new_provider(client, owner, "Away Plumbers", LONDON[0], km_east(40)),
        "clean": new_provider(client, owner, "Sparkle Cleaning", LONDON[0], km_east(2), categories=("cleaning",),
                              service="Deep clean"),
    }
    indexer.drain()
    return {"owner": owner, **made}


def test_category_and_radius_keep_only_nearby_providers_of_the_category_nearest_first(client, make_user, town):
    # Given the town; When a customer searches plumbing within 10 km sorted by distance
    customer = make_user()
    body = search(client, customer, f"category=plumbing&lat={LONDON[0]}&lon={LONDON[1]}&radius_km=10&sort=distance")
    # Then the three plumbers within 10 km come nearest first, with their distances
    assert ids(body) == [town["near"], town["mid"], town["far"]]
    distances = [r["distance_km"] for r in body["results"]]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(1.0, abs=0.05) and distances[2] == pytest.approx(8.0, abs=0.1)
    first = body["results"][0]
    assert first["categories"] == ["plumbing"] and first["review_count"] == 0 and first["rating"] is None
    assert first["location"]["lat"] == pytest.approx(LONDON[0])
    assert body["next_cursor"] is None


def test_the_default_radius_is_25_km(client, make_user, town):
    body = search(client, make_user(), f"category=plumbing&lat={LONDON[0]}&lon={LONDON[1]}&sort=distance")
    assert town["away"] not in ids(body) and len(ids(body)) == 3


def test_words_find_names_services_and_descriptions(client, make_user, town):
    customer = make_user()
    # "boiler": a service name (Mid Pipes) and a description (Near Plumbing); the name weighs more than either
    assert set(ids(search(client, customer, "q=boiler"))) == {town["near"], town["mid"]}
    assert ids(search(client, customer, "q=drain"))[:1] == [town["far"]]
    assert ids(search(client, customer, "q=sparkle&category=cleaning")) == [town["clean"]]
    assert ids(search(client, customer, "q=sparkle&category=plumbing")) == []


def test_relevance_combines_words_distance_and_rating(client, make_user, town):
    customer = make_user()
    # Without words, relevance falls with distance (equal ratings)
    body = search(client, customer, f"category=plumbing&lat={LONDON[0]}&lon={LONDON[1]}&radius_km=50")
    assert ids(body) == [town["near"], town["mid"], town["far"], town["away"]]
    # With words, a provider matching them comes first even when farther
    body = search(client, customer, f"q=drains&lat={LONDON[0]}&lon={LONDON[1]}&radius_km=50")
    assert ids(body)[0] == town["far"]


def test_rating_sort_puts_the_best_rated_first_and_unrated_last(client, make_user, town, indexer):
    # Given two plumbers rated (written as reviews would leave the profile) and the others unrated
    from chalicelib.adapters.models import ProviderItem

    _rate(town["far"], 5, 4)
    _rate(town["mid"], 4, 2)
    indexing.index_providers([town["far"], town["mid"]])
    engine.refresh()
    body = search(client, make_user(), "category=plumbing&sort=rating")
    assert ids(body)[:2] == [town["far"], town["mid"]]
    assert body["results"][0]["rating"] == 5.0 and body["results"][0]["review_count"] == 4
    assert set(ids(body)[2:]) == {town["near"], town["away"]}
    assert all(r["rating"] is None for r in body["results"][2:])
    assert ProviderItem  # the profile item is where ratings live


def _rate(provider_id: str, rating: int, count: int) -> None:
    from chalicelib.adapters.models import ProviderItem

    item = ProviderItem.get(*ProviderItem.key(provider_id))
    attributes = ProviderItem.get_attributes()
    actions = [ProviderItem.review_count.set(count)]
    if "rating_sum" in attributes:
        actions.append(attributes["rating_sum"].set(rating * count))
    else:
        actions.append(ProviderItem.rating.set(rating))
    item.update(actions=actions)


def test_available_on_keeps_providers_with_a_free_time_that_day(client, make_user, town):
    customer = make_user()
    # 2026-12-01 (the clock's day) is a Tuesday, 2026-12-05 a Saturday: closed at weekends
    assert set(ids(search(client, customer, "category=plumbing&available_on=2026-12-02"))) == {
        town["near"], town["mid"], town["far"], town["away"]}
    assert ids(search(client, customer, "category=plumbing&available_on=2026-12-05")) == []


def test_a_provider_booked_full_that_day_is_left_out(client, make_user, fixed_clock, indexer):
    # Given a plumber open 09:00-11:00 with a 60-minute service, and another open all day
    owner = make_user(provider=True)
    small = new_provider(client, owner, "Tiny Plumbing", LONDON[0], km_east(1), hours=("09:00", "11:00"))
    other = new_provider(client, owner, "Open Plumbing", LONDON[0], km_east(2))
    indexer.drain()
    customer = make_user()
    day = "available_on=2026-12-02&category=plumbing"
    assert set(ids(search(client, customer, day))) == {small, other}
    # When both hours of 2 December are booked
    status, provider, _ = call(client, "GET", f"/v1/providers/{small}")
    service_id = provider["services"][0]["service_id"]
    for start, key in (("2026-12-02T09:00:00Z", "a"), ("2026-12-02T10:00:00Z", "b")):
        status, body, _ = call(client, "POST", "/v1/bookings", customer,
                               {"provider_id": small, "service_id": service_id, "start": start},
                               {"Idempotency-Key": f"full-{key}"})
        assert status == 201, body
    indexer.drain()
    # Then the full provider is left out that day, and still found on the next
    assert ids(search(client, customer, day)) == [other]
    assert small in ids(search(client, customer, "available_on=2026-12-03&category=plumbing"))
    # And a cancel gives the day back
    bookings = call(client, "GET", "/v1/me/bookings", customer)[1]["bookings"]
    call(client, "POST", f"/v1/bookings/{bookings[0]['booking_id']}/cancel", customer, {"reason": "changed plans"})
    indexer.drain()
    assert set(ids(search(client, customer, day))) == {small, other}


def test_next_available_is_the_first_free_start_and_follows_the_clock(client, make_user, fixed_clock, indexer):
    # Given a plumber open 09:00-17:00 London time; the clock at 08:00 UTC on Tuesday 1 December
    owner = make_user(provider=True)
    pid = new_provider(client, owner, "Clockwork Plumbing", LONDON[0], km_east(1))
    indexer.drain()
    customer = make_user()
    result = search(client, customer, "q=clockwork")["results"][0]
    assert result["next_available"] == "2026-12-01T09:00:00Z"
    # When the clock passes 09:10 the next start moves to 09:15, without a rebuild
    fixed_clock.now = fixed_clock.now.replace(hour=9, minute=10)
    assert search(client, customer, "q=clockwork")["results"][0]["next_available"] == "2026-12-01T09:15:00Z"
    # When the day's last start has passed, the document is stale and the refresh job rebuilds it
    fixed_clock.now = fixed_clock.now.replace(hour=16, minute=30)
    assert indexing.refresh_stale() == 1
    engine.refresh()
    assert search(client, customer, "q=clockwork")["results"][0]["next_available"] == "2026-12-02T09:00:00Z"
    assert indexing.refresh_stale() == 0
    assert pid


def test_paging_through_a_result_set_has_neither_gaps_nor_repeats(client, make_user, fixed_clock, indexer):
    # Given 23 plumbers, several at the very same place (ties that only the id breaks)
    owner = make_user(provider=True)
    made = {new_provider(client, owner, f"Plumber {n}", LONDON[0], km_east(n // 3), hours=None, service=None)
            for n in range(23)}
    indexer.drain()
    customer = make_user()
    for sort in ("distance", "rating", "relevance"):
        seen: List[str] = []
        query = f"category=plumbing&lat={LONDON[0]}&lon={LONDON[1]}&sort={sort}&limit=5"
        body = search(client, customer, query)
        pages = 1
        while True:
            seen += ids(body)
            if body["next_cursor"] is None:
                break
            body = search(client, customer, f"{query}&cursor={body['next_cursor']}")
            pages += 1
        assert len(seen) == len(set(seen)) == 23, sort
        assert set(seen) == made and pages == 5
        if sort == "distance":
            assert seen == sorted(seen, key=lambda p: (_distance(client, p), p))


def _distance(client, provider_id: str) -> float:
    location = call(client, "GET", f"/v1/providers/{provider_id}")[1]["location"]
    return round(distance_km(LONDON[0], LONDON[1], location["lat"], location["lon"]), 6)


def test_a_changed_profile_and_service_show_in_search(client, make_user, fixed_clock, indexer):
    owner = make_user(provider=True)
    pid = new_provider(client, owner, "Old Name Plumbing", LONDON[0], km_east(1))
    indexer.drain()
    customer = make_user()
    assert ids(search(client, customer, "q=old")) == [pid]
    assert call(client, "PATCH", f"/v1/providers/{pid}", owner, {"name": "Brand New Plumbing"})[0] == 200
    indexer.drain()
    assert ids(search(client, customer, "q=old")) == []
    assert ids(search(client, customer, "q=brand")) == [pid]


def test_an_older_document_never_replaces_a_newer_one(client, make_user, fixed_clock, indexer):
    # Given a provider indexed, then renamed; a stale write of the old state arrives late
    owner = make_user(provider=True)
    pid = new_provider(client, owner, "First Name", LONDON[0], km_east(1))
    old_changes = indexing.document_changes([pid])
    assert call(client, "PATCH", f"/v1/providers/{pid}", owner, {"name": "Second Name"})[0] == 200
    indexer.drain()
    # When the older read is written after the newer one (and a repeat of the newer one)
    engine.write_documents(old_changes)
    indexer.drain()
    engine.refresh()
    # Then the index still holds the newer document
    assert engine.get_document(pid)["name"] == "Second Name"


def test_the_rebuild_fills_a_new_index_and_swaps_the_alias(client, make_user, fixed_clock, indexer):
    owner = make_user(provider=True)
    first = new_provider(client, owner, "Alpha Plumbing", LONDON[0], km_east(1))
    indexer.drain()
    live_before = engine.indices_of(engine.alias())
    second = new_provider(client, owner, "Beta Plumbing", LONDON[0], km_east(2))
    report = indexing.rebuild_index()
    engine.refresh()
    assert report.providers == 2 and report.dropped == live_before
    assert engine.indices_of(engine.alias()) == [report.index]
    assert set(ids(search(client, make_user(), "category=plumbing"))) == {first, second}


@pytest.mark.parametrize("query, fix", [
    ("category=welding", "category"),
    ("lat=51.5", "lat and lon"),
    ("lon=-0.1", "lat and lon"),
    ("radius_km=5", "radius_km"),
    ("lat=51.5&lon=-0.1&radius_km=501", "radius_km"),
    ("lat=51.5&lon=-0.1&radius_km=0", "radius_km"),
    ("lat=91&lon=0", "lat"),
    ("lat=nan&lon=0", "lat"),
    ("lat=1e3&lon=0", "lat"),
    ("sort=distance", "sort=distance"),
    ("sort=price", "sort"),
    ("available_on=tomorrow", "available_on"),
    ("available_on=2026-02-30", "available_on"),
    ("limit=0", "limit"),
    ("limit=101", "limit"),
    ("limit=ten", "limit"),
    ("cursor=bm90LW91cnM", "cursor"),
    ("q=" + "x" * 201, "q"),
    ("q=%00", "q"),
])
def test_bad_parameters_get_invalid_request_saying_what_to_fix(client, make_user, aws, query, fix):
    status, body, _ = call(client, "GET", f"/v1/search?{query}", make_user())
    assert status == 400, body
    assert body["error"]["code"] == "invalid_request" and fix in body["error"]["message"], body


def test_a_cursor_of_another_search_is_refused(client, make_user, fixed_clock, indexer):
    owner = make_user(provider=True)
    for n in range(3):
        new_provider(client, owner, f"Plumber {n}", LONDON[0], km_east(n), hours=None, service=None)
    indexer.drain()
    customer = make_user()
    cursor = search(client, customer, "category=plumbing&limit=1")["next_cursor"]
    status, body, _ = call(client, "GET", f"/v1/search?category=cleaning&limit=1&cursor={cursor}", customer)
    assert status == 400 and body["error"]["code"] == "invalid_request" and "cursor" in body["error"]["message"]


def test_search_needs_a_sign_in(client, aws):
    status, body, _ = call(client, "GET", "/v1/search?category=plumbing")
    assert status == 401 and body["error"]["code"] == "unauthenticated"


def test_an_engine_that_does_not_answer_gives_503_try_again(client, make_user, aws, monkeypatch):
    from chalicelib.config import get_settings

    user = make_user()
    monkeypatch.setenv("SEARCH_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("SEARCH_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    engine.reset()
    try:
        status, body, headers = call(client, "GET", "/v1/search?category=plumbing", user)
    finally:
        get_settings.cache_clear()
        engine.reset()
    assert status == 503 and body["error"]["code"] == "try_again" and headers.get("Retry-After")


def test_days_laid_out_by_the_sync_job_after_an_hours_change_show_in_search(client, make_user, fixed_clock, indexer,
                                                                            monkeypatch):
    # Given a request that may spend no time laying out slots: the hours change leaves every day pending
    from chalicelib.config import get_settings

    monkeypatch.setenv("SCHEDULE_SYNC_SECONDS", "0")
    get_settings.cache_clear()
    owner = make_user(provider=True)
    pid = new_provider(client, owner, "Patient Plumbing", LONDON[0], km_east(1))
    indexer.drain()
    customer = make_user()
    before = search(client, customer, "q=patient&available_on=2026-12-02")
    # When the scheduled job (with time to spend) lays the pending days out
    import scheduled.finish_syncs

    monkeypatch.setenv("SCHEDULE_SYNC_SECONDS", "30")
    get_settings.cache_clear()
    assert scheduled.finish_syncs.handler({}, None) == {"finished": 1, "failed": 0}
    indexer.drain()
    # Then the search finds the provider free on those days
    assert ids(search(client, customer, "q=patient&available_on=2026-12-02")) == [pid]
    assert ids(before) in ([], [pid])


def test_a_review_shows_in_the_providers_rating_in_search(client, make_user, fixed_clock, indexer):
    # Given a provider with a confirmed booking that has ended
    owner = make_user(provider=True)
    pid = new_provider(client, owner, "Reviewed Plumbing", LONDON[0], km_east(1))
    customer = make_user()
    service_id = call(client, "GET", f"/v1/providers/{pid}")[1]["services"][0]["service_id"]
    status, booking, _ = call(client, "POST", "/v1/bookings", customer,
                              {"provider_id": pid, "service_id": service_id, "start": "2026-12-01T10:00:00Z"},
                              {"Idempotency-Key": "to-review"})
    assert status == 201 and booking["status"] == "CONFIRMED", booking
    indexer.drain()
    assert search(client, customer, "q=reviewed")["results"][0]["review_count"] == 0
    # When its customer reviews it after the visit
    fixed_clock.now = fixed_clock.now.replace(hour=12)
    status, body, _ = call(client, "POST", f"/v1/bookings/{booking['booking_id']}/review", customer, {"rating": 4})
    assert status == 201, body
    indexer.drain()
    # Then search shows the rating and the count
    result = search(client, customer, "q=reviewed")["results"][0]
    assert (result["rating"], result["review_count"]) == (4.0, 1)
