"""The 15-minute grid: parsing, formatting, and local days across DST transitions."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.timegrid import (
    SLOT,
    SLOT_MINUTES,
    booking_window,
    format_local,
    format_utc,
    is_on_grid,
    local_date,
    local_day_bounds,
    parse_date,
    parse_instant,
    parse_zone,
    slot_starts,
)

UTC = timezone.utc


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_slot_constants_agree():
    assert SLOT == timedelta(minutes=SLOT_MINUTES) == timedelta(minutes=15)


# --- parse_instant -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-12-01T09:00:00Z", utc(2026, 12, 1, 9)),
        ("2026-12-01T10:00:00+01:00", utc(2026, 12, 1, 9)),
        ("2026-12-01T14:45:00+05:45", utc(2026, 12, 1, 9)),
        ("2026-12-01T04:00:00-05:00", utc(2026, 12, 1, 9)),
        ("2026-12-01T00:30:00-08:30", utc(2026, 12, 1, 9)),
        ("2026-12-01T09:00:00-00:00", utc(2026, 12, 1, 9)),
        ("2026-12-01t09:00:00z", utc(2026, 12, 1, 9)),
        ("2026-12-01T09:00:00.250Z", utc(2026, 12, 1, 9, 0, 0, 250000)),
        ("2026-12-01T09:00:00.123456789Z", utc(2026, 12, 1, 9, 0, 0, 123456)),
    ],
)
def test_parse_instant_accepts_rfc3339_with_offset_and_returns_utc(text, expected):
    parsed = parse_instant(text, "start")

    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        None,
        1764579600,
        datetime(2026, 12, 1, 9, tzinfo=UTC),  # already a datetime, but the API speaks strings
        "",
        "garbage",
        "2026-12-01",
        "2026-12-01T09:00Z",  # seconds are required
        "2026-12-01 09:00:00Z",
        "20261201T090000Z",
        "2026-12-01T09:00:00+0100",
        "2026-12-01T09:00:00+01",
        "2026-12-01T09:00:00Z\n",
        "２０２６-12-01T09:00:00Z",  # non-ASCII digits
        "2026-12-01T09:00:00.Z",
    ],
)
def test_parse_instant_rejects_malformed_values_naming_the_field(value):
    with pytest.raises(InvalidRequest) as caught:
        parse_instant(value, "start")

    assert caught.value.message.startswith("start: ")
    assert "2026-12-01T09:00:00Z" in caught.value.message


def test_parse_instant_rejects_a_naive_time_asking_for_an_offset():
    with pytest.raises(InvalidRequest) as caught:
        parse_instant("2026-12-01T09:00:00", "slot.start")

    assert caught.value.message.startswith("slot.start: ")
    assert "offset" in caught.value.message


@pytest.mark.parametrize(
    "value",
    [
        "2026-13-01T09:00:00Z",
        "2026-02-30T09:00:00Z",
        "2026-12-01T24:00:00Z",
        "2026-12-01T09:60:00Z",
        "2026-12-01T09:00:60Z",  # RFC 3339 leap seconds cannot be represented
        "2026-12-01T09:00:00+24:00",
        "0001-01-01T00:00:00+01:00",  # before the first representable UTC instant
    ],
)
def test_parse_instant_rejects_impossible_values(value):
    with pytest.raises(InvalidRequest) as caught:
        parse_instant(value, "start")

    assert caught.value.message.startswith("start: ")
    assert "2026-12-01T09:00:00Z" in caught.value.message


# --- parse_date ----------------------------------------------------------------------------


def test_parse_date_accepts_yyyy_mm_dd():
    assert parse_date("2026-12-24", "date") == date(2026, 12, 24)


@pytest.mark.parametrize(
    "value",
    [None, 20261224, date(2026, 12, 24), "", "2026-12-4", "20261224", "2026-W52-4", "2026-12-24T00:00:00Z", " 2026-12-24"],
)
def test_parse_date_rejects_other_shapes(value):
    with pytest.raises(InvalidRequest) as caught:
        parse_date(value, "overrides[3].date")

    assert caught.value.message == "overrides[3].date: must be a date YYYY-MM-DD, e.g. 2026-12-01"


@pytest.mark.parametrize("value", ["2026-02-29", "2026-04-31", "2026-00-10", "2026-12-00"])
def test_parse_date_rejects_dates_not_on_the_calendar(value):
    with pytest.raises(InvalidRequest) as caught:
        parse_date(value, "from")

    assert caught.value.message == f"from: {value} is not a calendar date"


@pytest.mark.parametrize("value", [
    "0002-01-01T00:00:00+23:59",  # year 2 by its text, year 1 in UTC
    "9998-12-31T23:59:59-23:59",  # year 9998 by its text, 9999 in UTC
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:59:59+01:00",
    "2999-12-31T23:59:59-00:01",
    "3000-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
])
def test_parse_instant_refuses_instants_outside_the_supported_range(value):
    with pytest.raises(InvalidRequest) as caught:
        parse_instant(value, "start")

    assert caught.value.message == (
        "start: must be a date-time from 1970-01-01T00:00:00Z to 2999-12-31T23:59:59Z, e.g. 2026-12-01T09:00:00Z")


@pytest.mark.parametrize("value, expected", [
    ("1970-01-01T00:00:00Z", utc(1970, 1, 1)),
    ("1970-01-01T01:00:00+01:00", utc(1970, 1, 1)),
    ("2999-12-31T23:59:59.999999999Z", utc(2999, 12, 31, 23, 59, 59, 999999)),
    ("3000-01-01T00:00:00+00:01", utc(2999, 12, 31, 23, 59)),
])
def test_parse_instant_takes_the_ends_of_the_supported_range(value, expected):
    assert parse_instant(value, "start") == expected


@pytest.mark.parametrize("value", ["0001-01-01", "1969-12-31", "3000-01-01", "9999-12-31", "0000-02-30"])
def test_parse_date_refuses_dates_outside_the_supported_range(value):
    with pytest.raises(InvalidRequest) as caught:
        parse_date(value, "from")

    assert caught.value.message == "from: must be a date from 1970-01-01 to 2999-12-31, e.g. 2026-12-01"


def test_parse_date_takes_the_ends_of_the_supported_range():
    assert parse_date("1970-01-01", "from") == date(1970, 1, 1)
    assert parse_date("2999-12-31", "to") == date(2999, 12, 31)


# --- parse_zone ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/London", "Asia/Kathmandu", "Pacific/Chatham", "UTC", "US/Eastern"])
def test_parse_zone_accepts_iana_names(name):
    assert parse_zone(name) == ZoneInfo(name)


@pytest.mark.parametrize(
    "value",
    [
        None,
        5,
        "",
        ".",
        "../x",
        "/etc/localtime",
        "America",  # a directory of zones, not a zone
        "europe/london",
        " Europe/London",
        "Europe/London\x00",
        "Nowhere/Atlantis",
        "x" * 5000,
        "right/UTC",
        "posix/Europe/London",
        "localtime",
        "Factory",
    ],
)
def test_parse_zone_turns_every_odd_value_into_invalid_request(value):
    with pytest.raises(InvalidRequest) as caught:
        parse_zone(value)

    assert caught.value.message == "timezone: must be an IANA time zone name, e.g. Europe/London"


def test_parse_zone_names_the_given_field():
    with pytest.raises(InvalidRequest) as caught:
        parse_zone("Mars/Olympus", "provider.timezone")

    assert caught.value.message.startswith("provider.timezone: ")


# --- grid and formatting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "instant, zone, expected",
    [
        (utc(2026, 12, 1, 9), "Europe/London", True),
        (utc(2026, 12, 1, 3, 15), "Asia/Kathmandu", True),  # 09:00 local
        (utc(2026, 12, 1, 3, 20), "Asia/Kathmandu", False),
        (utc(2026, 12, 1, 9, 0, 1), "Europe/London", False),
        (utc(2026, 12, 1, 9, 0, 0, 1), "Europe/London", False),
        (utc(2026, 12, 1, 11, 15), "Pacific/Chatham", True),  # 01:00 local, +13:45
    ],
)
def test_is_on_grid(instant, zone, expected):
    assert is_on_grid(instant, ZoneInfo(zone)) is expected


def test_format_utc_from_any_aware_datetime():
    instant = datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Europe/Paris"))

    assert format_utc(instant) == "2026-12-01T09:00:00Z"


@pytest.mark.parametrize(
    "zone, expected",
    [
        ("Europe/Paris", "2026-12-01T10:00:00+01:00"),
        ("Europe/London", "2026-12-01T09:00:00+00:00"),
        ("America/New_York", "2026-12-01T04:00:00-05:00"),
        ("Asia/Kathmandu", "2026-12-01T14:45:00+05:45"),
        ("Pacific/Chatham", "2026-12-01T22:45:00+13:45"),
        ("America/St_Johns", "2026-12-01T05:30:00-03:30"),
    ],
)
def test_format_local_always_has_an_hh_mm_offset(zone, expected):
    assert format_local(utc(2026, 12, 1, 9), ZoneInfo(zone)) == expected


def test_formatting_round_trips_through_parse_instant():
    instant = utc(2026, 4, 5, 13, 45)
    zone = ZoneInfo("Australia/Lord_Howe")

    assert parse_instant(format_utc(instant), "t") == instant
    assert parse_instant(format_local(instant, zone), "t") == instant


def test_naive_datetimes_are_refused_rather_than_read_in_the_host_zone():
    with pytest.raises(ValueError):
        format_utc(datetime(2026, 12, 1, 9))
    with pytest.raises(ValueError):
        local_date(datetime(2026, 12, 1, 9), ZoneInfo("Europe/London"))


def test_slot_starts_steps_by_fifteen_minutes_up_to_but_excluding_end():
    starts = slot_starts(utc(2026, 12, 1, 9), utc(2026, 12, 1, 10))

    assert starts == [utc(2026, 12, 1, 9), utc(2026, 12, 1, 9, 15), utc(2026, 12, 1, 9, 30), utc(2026, 12, 1, 9, 45)]


def test_slot_starts_is_empty_when_end_is_not_after_start():
    assert slot_starts(utc(2026, 12, 1, 9), utc(2026, 12, 1, 9)) == []
    assert slot_starts(utc(2026, 12, 1, 10), utc(2026, 12, 1, 9)) == []


def test_slot_starts_returns_utc_for_local_inputs():
    paris = ZoneInfo("Europe/Paris")

    starts = slot_starts(datetime(2026, 12, 1, 10, tzinfo=paris), datetime(2026, 12, 1, 10, 30, tzinfo=paris))

    assert starts == [utc(2026, 12, 1, 9), utc(2026, 12, 1, 9, 15)]
    assert all(start.tzinfo is UTC for start in starts)


def test_local_date_follows_the_zone_not_utc():
    instant = utc(2026, 12, 1, 23, 30)

    assert local_date(instant, ZoneInfo("Europe/London")) == date(2026, 12, 1)
    assert local_date(instant, ZoneInfo("Asia/Kathmandu")) == date(2026, 12, 2)
    assert local_date(utc(2026, 12, 1, 3), ZoneInfo("America/New_York")) == date(2026, 11, 30)


# --- local_day_bounds -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone, day, start, end, hours",
    [
        ("Europe/London", date(2026, 12, 1), utc(2026, 12, 1), utc(2026, 12, 2), 24),
        ("Europe/London", date(2026, 3, 29), utc(2026, 3, 29), utc(2026, 3, 29, 23), 23),
        ("Europe/London", date(2026, 10, 25), utc(2026, 10, 24, 23), utc(2026, 10, 26), 25),
        ("America/New_York", date(2026, 3, 8), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23),
        ("America/New_York", date(2026, 11, 1), utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 25),
        ("Australia/Lord_Howe", date(2026, 4, 5), utc(2026, 4, 4, 13), utc(2026, 4, 5, 13, 30), 24.5),
        ("Australia/Lord_Howe", date(2026, 10, 4), utc(2026, 10, 3, 13, 30), utc(2026, 10, 4, 13), 23.5),
        ("Pacific/Chatham", date(2026, 4, 5), utc(2026, 4, 4, 10, 15), utc(2026, 4, 5, 11, 15), 25),
        ("Pacific/Chatham", date(2026, 9, 27), utc(2026, 9, 26, 11, 15), utc(2026, 9, 27, 10, 15), 23),
        ("Asia/Kathmandu", date(2026, 12, 1), utc(2026, 11, 30, 18, 15), utc(2026, 12, 1, 18, 15), 24),
    ],
)
def test_local_day_bounds_across_transitions(zone, day, start, end, hours):
    assert local_day_bounds(day, ZoneInfo(zone)) == (start, end)
    assert end - start == timedelta(hours=hours)


def test_santiago_day_without_a_midnight_begins_at_the_transition():
    # Given: America/Santiago springs forward from 00:00 (-04:00) to 01:00 (-03:00) on 2026-09-06
    santiago = ZoneInfo("America/Santiago")
    assert format_local(utc(2026, 9, 6, 3, 59), santiago) == "2026-09-05T23:59:00-04:00"
    assert format_local(utc(2026, 9, 6, 4), santiago) == "2026-09-06T01:00:00-03:00"

    # When
    start, end = local_day_bounds(date(2026, 9, 6), santiago)

    # Then: the day begins at 01:00 local, and the previous day ends there too
    assert (start, end) == (utc(2026, 9, 6, 4), utc(2026, 9, 7, 3))
    assert local_day_bounds(date(2026, 9, 5), santiago)[1] == start


def test_santiago_fall_back_over_midnight_lengthens_the_day_before():
    # Given: on 2026-04-05 at 00:00 (-03:00) Santiago goes back to 23:00 (-04:00) on 2026-04-04
    santiago = ZoneInfo("America/Santiago")

    # Then: 2026-04-04 has 25 hours and 2026-04-05 begins at the single real midnight
    assert local_day_bounds(date(2026, 4, 4), santiago) == (utc(2026, 4, 4, 3), utc(2026, 4, 5, 4))
    assert local_day_bounds(date(2026, 4, 5), santiago)[0] == utc(2026, 4, 5, 4)


def test_havana_missing_and_azores_doubled_midnights():
    havana = ZoneInfo("America/Havana")

    # Spring forward 2026-03-08 at 00:00 -> 01:00: the day begins at 01:00 (-04:00)
    assert local_day_bounds(date(2026, 3, 8), havana) == (utc(2026, 3, 8, 5), utc(2026, 3, 9, 4))
    # (tzdata 2026 keeps Cuba on -04:00 after that: no fall back in November 2026)

    azores = ZoneInfo("Atlantic/Azores")
    # Fall back 2026-10-25 at 01:00 -> 00:00: midnight happens twice; the day begins at the first
    assert local_day_bounds(date(2026, 10, 25), azores) == (utc(2026, 10, 25, 0), utc(2026, 10, 26, 1))
    assert local_day_bounds(date(2026, 10, 24), azores)[1] == utc(2026, 10, 25, 0)


def test_a_skipped_span_straddling_midnight_starts_the_day_at_the_transition():
    # Given: on 1919-03-31 Toronto jumped from 23:30 (-05:00) straight to 00:30 (-04:00)
    toronto = ZoneInfo("America/Toronto")

    # Then: the day begins at 00:30 local, not at the reading of the missing midnight (05:00 UTC)
    assert local_day_bounds(date(1919, 3, 31), toronto) == (utc(1919, 3, 31, 4, 30), utc(1919, 4, 1, 4))
    assert local_day_bounds(date(1919, 3, 30), toronto)[1] == utc(1919, 3, 31, 4, 30)


def test_every_instant_between_the_bounds_has_that_local_date():
    for zone_name, day in [
        ("America/Santiago", date(2026, 9, 6)),
        ("Atlantic/Azores", date(2026, 10, 25)),
        ("Australia/Lord_Howe", date(2026, 4, 5)),
        ("Pacific/Chatham", date(2026, 9, 27)),
    ]:
        zone = ZoneInfo(zone_name)
        start, end = local_day_bounds(day, zone)
        minute = timedelta(minutes=1)

        assert local_date(start - minute, zone) == day - timedelta(days=1)
        assert all(local_date(start + i * minute, zone) == day for i in range((end - start) // minute))
        assert local_date(end, zone) == day + timedelta(days=1)


# --- booking_window -------------------------------------------------------------------------


def test_booking_window_adds_notice_and_counts_days_on_the_local_calendar():
    # Given: 22:00 on 1 December in New York is already 2 December in UTC
    now = utc(2026, 12, 2, 3)

    # When
    earliest, last_day = booking_window(now, ZoneInfo("America/New_York"), 120, 30)

    # Then
    assert earliest == utc(2026, 12, 2, 5)
    assert last_day == date(2026, 12, 31)


def test_booking_window_ahead_of_utc():
    # Given: 22:30 UTC on 1 December is 12:15 on 2 December in Chatham (+13:45)
    earliest, last_day = booking_window(utc(2026, 12, 1, 22, 30), ZoneInfo("Pacific/Chatham"), 0, 30)

    assert earliest == utc(2026, 12, 1, 22, 30)
    assert last_day == date(2027, 1, 1)
