"""A provider's working hours: a weekly pattern plus per-date overrides, on the local 15-minute grid."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Sequence, Tuple, TypeVar
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.timegrid import SLOT_MINUTES, local_day_bounds, parse_date, slot_starts

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
MAX_INTERVALS_PER_DAY = 12
MAX_OVERRIDES = 400

_TIME = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00")
_INTERVAL_EXAMPLE = '{"start": "09:00", "end": "17:00"}'

_K = TypeVar("_K")
_V = TypeVar("_V")


@dataclass(frozen=True, order=True)
class Interval:
    """Working time within one local day, in minutes since local midnight (end exclusive)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        on_grid = self.start % SLOT_MINUTES == 0 and self.end % SLOT_MINUTES == 0
        if not (0 <= self.start < self.end <= MINUTES_PER_DAY and on_grid):
            raise ValueError(f"not a 15-minute-grid interval within a day: {self.start}-{self.end}")


class _FrozenMap(Mapping[_K, _V]):
    """A read-only mapping that compares and hashes by content."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[_K, _V]):
        self._items = dict(items)

    def __getitem__(self, key: _K) -> _V:
        return self._items[key]

    def __iter__(self) -> Iterator[_K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return repr(self._items)


@dataclass(frozen=True)
class WorkingHours:
    """Weekly intervals by weekday name, and dates whose intervals replace the weekly ones."""

    weekly: Mapping[str, Tuple[Interval, ...]]
    overrides: Mapping[date, Tuple[Interval, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.weekly) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekdays: {sorted(map(str, unknown))}")
        # Normalised so that equal schedules compare and hash equal however they were built.
        weekly = {day: _sorted_day(self.weekly.get(day, ())) for day in WEEKDAYS}
        overrides = {day: _sorted_day(intervals) for day, intervals in self.overrides.items()}
        object.__setattr__(self, "weekly", _FrozenMap(weekly))
        object.__setattr__(self, "overrides", _FrozenMap(overrides))

    @classmethod
    def closed(cls) -> WorkingHours:
        """Return working hours with every day closed and no overrides."""
        return cls(weekly={})

    @classmethod
    def parse(cls, document: Any) -> WorkingHours:
        """Validate a working-hours JSON document and build WorkingHours from it."""
        if not isinstance(document, dict):
            raise InvalidRequest(
                "working hours: must be an object like "
                f'{{"weekly": {{"mon": [{_INTERVAL_EXAMPLE}]}}, "overrides": []}}'
            )
        _reject_unknown_keys(document, ("weekly", "overrides"), "")
        weekly = _parse_weekly(_required(document, "weekly", ""))
        overrides = _parse_overrides(document.get("overrides", []))
        return cls(weekly=weekly, overrides=overrides)

    def to_document(self) -> Dict[str, Any]:
        """Return the canonical JSON document: all seven days, intervals and overrides sorted."""
        return {
            "weekly": {day: _intervals_document(self.weekly[day]) for day in WEEKDAYS},
            "overrides": [
                {"date": day.isoformat(), "intervals": _intervals_document(self.overrides[day])}
                for day in sorted(self.overrides)
            ],
        }

    def intervals_on(self, day: date) -> Tuple[Interval, ...]:
        """Return the override for `day` if there is one, else the weekly intervals of its weekday."""
        if day in self.overrides:
            return self.overrides[day]
        return self.weekly[WEEKDAYS[day.weekday()]]


def working_slots(hours: WorkingHours, day: date, tz: ZoneInfo) -> List[datetime]:
    """List the UTC starts of the 15-minute slots of local date `day` that lie within working hours."""
    intervals = hours.intervals_on(day)
    if not intervals:
        return []
    # Walking real instants (not wall-clock times) gives repeated wall times twice on a
    # fall-back day and skipped wall times never on a spring-forward day.
    slots = []
    for instant in slot_starts(*local_day_bounds(day, tz)):
        local = instant.astimezone(tz)
        minute = local.hour * 60 + local.minute
        if any(iv.start <= minute and minute + SLOT_MINUTES <= iv.end for iv in intervals):
            slots.append(instant)
    return slots


def days_changed(old: WorkingHours, new: WorkingHours, days: Iterable[date]) -> List[date]:
    """List the days among `days` whose intervals differ between `old` and `new`."""
    return [day for day in days if old.intervals_on(day) != new.intervals_on(day)]


def _sorted_day(intervals: Iterable[Interval]) -> Tuple[Interval, ...]:
    return tuple(sorted(intervals))


def _parse_weekly(value: Any) -> Dict[str, Tuple[Interval, ...]]:
    if not isinstance(value, dict):
        raise InvalidRequest(
            f'weekly: must be an object keyed by weekday, e.g. {{"mon": [{_INTERVAL_EXAMPLE}]}}'
        )
    weekly = {}
    for day, intervals in value.items():
        if day not in WEEKDAYS:
            raise InvalidRequest(f"{_join('weekly', day)}: unknown day; use {', '.join(WEEKDAYS)}")
        weekly[day] = _parse_day(intervals, f"weekly.{day}")
    return weekly


def _parse_overrides(value: Any) -> Dict[date, Tuple[Interval, ...]]:
    if not isinstance(value, list):
        raise InvalidRequest('overrides: must be a list like [{"date": "2026-12-24", "intervals": []}]')
    if len(value) > MAX_OVERRIDES:
        raise InvalidRequest(f"overrides: at most {MAX_OVERRIDES} dates, got {len(value)}")
    overrides: Dict[date, Tuple[Interval, ...]] = {}
    first_index: Dict[date, int] = {}
    for index, entry in enumerate(value):
        path = f"overrides[{index}]"
        if not isinstance(entry, dict):
            raise InvalidRequest(f'{path}: must be an object like {{"date": "2026-12-24", "intervals": []}}')
        _reject_unknown_keys(entry, ("date", "intervals"), path)
        day = parse_date(_required(entry, "date", path), f"{path}.date")
        if day in first_index:
            raise InvalidRequest(f"{path}.date: {day} is already given at overrides[{first_index[day]}]")
        first_index[day] = index
        overrides[day] = _parse_day(_required(entry, "intervals", path), f"{path}.intervals")
    return overrides


def _parse_day(value: Any, path: str) -> Tuple[Interval, ...]:
    if not isinstance(value, list):
        raise InvalidRequest(
            f"{path}: must be a list of intervals like [{_INTERVAL_EXAMPLE}], or [] when closed"
        )
    if len(value) > MAX_INTERVALS_PER_DAY:
        raise InvalidRequest(f"{path}: at most {MAX_INTERVALS_PER_DAY} intervals a day, got {len(value)}")
    intervals = [_parse_interval(item, f"{path}[{index}]") for index, item in enumerate(value)]
    order = sorted(range(len(intervals)), key=intervals.__getitem__)
    # Once sorted by start, checking neighbours is enough to rule out any overlap.
    for earlier, later in zip(order, order[1:]):
        if intervals[later].start < intervals[earlier].end:
            raise InvalidRequest(
                f"{path}[{later}]: overlaps {path}[{earlier}] ({_span(intervals[earlier])}); "
                "intervals of one day must not overlap"
            )
    return tuple(intervals)


def _parse_interval(value: Any, path: str) -> Interval:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{path}: must be an object like {_INTERVAL_EXAMPLE}")
    _reject_unknown_keys(value, ("start", "end"), path)
    start = _parse_time(_required(value, "start", path), f"{path}.start")
    if start == MINUTES_PER_DAY:
        raise InvalidRequest(f"{path}.start: 24:00 is only allowed as an end; a day starts at 00:00")
    end = _parse_time(_required(value, "end", path), f"{path}.end")
    if end <= start:
        raise InvalidRequest(f"{path}.end: must be after start ({_clock(start)})")
    return Interval(start, end)


def _parse_time(value: Any, path: str) -> int:
    if not isinstance(value, str) or _TIME.fullmatch(value) is None:
        raise InvalidRequest(f'{path}: must be a 24-hour time "HH:MM", e.g. 09:00')
    hours, minutes = value.split(":")
    total = int(hours) * 60 + int(minutes)
    if total % SLOT_MINUTES:
        raise InvalidRequest(f"{path}: must be on the 15-minute grid, e.g. 09:15")
    return total


def _required(document: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in document:
        raise InvalidRequest(f"{_join(path, key)}: required")
    return document[key]


def _reject_unknown_keys(document: Mapping[Any, Any], allowed: Sequence[str], path: str) -> None:
    for key in document:
        if key not in allowed:
            raise InvalidRequest(f"{_join(path, key)}: unknown field; allowed: {', '.join(allowed)}")


def _join(path: str, key: object) -> str:
    # A key that is empty, padded or not printable (a lone surrogate, a control character) is shown quoted.
    label = key if isinstance(key, str) and key.isprintable() and key and key.strip() == key else repr(key)
    return f"{path}.{label}" if path else label


def _intervals_document(intervals: Iterable[Interval]) -> List[Dict[str, str]]:
    return [{"start": _clock(iv.start), "end": _clock(iv.end)} for iv in intervals]


def _span(interval: Interval) -> str:
    return f"{_clock(interval.start)}-{_clock(interval.end)}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
