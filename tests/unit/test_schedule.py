"""Working hours: parsing, the canonical document, and the slots they open on real (DST-affected) days."""
from datetime import date, datetime, time, timedelta, timezone
from typing import List
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.schedule import WEEKDAYS, Interval, WorkingHours, days_changed, working_slots
from chalicelib.domain.timegrid import SLOT, format_local, is_on_grid, local_date

UTC = timezone.utc


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def utc_run(first: datetime, count: int) -> List[datetime]:
    return [first + i * SLOT for i in range(count)]


def hhmm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def every_day(*spans: str) -> WorkingHours:
    """Working hours with the same intervals ("09:00-17:00") on every weekday."""
    intervals = tuple(Interval(hhmm(span[:5]), hhmm(span[6:])) for span in spans)
    return WorkingHours(weekly={day: intervals for day in WEEKDAYS})


def doc(**weekly) -> dict:
    return {"weekly": weekly}


def iv(start: str, end: str) -> dict:
    return {"start": start, "end": end}


# --- Interval and WorkingHours values ----------------------------------------------------------


@pytest.mark.parametrize("start, end", [(-15, 60), (60, 60), (120, 60), (0, 1455), (5, 60), (0, 50)])
def test_interval_refuses_values_off_the_day_grid(start, end):
    with pytest.raises(ValueError):
        Interval(start, end)


def test_closed_has_every_day_empty_and_no_overrides():
    hours = WorkingHours.closed()

    assert dict(hours.weekly) == {day: () for day in WEEKDAYS}
    assert dict(hours.overrides) == {}
    assert hours.intervals_on(date(2026, 12, 1)) == ()


def test_equal_contents_are_equal_and_hash_alike_however_built():
    # Given: the same schedule, once with missing days and unsorted intervals, once spelled out
    sparse = WorkingHours(weekly={"mon": (Interval(780, 1020), Interval(540, 720))})
    full = WorkingHours(
        weekly={day: ((Interval(540, 720), Interval(780, 1020)) if day == "mon" else ()) for day in WEEKDAYS},
        overrides={},
    )

    assert sparse == full
    assert hash(sparse) == hash(full)
    assert sparse != WorkingHours.closed()


def test_working_hours_cannot_be_mutated():
    hours = every_day("09:00-17:00")

    with pytest.raises(TypeError):
        hours.weekly["mon"] = ()  # type: ignore[index]
    with pytest.raises(AttributeError):
        hours.weekly = {}  # type: ignore[misc]


def test_unknown_weekday_keys_are_a_programming_error():
    with pytest.raises(ValueError):
        WorkingHours(weekly={"monday": ()})


def test_intervals_on_prefers_the_override_for_that_date():
    # Given: Tuesdays 09:00-17:00, closed on Tuesday 2026-12-01, short on Thursday 2026-12-24
    hours = WorkingHours.parse(
        {
            "weekly": {"tue": [iv("09:00", "17:00")], "thu": [iv("09:00", "17:00")]},
            "overrides": [
                {"date": "2026-12-01", "intervals": []},
                {"date": "2026-12-24", "intervals": [iv("09:00", "12:00")]},
            ],
        }
    )

    assert hours.intervals_on(date(2026, 12, 1)) == ()
    assert hours.intervals_on(date(2026, 12, 8)) == (Interval(540, 1020),)
    assert hours.intervals_on(date(2026, 12, 24)) == (Interval(540, 720),)
    assert hours.intervals_on(date(2026, 12, 2)) == ()  # Wednesday: not listed, so closed


# --- parse: accepted documents ---------------------------------------------------------------------


def test_parse_then_to_document_gives_the_canonical_form():
    # Given: days missing, intervals out of order, overrides out of order, an interval to 24:00
    document = {
        "weekly": {"mon": [iv("13:00", "17:00"), iv("09:00", "12:00")], "sat": [iv("18:00", "24:00")]},
        "overrides": [
            {"date": "2026-12-31", "intervals": [iv("10:00", "14:00")]},
            {"date": "2026-12-24", "intervals": []},
        ],
    }

    # When
    canonical = WorkingHours.parse(document).to_document()

    # Then
    assert canonical == {
        "weekly": {
            "mon": [iv("09:00", "12:00"), iv("13:00", "17:00")],
            "tue": [],
            "wed": [],
            "thu": [],
            "fri": [],
            "sat": [iv("18:00", "24:00")],
            "sun": [],
        },
        "overrides": [
            {"date": "2026-12-24", "intervals": []},
            {"date": "2026-12-31", "intervals": [iv("10:00", "14:00")]},
        ],
    }
    assert WorkingHours.parse(canonical).to_document() == canonical


def test_parse_accepts_touching_intervals_whole_days_and_the_limits():
    document = {
        "weekly": {
            "mon": [iv("09:00", "12:00"), iv("12:00", "17:00")],
            "tue": [iv("00:00", "24:00")],
            "wed": [iv(f"{h:02d}:00", f"{h:02d}:45") for h in range(12)],
        },
        "overrides": [{"date": (date(2027, 1, 1) + timedelta(days=i)).isoformat(), "intervals": []} for i in range(400)],
    }

    hours = WorkingHours.parse(document)

    assert hours.weekly["mon"] == (Interval(540, 720), Interval(720, 1020))
    assert hours.weekly["tue"] == (Interval(0, 1440),)
    assert len(hours.weekly["wed"]) == 12
    assert len(hours.overrides) == 400


def test_overrides_are_optional():
    assert WorkingHours.parse({"weekly": {}}) == WorkingHours.closed()


# --- parse: refused documents ------------------------------------------------------------------------

OK = [iv("09:00", "17:00")]


@pytest.mark.parametrize(
    "document, message",
    [
        (doc(mon=[iv("09:00", "12:00"), iv("10:00", "09:00")]), "weekly.mon[1].end: must be after start (10:00)"),
        (doc(mon=[iv("09:00", "09:00")]), "weekly.mon[0].end: must be after start (09:00)"),
        (doc(tue=[iv("09:10", "17:00")]), "weekly.tue[0].start: must be on the 15-minute grid, e.g. 09:15"),
        (doc(tue=[iv("09:00", "17:05")]), "weekly.tue[0].end: must be on the 15-minute grid, e.g. 09:15"),
        (doc(wed=[iv("24:00", "24:00")]), "weekly.wed[0].start: 24:00 is only allowed as an end; a day starts at 00:00"),
        (
            doc(thu=[iv("09:00", "12:00"), iv("11:00", "13:00")]),
            "weekly.thu[1]: overlaps weekly.thu[0] (09:00-12:00); intervals of one day must not overlap",
        ),
        (
            doc(thu=[iv("13:00", "17:00"), iv("09:00", "13:30")]),
            "weekly.thu[0]: overlaps weekly.thu[1] (09:00-13:30); intervals of one day must not overlap",
        ),
        (
            doc(fri=[iv("08:00", "18:00"), iv("10:00", "11:00"), iv("12:00", "13:00")]),
            "weekly.fri[1]: overlaps weekly.fri[0] (08:00-18:00); intervals of one day must not overlap",
        ),
        (
            doc(fri=[iv("09:00", "10:00"), iv("09:00", "10:00")]),
            "weekly.fri[1]: overlaps weekly.fri[0] (09:00-10:00); intervals of one day must not overlap",
        ),
        (doc(sat=[iv(f"{h:02d}:00", f"{h:02d}:30") for h in range(13)]), "weekly.sat: at most 12 intervals a day, got 13"),
        (doc(sun=[{"start": "09:00"}]), "weekly.sun[0].end: required"),
        (doc(sun=[{"end": "09:00"}]), "weekly.sun[0].start: required"),
        (doc(sun=[{"start": "09:00", "end": "10:00", "note": "x"}]), "weekly.sun[0].note: unknown field; allowed: start, end"),
        ({"overrides": []}, "weekly: required"),
        ({"weekly": {}, "holidays": []}, "holidays: unknown field; allowed: weekly, overrides"),
        (doc(monday=OK), "weekly.monday: unknown day; use mon, tue, wed, thu, fri, sat, sun"),
        (doc(Mon=OK), "weekly.Mon: unknown day; use mon, tue, wed, thu, fri, sat, sun"),
        ({"weekly": {}, "overrides": [{"date": "2026-12-24"}]}, "overrides[0].intervals: required"),
        ({"weekly": {}, "overrides": [{"intervals": []}]}, "overrides[0].date: required"),
        (
            {"weekly": {}, "overrides": [{"date": "2026-12-24", "intervals": [], "why": "xmas"}]},
            "overrides[0].why: unknown field; allowed: date, intervals",
        ),
        (
            {"weekly": {}, "overrides": [{"date": f"2026-12-{d:02d}", "intervals": []} for d in (1, 2, 3)] + [{"date": "24/12/2026", "intervals": []}]},
            "overrides[3].date: must be a date YYYY-MM-DD, e.g. 2026-12-01",
        ),
        ({"weekly": {}, "overrides": [{"date": "2026-02-29", "intervals": []}]}, "overrides[0].date: 2026-02-29 is not a calendar date"),
        (
            {"weekly": {}, "overrides": [{"date": "2026-12-24", "intervals": []}, {"date": "2026-12-24", "intervals": OK}]},
            "overrides[1].date: 2026-12-24 is already given at overrides[0]",
        ),
        (
            {"weekly": {}, "overrides": [{"date": "2026-12-24", "intervals": [iv("09:00", "9:30")]}]},
            'overrides[0].intervals[0].end: must be a 24-hour time "HH:MM", e.g. 09:00',
        ),
        (
            {"weekly": {}, "overrides": [{"date": (date(2027, 1, 1) + timedelta(days=i)).isoformat(), "intervals": []} for i in range(401)]},
            "overrides: at most 400 dates, got 401",
        ),
    ],
)
def test_parse_refuses_with_a_message_naming_the_path(document, message):
    with pytest.raises(InvalidRequest) as caught:
        WorkingHours.parse(document)

    assert caught.value.message == message


@pytest.mark.parametrize("value", ["9:00", "09:00:00", "0900", "25:00", "24:15", "23:60", " 09:00", "09:00\n", "０９:００", 900, None, 9.0])
def test_parse_refuses_times_that_are_not_hh_mm(value):
    with pytest.raises(InvalidRequest) as caught:
        WorkingHours.parse(doc(mon=[{"start": value, "end": "17:00"}]))

    assert caught.value.message == 'weekly.mon[0].start: must be a 24-hour time "HH:MM", e.g. 09:00'


@pytest.mark.parametrize(
    "document, prefix",
    [
        ([], "working hours: must be an object"),
        ("weekly", "working hours: must be an object"),
        (None, "working hours: must be an object"),
        ({"weekly": []}, "weekly: must be an object keyed by weekday"),
        ({"weekly": None}, "weekly: must be an object keyed by weekday"),
        (doc(mon={"start": "09:00", "end": "17:00"}), "weekly.mon: must be a list of intervals"),
        (doc(mon=None), "weekly.mon: must be a list of intervals"),
        (doc(mon=["09:00-17:00"]), "weekly.mon[0]: must be an object like"),
        ({"weekly": {}, "overrides": {}}, "overrides: must be a list like"),
        ({"weekly": {}, "overrides": ["2026-12-24"]}, "overrides[0]: must be an object like"),
        ({"weekly": {}, "overrides": [{"date": "2026-12-24", "intervals": None}]}, "overrides[0].intervals: must be a list"),
    ],
)
def test_parse_refuses_wrong_shapes(document, prefix):
    with pytest.raises(InvalidRequest) as caught:
        WorkingHours.parse(document)

    assert caught.value.message.startswith(prefix)


# --- working_slots on ordinary days ------------------------------------------------------------------


def test_working_slots_on_an_ordinary_day_with_a_lunch_break():
    hours = every_day("09:00-12:00", "13:00-17:00")

    slots = working_slots(hours, date(2026, 12, 1), ZoneInfo("Europe/London"))

    assert slots == utc_run(utc(2026, 12, 1, 9), 12) + utc_run(utc(2026, 12, 1, 13), 16)


def test_working_slots_in_kathmandu_quarter_hour_offset():
    slots = working_slots(every_day("09:00-17:00"), date(2026, 12, 1), ZoneInfo("Asia/Kathmandu"))

    assert slots == utc_run(utc(2026, 12, 1, 3, 15), 32)
    assert format_local(slots[0], ZoneInfo("Asia/Kathmandu")) == "2026-12-01T09:00:00+05:45"


def test_working_slots_last_slot_of_the_day_ends_at_24_00():
    slots = working_slots(every_day("23:45-24:00"), date(2026, 12, 1), ZoneInfo("Pacific/Chatham"))

    assert slots == [utc(2026, 12, 1, 10)]  # 23:45 +13:45


def test_working_slots_on_a_closed_day_or_closing_override():
    hours = WorkingHours(weekly=every_day("09:00-17:00").weekly, overrides={date(2026, 12, 1): ()})

    assert working_slots(WorkingHours.closed(), date(2026, 12, 1), ZoneInfo("UTC")) == []
    assert working_slots(hours, date(2026, 12, 1), ZoneInfo("UTC")) == []
    assert len(working_slots(hours, date(2026, 12, 2), ZoneInfo("UTC"))) == 32


# --- working_slots across DST transitions -------------------------------------------------------------


@pytest.mark.parametrize(
    "zone, day, spans, expected",
    [
        # Europe/London: 2026-03-29 01:00 -> 02:00, 2026-10-25 02:00 -> 01:00
        ("Europe/London", date(2026, 3, 29), ["00:00-24:00"], utc_run(utc(2026, 3, 29), 92)),
        ("Europe/London", date(2026, 3, 29), ["00:00-04:00"], utc_run(utc(2026, 3, 29), 12)),
        ("Europe/London", date(2026, 3, 29), ["01:00-02:00"], []),
        ("Europe/London", date(2026, 10, 25), ["00:00-24:00"], utc_run(utc(2026, 10, 24, 23), 100)),
        ("Europe/London", date(2026, 10, 25), ["00:00-04:00"], utc_run(utc(2026, 10, 24, 23), 20)),
        ("Europe/London", date(2026, 10, 25), ["01:00-02:00"], utc_run(utc(2026, 10, 25), 8)),
        # America/New_York: 2026-03-08 02:00 -> 03:00, 2026-11-01 02:00 -> 01:00
        ("America/New_York", date(2026, 3, 8), ["00:00-24:00"], utc_run(utc(2026, 3, 8, 5), 92)),
        ("America/New_York", date(2026, 3, 8), ["09:00-17:00"], utc_run(utc(2026, 3, 8, 13), 32)),
        ("America/New_York", date(2026, 3, 8), ["01:00-04:00"], utc_run(utc(2026, 3, 8, 6), 8)),
        ("America/New_York", date(2026, 11, 1), ["00:00-24:00"], utc_run(utc(2026, 11, 1, 4), 100)),
        ("America/New_York", date(2026, 11, 1), ["01:00-02:00"], utc_run(utc(2026, 11, 1, 5), 8)),
        ("America/New_York", date(2026, 11, 1), ["09:00-17:00"], utc_run(utc(2026, 11, 1, 14), 32)),
        # Australia/Lord_Howe: half-hour shifts, 2026-04-05 02:00 -> 01:30, 2026-10-04 02:00 -> 02:30
        ("Australia/Lord_Howe", date(2026, 4, 5), ["00:00-24:00"], utc_run(utc(2026, 4, 4, 13), 98)),
        ("Australia/Lord_Howe", date(2026, 4, 5), ["01:30-02:00"], utc_run(utc(2026, 4, 4, 14, 30), 4)),
        ("Australia/Lord_Howe", date(2026, 10, 4), ["00:00-24:00"], utc_run(utc(2026, 10, 3, 13, 30), 94)),
        ("Australia/Lord_Howe", date(2026, 10, 4), ["02:00-03:00"], utc_run(utc(2026, 10, 3, 15, 30), 2)),
        # Pacific/Chatham (+12:45/+13:45): 2026-04-05 03:45 -> 02:45, 2026-09-27 02:45 -> 03:45
        ("Pacific/Chatham", date(2026, 4, 5), ["00:00-24:00"], utc_run(utc(2026, 4, 4, 10, 15), 100)),
        ("Pacific/Chatham", date(2026, 4, 5), ["02:45-03:45"], utc_run(utc(2026, 4, 4, 13), 8)),
        ("Pacific/Chatham", date(2026, 9, 27), ["00:00-24:00"], utc_run(utc(2026, 9, 26, 11, 15), 92)),
        ("Pacific/Chatham", date(2026, 9, 27), ["02:45-03:45"], []),
        # America/Santiago: 2026-09-06 has no midnight (00:00 -> 01:00); on 2026-04-05 00:00 -> 23:00 the day before
        ("America/Santiago", date(2026, 9, 6), ["00:00-24:00"], utc_run(utc(2026, 9, 6, 4), 92)),
        ("America/Santiago", date(2026, 9, 6), ["00:00-02:00"], utc_run(utc(2026, 9, 6, 4), 4)),
        ("America/Santiago", date(2026, 4, 4), ["22:00-24:00"], utc_run(utc(2026, 4, 5, 1), 12)),
        ("America/Santiago", date(2026, 4, 5), ["00:00-01:00"], utc_run(utc(2026, 4, 5, 4), 4)),
        # Atlantic/Azores: 2026-10-25 01:00 -> 00:00, so midnight happens twice
        ("Atlantic/Azores", date(2026, 10, 25), ["00:00-01:00"], utc_run(utc(2026, 10, 25, 0), 8)),
    ],
)
def test_working_slots_across_transitions(zone, day, spans, expected):
    assert working_slots(every_day(*spans), day, ZoneInfo(zone)) == expected


def test_fall_back_repeats_wall_clock_slots_with_different_offsets():
    # Given: London goes back from 02:00 BST to 01:00 GMT on 2026-10-25
    london = ZoneInfo("Europe/London")

    # When
    slots = working_slots(every_day("01:00-01:30"), date(2026, 10, 25), london)

    # Then: 01:00 and 01:15 each happen twice, an hour apart in real time
    assert [format_local(slot, london) for slot in slots] == [
        "2026-10-25T01:00:00+01:00",
        "2026-10-25T01:15:00+01:00",
        "2026-10-25T01:00:00+00:00",
        "2026-10-25T01:15:00+00:00",
    ]


# --- working_slots properties -------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",  # negative DST in tzdata
    "America/New_York",
    "America/St_Johns",
    "America/Santiago",
    "America/Havana",
    "America/Nuuk",  # springs forward at 23:00 (Mar 28 ends at 23:00 local)
    "Africa/Cairo",
    "Asia/Beirut",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]

TRANSITION_DAYS = [
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 9, 27),
    date(2026, 9, 6),
    date(2026, 4, 4),
    date(2026, 3, 28),
    date(2026, 4, 24),
    date(2026, 10, 24),
]

days = st.one_of(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 31)),
    st.sampled_from(TRANSITION_DAYS),
)


@st.composite
def day_intervals(draw) -> tuple:
    """Sorted, non-overlapping intervals on the grid (touching allowed)."""
    cuts = sorted(draw(st.lists(st.integers(0, 96), unique=True, max_size=8)))
    return tuple(Interval(cuts[i] * 15, cuts[i + 1] * 15) for i in range(0, len(cuts) - 1, 2))


def reference_slots(intervals, day, tz) -> List[datetime]:
    """Brute force: every UTC quarter hour that could fall on `day` anywhere, kept if it is a working slot."""
    earliest = datetime.combine(day, time(), UTC) - timedelta(hours=15)
    found = []
    for i in range(54 * 4):
        instant = earliest + i * SLOT
        local = instant.astimezone(tz)
        minute = local.hour * 60 + local.minute
        if local.date() == day and any(iv.start <= minute and minute + 15 <= iv.end for iv in intervals):
            found.append(instant)
    return found


@settings(max_examples=200, deadline=None)
@given(zone=st.sampled_from(ZONES), day=days, intervals=day_intervals())
def test_working_slots_properties(zone, day, intervals):
    tz = ZoneInfo(zone)
    hours = WorkingHours(weekly={}, overrides={day: intervals})

    slots = working_slots(hours, day, tz)

    assert slots == sorted(set(slots))
    assert all(slot.tzinfo is UTC for slot in slots)
    assert all(is_on_grid(slot, tz) and local_date(slot, tz) == day for slot in slots)
    assert slots == reference_slots(intervals, day, tz)


@settings(max_examples=200, deadline=None)
@given(zone=st.sampled_from(ZONES), day=days, intervals=day_intervals())
def test_working_slots_on_a_day_without_transition_match_the_wall_clock(zone, day, intervals):
    tz = ZoneInfo(zone)
    walls = [datetime.combine(day, time()) + i * SLOT for i in range(96)]
    offsets = {tz.utcoffset(wall.replace(fold=fold)) for wall in walls for fold in (0, 1)}
    next_midnight = datetime.combine(day + timedelta(days=1), time())
    offsets |= {tz.utcoffset(next_midnight.replace(fold=fold)) for fold in (0, 1)}
    if len(offsets) != 1:
        return  # a transition touches this day; covered by the reference test
    (offset,) = offsets

    slots = working_slots(WorkingHours(weekly={}, overrides={day: intervals}), day, tz)

    assert len(slots) == sum(iv.end - iv.start for iv in intervals) // 15
    expected = [
        (wall - offset).replace(tzinfo=UTC)
        for wall in walls
        if any(iv.start * 60 <= (wall - walls[0]).total_seconds() < iv.end * 60 for iv in intervals)
    ]
    assert slots == expected


# --- round trip and days_changed ---------------------------------------------------------------------

working_hours = st.builds(
    lambda weekly, overrides: WorkingHours(weekly=dict(zip(WEEKDAYS, weekly)), overrides=overrides),
    st.lists(day_intervals(), min_size=7, max_size=7),
    st.dictionaries(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)), day_intervals(), max_size=5),
)


@settings(max_examples=200, deadline=None)
@given(hours=working_hours)
def test_parse_round_trips_the_canonical_document(hours):
    document = hours.to_document()

    assert WorkingHours.parse(document) == hours
    assert WorkingHours.parse(document).to_document() == document


def test_days_changed_lists_only_days_whose_intervals_differ():
    # Given: weekdays 09:00-17:00; the new schedule closes Tuesdays and adds a Christmas Eve override
    old = WorkingHours.parse({"weekly": {d: [iv("09:00", "17:00")] for d in WEEKDAYS[:5]}})
    new_document = old.to_document()
    new_document["weekly"]["tue"] = []
    new_document["overrides"] = [
        {"date": "2026-12-24", "intervals": [iv("09:00", "12:00")]},
        {"date": "2026-12-23", "intervals": [iv("09:00", "17:00")]},  # same as the weekly Wednesday
    ]
    new = WorkingHours.parse(new_document)
    week = [date(2026, 12, 21) + timedelta(days=i) for i in range(7)]  # Monday to Sunday

    # When
    changed = days_changed(old, new, week)

    # Then
    assert changed == [date(2026, 12, 22), date(2026, 12, 24)]
    assert days_changed(old, old, week) == []
    assert days_changed(new, old, reversed(week)) == [date(2026, 12, 24), date(2026, 12, 22)]
