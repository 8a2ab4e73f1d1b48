"""Fitting a service into runs of consecutive bookable slots; the time live holds take."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.availability import fitting_starts, live_holds, slots_needed
from chalicelib.domain.entities import BOOKED, FREE, HELD, HeldTime, SlotState
from chalicelib.domain.schedule import WEEKDAYS, Interval, WorkingHours, working_slots
from chalicelib.domain.timegrid import SLOT

UTC = timezone.utc
NINE = datetime(2026, 12, 1, 9, tzinfo=UTC)


def at(*quarters: int):
    """Slot starts at the given quarter-hour offsets from 09:00 UTC."""
    return [NINE + q * SLOT for q in quarters]


@pytest.mark.parametrize(
    "duration, buffer, expected",
    [(15, 0, 1), (60, 0, 4), (60, 15, 5), (45, 30, 5), (90, 0, 6), (10, 0, 1), (50, 0, 4), (60, 5, 5)],
)
def test_slots_needed_covers_duration_and_buffer(duration, buffer, expected):
    assert slots_needed(duration, buffer) == expected


@pytest.mark.parametrize("duration, buffer", [(0, 0), (-15, 30), (60, -15)])
def test_slots_needed_refuses_nonsense(duration, buffer):
    with pytest.raises(ValueError):
        slots_needed(duration, buffer)


def test_fitting_starts_needs_the_whole_span_back_to_back():
    # Given: 09:00-10:00 free, 10:00 taken, 10:15-10:45 free
    bookable = at(0, 1, 2, 3, 5, 6)

    # Then: a one-hour service (4 slots) can only start at 09:00; a 30-minute one (2 slots) fits more often
    assert fitting_starts(bookable, 4) == at(0)
    assert fitting_starts(bookable, 2) == at(0, 1, 2, 5)
    assert fitting_starts(bookable, 1) == at(0, 1, 2, 3, 5, 6)
    assert fitting_starts(bookable, 5) == []


def test_fitting_starts_accepts_any_order_duplicates_and_any_iterable():
    assert fitting_starts(iter(at(3, 0, 2, 1, 2)), 3) == at(0, 1)
    assert fitting_starts([], 1) == []


def test_fitting_starts_refuses_an_empty_span():
    with pytest.raises(ValueError):
        fitting_starts(at(0), 0)


def test_fitting_starts_spans_the_repeated_hour_of_a_fall_back_night():
    # Given: London works 00:30-02:00 on 2026-10-25, when 01:00-02:00 happens twice
    london = ZoneInfo("Europe/London")
    hours = WorkingHours(weekly={day: (Interval(30, 120),) for day in WEEKDAYS})
    bookable = working_slots(hours, date(2026, 10, 25), london)

    # When: a two-hour service (8 slots) looks for a start
    starts = fitting_starts(bookable, 8)

    # Then: 10 real slots (00:30-01:00 BST, 01:00-02:00 BST, 01:00-02:00 GMT) leave 3 starts
    assert len(bookable) == 10
    assert starts == [datetime(2026, 10, 24, 23, 30, tzinfo=UTC) + i * SLOT for i in range(3)]


def test_fitting_starts_joins_intervals_the_skipped_hour_makes_back_to_back():
    # Given: London works 00:00-01:00 and 02:00-03:00 on 2026-03-29, when 01:00 jumps to 02:00
    london = ZoneInfo("Europe/London")
    hours = WorkingHours(weekly={day: (Interval(0, 60), Interval(120, 180)) for day in WEEKDAYS})
    bookable = working_slots(hours, date(2026, 3, 29), london)

    # Then: in real time the two intervals are back to back, so 2 hours fit from midnight
    assert fitting_starts(bookable, 8) == [datetime(2026, 3, 29, 0, tzinfo=UTC)]


def brute_force(bookable, span):
    free = set(bookable)
    return sorted(s for s in free if all(s + i * SLOT in free for i in range(span)))


@settings(max_examples=200, deadline=None)
@given(quarters=st.lists(st.integers(0, 60), max_size=50), span=st.integers(1, 10))
def test_fitting_starts_matches_brute_force(quarters, span):
    bookable = at(*quarters)

    starts = fitting_starts(bookable, span)

    assert starts == brute_force(bookable, span)
    free = set(bookable)
    assert all(start + i * SLOT in free for start in starts for i in range(span))
    assert starts == sorted(set(starts))


@settings(max_examples=200, deadline=None)
@given(quarters=st.lists(st.integers(0, 60), max_size=50), span=st.integers(1, 10))
def test_fitting_starts_ignores_the_zone_the_instants_are_written_in(quarters, span):
    # Given: the same instants, some written in a local zone
    kathmandu = ZoneInfo("Asia/Kathmandu")
    mixed = [slot.astimezone(kathmandu) if i % 2 else slot for i, slot in enumerate(at(*quarters))]

    assert fitting_starts(mixed, span) == fitting_starts(at(*quarters), span)



def held(quarter: int, hold_id: str, expires: int, status: str = HELD) -> SlotState:
    return SlotState(start=NINE + quarter * SLOT, status=status, in_hours=True, hold_id=hold_id, hold_expires=expires)


def test_live_holds_span_their_slots_from_the_first_start_to_the_last_end_by_start():
    now = int(NINE.timestamp())
    slots = [held(6, "b", now + 60), held(4, "b", now + 60), held(5, "b", now + 60),  # any order
             held(0, "a", now + 300), held(1, "a", now + 300),
             SlotState(start=NINE + 2 * SLOT, status=FREE, in_hours=True),
             SlotState(start=NINE + 3 * SLOT, status=BOOKED, in_hours=True, booking_id="x")]
    expires = [datetime.fromtimestamp(now + s, UTC) for s in (300, 60)]
    assert live_holds(slots, now) == [HeldTime("a", NINE, NINE + 2 * SLOT, expires[0]),
                                      HeldTime("b", NINE + 4 * SLOT, NINE + 7 * SLOT, expires[1])]


def test_a_hold_is_not_live_from_its_expiry_on():
    now = int(NINE.timestamp())
    # Lapsed exactly now (a slot is bookable again from its expiry), lapsed before, still live
    slots = [held(0, "now", now), held(1, "before", now - 1), held(2, "live", now + 1)]
    assert [h.hold_id for h in live_holds(slots, now)] == ["live"]
    # A slot whose status moved on (booked with the hold) is no longer the hold's, whatever it kept
    assert live_holds([held(0, "used", now + 60, status=BOOKED)], now) == []
