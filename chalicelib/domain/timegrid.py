"""The 15-minute time grid: parsing and formatting instants, and mapping provider-local days to UTC.

Instants are aware datetimes in UTC; local reasoning happens in the provider's IANA zone.
Every current UTC offset is a multiple of 15 minutes, so the local grid and the UTC grid coincide.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import FrozenSet, List, Optional, Tuple
from zoneinfo import ZoneInfo, available_timezones

from chalicelib.domain.errors import InvalidRequest

SLOT_MINUTES = 15
SLOT = timedelta(minutes=SLOT_MINUTES)

UTC = timezone.utc

# [0-9] rather than \d, which also matches non-ASCII digits such as "２". Nanoseconds at most.
_INSTANT = re.compile(
    r"(?P<year>[0-9]{4})-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    # Seconds in an offset only for the local times of zones' old mean-time offsets (e.g. -00:44:30 before 1972),
    # which format_local writes and must read back.
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?"
)
_DATE = re.compile(r"(?P<year>[0-9]{4})-[0-9]{2}-[0-9]{2}")
_INSTANT_EXAMPLE = "2026-12-01T09:00:00Z"

# The instants and dates the API accepts (docs/input-limits.md). Both ends lie centuries inside what
# datetime can hold, so a local day, a booking window or a slot walk near either end never overflows.
FIRST_DATE = date(1970, 1, 1)
LAST_DATE = date(2999, 12, 31)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
_INSTANT_RANGE = "from 1970-01-01T00:00:00Z to 2999-12-31T23:59:59Z"
_DATE_RANGE = "from 1970-01-01 to 2999-12-31"

# Names that load on this host but do not denote a real place: "localtime" is the host's
# own zone, "Factory" is tzdata's "zone not configured" placeholder.
_NOT_PROVIDER_ZONES = frozenset({"localtime", "Factory"})


def parse_instant(value: object, field: str) -> datetime:
    """Parse an RFC 3339 date-time with an offset, within the supported range, into an aware UTC datetime."""
    try:
        return read_instant(value)
    except ValueError as error:
        raise InvalidRequest(f"{field}: {error}") from None


def read_instant(value: object) -> datetime:
    """Like parse_instant, but a ValueError says what is wrong without naming a field (for models)."""
    match = _INSTANT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"must be an RFC 3339 date-time with seconds and an offset, e.g. {_INSTANT_EXAMPLE}")
    if match.group("offset") is None:
        raise ValueError(f'must include a UTC offset ("Z" or +HH:MM), e.g. {_INSTANT_EXAMPLE}')
    # An offset moves an instant by less than a day: years outside 1969-3000 are out of range whatever
    # it says, and refusing them before any arithmetic keeps datetime's year 1 and 9999 out of reach.
    if not FIRST_DATE.year - 1 <= int(match.group("year")) <= LAST_DATE.year + 1:
        raise ValueError(f"must be a date-time {_INSTANT_RANGE}, e.g. {_INSTANT_EXAMPLE}")
    try:
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid date-time, e.g. {_INSTANT_EXAMPLE}") from None
    if not EARLIEST <= parsed <= LATEST:
        raise ValueError(f"must be a date-time {_INSTANT_RANGE}, e.g. {_INSTANT_EXAMPLE}")
    return parsed


def parse_date(value: object, field: str) -> date:
    """Parse a strict YYYY-MM-DD calendar date within the supported range."""
    try:
        return read_date(value)
    except ValueError as error:
        raise InvalidRequest(f"{field}: {error}") from None


def read_date(value: object) -> date:
    """Like parse_date, but a ValueError says what is wrong without naming a field (for models)."""
    # date.fromisoformat alone would also accept "20261201" and "2026-W49-2".
    match = _DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("must be a date YYYY-MM-DD, e.g. 2026-12-01")
    if not FIRST_DATE.year <= int(match.group("year")) <= LAST_DATE.year:
        raise ValueError(f"must be a date {_DATE_RANGE}, e.g. 2026-12-01")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a calendar date") from None


def parse_bound(text: Optional[str], field: str, tz: ZoneInfo, end: bool) -> Optional[datetime]:
    """One end of a list's time range: a date (its whole day in tz) or an instant; None when not sent."""
    if not text:
        return None
    if len(text) == 10:
        first, after = local_day_bounds(parse_date(text, field), tz)
        return after - timedelta(seconds=1) if end else first
    return parse_instant(text, field)


def parse_zone(value: object, field: str = "timezone") -> ZoneInfo:
    """Parse an IANA time zone name such as Europe/London."""
    try:
        return read_zone(value)
    except ValueError as error:
        raise InvalidRequest(f"{field}: {error}") from None


def read_zone(value: object) -> ZoneInfo:
    """Like parse_zone, but a ValueError says what is wrong without naming a field (for models)."""
    # Checking the known names first means odd keys ("../x", "", "right/UTC", huge strings)
    # never reach the file system, where ZoneInfo would raise a variety of errors.
    if not isinstance(value, str) or value not in _zone_names():
        raise ValueError("must be an IANA time zone name, e.g. Europe/London")
    return ZoneInfo(value)


@cache
def _zone_names() -> FrozenSet[str]:
    return frozenset(available_timezones()) - _NOT_PROVIDER_ZONES


def is_on_grid(instant: datetime, tz: ZoneInfo) -> bool:
    """Tell whether the instant falls on a 15-minute boundary of the local clock."""
    local = _aware(instant).astimezone(tz)
    return local.minute % SLOT_MINUTES == 0 and local.second == 0 and local.microsecond == 0


def format_utc(instant: datetime) -> str:
    """Format an instant as UTC, e.g. 2026-12-01T09:00:00Z."""
    utc = _aware(instant).astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="seconds") + "Z"


def format_local(instant: datetime, tz: ZoneInfo) -> str:
    """Format an instant on the local clock with its offset, e.g. 2026-12-01T10:00:00+01:00."""
    return _aware(instant).astimezone(tz).isoformat(timespec="seconds")


def slot_starts(start: datetime, end: datetime) -> List[datetime]:
    """List the UTC instants start, start + 15 min, ... strictly before end."""
    current = _aware(start).astimezone(UTC)
    stop = _aware(end)
    starts = []
    while current < stop:
        starts.append(current)
        current += SLOT
    return starts


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """Give the calendar date of the instant on the local clock."""
    return _aware(instant).astimezone(tz).date()


def local_day_bounds(day: date, tz: ZoneInfo) -> Tuple[datetime, datetime]:
    """Give the UTC instants where local date `day` begins and where the next local day begins."""
    return _day_start(day, tz), _day_start(day + timedelta(days=1), tz)


def booking_window(
    now: datetime, tz: ZoneInfo, min_notice_minutes: int, max_days_ahead: int
) -> Tuple[datetime, date]:
    """Give the earliest start instant allowed and the last local date allowed for a booking made at `now`."""
    earliest = _aware(now).astimezone(UTC) + timedelta(minutes=min_notice_minutes)
    return earliest, local_date(now, tz) + timedelta(days=max_days_ahead)


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    midnight = datetime.combine(day, time())
    # fold=0 is the earlier of two midnights when the clock goes back over midnight.
    candidates = [midnight.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)]
    for candidate in candidates:
        if candidate.astimezone(tz).replace(tzinfo=None) == midnight:
            return candidate
    # Midnight was skipped (e.g. America/Santiago springs from 00:00 to 01:00): the day begins
    # at the transition, which lies between the two readings of the missing wall time.
    # Transitions fall on whole seconds, so a search down to one second finds it exactly.
    before, after = min(candidates), max(candidates)
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) // 2
        middle -= timedelta(microseconds=middle.microsecond)
        if middle.astimezone(tz).date() < day:
            before = middle
        else:
            after = middle
    return after


def _aware(instant: datetime) -> datetime:
    # A naive datetime would be read in the host's zone by astimezone(): refuse it.
    if instant.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got {instant!r}")
    return instant
