"""The time arithmetic, fed whatever the parse layer lets through: any date-time or date a client can send
(far years, odd offsets) in any zone is either refused naming its field or computed without error, the
way holds, bookings, reschedules, blocks, availability and the booking lists use it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.domain.availability import fitting_starts, slots_needed
from chalicelib.domain.entities import Provider, Rules, Service
from chalicelib.domain.errors import DomainError, InvalidRequest, SlotUnavailable
from chalicelib.domain.model import CreateBlock, PlaceHold
from chalicelib.domain.schedule import WEEKDAYS, WorkingHours, working_slots
from chalicelib.domain.timegrid import (
    EARLIEST,
    FIRST_DATE,
    LAST_DATE,
    LATEST,
    SLOT,
    booking_window,
    format_local,
    format_utc,
    is_on_grid,
    local_date,
    local_day_bounds,
    parse_date,
    parse_instant,
    slot_starts,
)
from chalicelib.service.timing import plan
from tests.unit.inputs import dates, good_instants, hours_documents, instants, zones

UTC = timezone.utc

supported_instants = st.one_of(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2999, 12, 31, 23, 59, 59, 999999),
                 timezones=st.just(UTC)),
    st.sampled_from([EARLIEST, LATEST, EARLIEST + SLOT, LATEST - SLOT]),
)
supported_dates = st.one_of(st.dates(min_value=FIRST_DATE, max_value=LAST_DATE),
                            st.sampled_from([FIRST_DATE, LAST_DATE]))
rules = st.builds(Rules, auto_confirm=st.booleans(), min_notice_minutes=st.integers(0, 43200),
                  max_days_ahead=st.integers(1, 60), hold_minutes=st.integers(1, 60),
                  cancel_cutoff_minutes=st.integers(0, 43200))
services = st.builds(lambda d, b: Service(provider_id="p", service_id="s", name="Massage", category="massage",
                                          duration_minutes=15 * d, buffer_minutes=15 * b, price_amount=4500,
                                          price_currency="EUR", active=True, created_at="", updated_at=""),
                     st.integers(1, 32), st.integers(0, 8))
day_hours = st.tuples(st.sampled_from(WEEKDAYS), st.sampled_from(["00:00", "09:00", "23:45"]),
                      st.sampled_from(["00:15", "17:00", "24:00"])).filter(lambda day: day[1] < day[2])
hours_of_days = st.lists(day_hours, unique_by=lambda day: day[0], max_size=7).map(
    lambda days: WorkingHours.parse({"weekly": {name: [{"start": start, "end": end}] for name, start, end in days}}))


def soon_after(now: datetime) -> st.SearchStrategy:
    """Quarter hours from now to 61 days on, written with any quarter-hour offset: starts a provider may take."""
    first = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 15)
    offsets = st.integers(-56, 56).map(lambda q: timezone(timedelta(minutes=15 * q)))
    return st.builds(lambda n, tz: min(first + n * SLOT, LATEST).astimezone(tz).isoformat(),
                     st.integers(0, 61 * 96), offsets)


def provider(zone: str, booking_rules: Rules) -> Provider:
    return Provider(provider_id="p", owner_id="o", name="Spa", description="", categories=["massage"], lat=0.0,
                    lon=0.0, address=None, timezone=zone, rules=booking_rules, rating=None, review_count=0,
                    horizon_end=None, created_at="", updated_at="", version=1)


def refused_naming(error: DomainError, *fields: str) -> None:
    assert isinstance(error, InvalidRequest) and error.message.split(":")[0] in fields, error.message


# ---- the services' pipelines ---------------------------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(data=st.data(), zone=zones, booking_rules=rules, service=services, now=supported_instants)
def test_a_hold_booking_or_reschedule_start_is_planned_or_refused(data, zone, booking_rules, service, now):
    """timing.plan, as holds, direct bookings and reschedules call it after the model took the start."""
    start = data.draw(soon_after(now) if data.draw(st.booleans()) else instants, label="start")
    try:
        PlaceHold.model_validate({"provider_id": "p", "service_id": "s", "start": start})
    except ValidationError as error:
        assert [problem["loc"] for problem in error.errors()] == [("start",)]
        event("refused by the model")
        return
    try:
        span = plan(provider(zone, booking_rules), service, start, now)
    except (InvalidRequest, SlotUnavailable) as error:
        assert error.message.startswith("start: ")
        event(f"refused: {type(error).__name__}")
        return
    event("planned")
    tz = ZoneInfo(zone)
    assert is_on_grid(span.start, tz) and span.start >= now
    assert span.start < span.end <= span.occupied_until
    format_utc(span.occupied_until), format_local(span.start, tz)


@settings(max_examples=80, deadline=None)
@given(start=st.one_of(instants, good_instants, good_instants), length=st.integers(-4, 100), zone=zones,
       hours=hours_of_days)
def test_a_block_is_computed_or_refused(start, length, zone, hours):
    """The arithmetic of blocks.create_block: grid, length, the working slots of its first and last day."""
    end = start
    try:
        end = format_utc(parse_instant(start, "start") + length * SLOT)
    except (InvalidRequest, OverflowError):
        pass
    try:
        command = CreateBlock.model_validate({"start": start, "end": end})
    except ValidationError as error:
        assert {problem["loc"] for problem in error.errors()} <= {("start",), ("end",)}
        return
    tz = ZoneInfo(zone)
    first, last = parse_instant(command.start, "start"), parse_instant(command.end, "end")
    if not (is_on_grid(first, tz) and is_on_grid(last, tz) and first < last <= first + timedelta(hours=24)):
        return  # refused by the service with its own 400
    event("blocked")
    working = set()
    for day in {local_date(first, tz), local_date(last - SLOT, tz)}:
        working.update(working_slots(hours, day, tz))
    assert len(slot_starts(first, last)) == (last - first) // SLOT


@settings(max_examples=80, deadline=None)
@given(date_from=st.one_of(dates, supported_dates.map(date.isoformat)), days=st.integers(0, 40), date_to=dates,
       zone=zones, booking_rules=rules, service=services, now=supported_instants, hours=hours_of_days)
def test_availability_is_computed_or_refused(date_from, days, date_to, zone, booking_rules, service, now, hours):
    """The arithmetic of availability.get_availability for any from/to, with the first and last day's slots."""
    try:
        first = parse_date(date_from, "from")
        # Mostly a range that starts there (as clients send), else any text.
        last = parse_date(date_to if days > 35 or first + timedelta(days=days) > LAST_DATE
                          else (first + timedelta(days=days)).isoformat(), "to")
    except InvalidRequest as error:
        refused_naming(error, "from", "to")
        return
    if last < first or (last - first).days >= 31:
        return  # refused by the service with its own 400
    event("computed")
    tz = ZoneInfo(zone)
    earliest, last_day = booking_window(now, tz, booking_rules.min_notice_minutes, booking_rules.max_days_ahead)
    span = slots_needed(service.duration_minutes, service.buffer_minutes)
    start, _ = local_day_bounds(first, tz)
    _, end = local_day_bounds(last, tz)
    bookable = working_slots(hours, first, tz) + working_slots(hours, last, tz)
    for slot in fitting_starts(bookable, span):
        assert start <= slot < end + span * SLOT
        if slot >= earliest and first <= local_date(slot, tz) <= min(last, last_day):
            format_utc(slot + timedelta(minutes=service.duration_minutes)), format_local(slot, tz)


@settings(max_examples=80, deadline=None)
@given(value_from=st.one_of(dates, instants), value_to=st.one_of(dates, instants), zone=zones)
def test_a_booking_list_range_is_computed_or_refused(value_from, value_to, zone):
    """The arithmetic of the booking lists' from/to (service.bookings._range): a date or an instant each."""
    tz = ZoneInfo(zone)

    def bound(text: str, name: str, end: bool) -> datetime:
        if len(text) == 10:
            bounds = local_day_bounds(parse_date(text, name), tz)
            return bounds[1] - timedelta(seconds=1) if end else bounds[0]
        return parse_instant(text, name)

    try:
        start, end = bound(value_from, "from", False), bound(value_to, "to", True)
    except InvalidRequest as error:
        refused_naming(error, "from", "to")
        return
    format_utc(start), format_utc(end)


@settings(max_examples=50, deadline=None)
@given(document=hours_documents, day=st.one_of(dates, supported_dates.map(date.isoformat)), zone=zones)
def test_any_working_hours_give_slots_on_any_supported_day_or_are_refused(document, day, zone):
    try:
        hours, parsed_day = WorkingHours.parse(document), parse_date(day, "date")
    except InvalidRequest:
        return
    tz = ZoneInfo(zone)
    slots = working_slots(hours, parsed_day, tz)
    assert all(local_date(slot, tz) == parsed_day for slot in slots)
    for override in hours.overrides:
        working_slots(hours, override, tz)


# ---- the functions themselves over the supported range ----------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(instant=supported_instants, zone=zones)
def test_an_instant_of_the_range_lies_in_its_own_local_day(instant, zone):
    tz = ZoneInfo(zone)
    day = local_date(instant, tz)
    start, end = local_day_bounds(day, tz)
    assert start <= instant < end
    assert parse_instant(format_utc(instant), "at") == instant.replace(microsecond=0)
    assert parse_instant(format_local(instant, tz), "at") == instant.replace(microsecond=0)
    is_on_grid(instant, tz)


@settings(max_examples=100, deadline=None)
@given(day=supported_dates, zone=zones)
def test_every_day_of_the_range_has_bounds_in_order(day, zone):
    tz = ZoneInfo(zone)
    start, end = local_day_bounds(day, tz)
    assert start <= end <= start + timedelta(hours=50)  # Samoa skipped 2011-12-30: an empty day
    if start < end:
        assert local_date(start, tz) == day and local_date(end, tz) > day
    assert parse_date(day.isoformat(), "day") == day


@settings(max_examples=100, deadline=None)
@given(now=supported_instants, zone=zones, booking_rules=rules)
def test_the_booking_window_of_any_moment_of_the_range(now, zone, booking_rules):
    tz = ZoneInfo(zone)
    earliest, last_day = booking_window(now, tz, booking_rules.min_notice_minutes, booking_rules.max_days_ahead)
    assert earliest == now + timedelta(minutes=booking_rules.min_notice_minutes)
    assert (last_day - local_date(now, tz)).days == booking_rules.max_days_ahead
    local_day_bounds(last_day, tz)


@settings(max_examples=100, deadline=None)
@given(start=supported_instants, count=st.integers(0, 96), span=st.integers(1, 40),
       holes=st.sets(st.integers(0, 95), max_size=10))
def test_slot_walks_and_fits_at_any_moment_of_the_range(start, count, span, holes):
    start = start.replace(second=0, microsecond=0) - timedelta(minutes=start.minute % 15)
    walk = slot_starts(start, start + count * SLOT)
    assert len(walk) == count and all(b - a == SLOT for a, b in zip(walk, walk[1:]))
    bookable = [slot for index, slot in enumerate(walk) if index not in holes]
    fits = fitting_starts(bookable, span)
    assert all(all(slot + k * SLOT in bookable for k in range(span)) for slot in fits)


ALWAYS = WorkingHours.parse({"weekly": {day: [{"start": "00:00", "end": "24:00"}] for day in WEEKDAYS}})


def test_the_first_and_last_supported_local_days_in_the_farthest_zones():
    for zone in ("Pacific/Kiritimati", "Etc/GMT-14", "Etc/GMT+12", "Pacific/Pago_Pago", "UTC"):
        tz = ZoneInfo(zone)
        for day in (FIRST_DATE, LAST_DATE):
            start, end = local_day_bounds(day, tz)
            assert end - start == timedelta(days=1)
            assert len(working_slots(ALWAYS, day, tz)) == 96
        booking_window(LATEST, tz, 43200, 60)
        assert local_date(datetime.combine(LAST_DATE, time(23, 59), UTC), tz) >= LAST_DATE - timedelta(days=1)
