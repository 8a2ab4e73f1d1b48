"""The availability and writes benchmark parts run at their quick size and give figures that make sense (not
that they meet their goals: nothing here is timed)."""
from __future__ import annotations

from bench import availability, writes


def test_the_availability_part_counts_one_query_and_times_three_ways(environment_kept):
    part = availability.measure(quick=True)
    assert part.name == "availability"
    assert set(part.figures) == {"availability_ratio", "availability_http_ratio", "availability_calls",
                                 "availability_read_units"}
    assert part.figures["availability_read_units"] >= 1
    assert isinstance(part.figures["availability_calls"], int) and part.figures["availability_calls"] >= 1
    assert part.figures["availability_ratio"] > 0 and part.figures["availability_http_ratio"] > 0
    for side in ("raw", "app", "http"):
        assert part.details["latency"][side]["n"] >= 1
        assert 0 < part.details["latency"][side]["p50_ms"] <= part.details["latency"][side]["p95_ms"]
    assert part.details["starts_offered"] > 0 and part.details["items_read"] > part.details["starts_offered"]
    assert set(part.goals) == set(part.figures) - {"availability_read_units"} and part.rows


def test_the_writes_part_counts_calls_and_units_of_every_operation(environment_kept):
    part = writes.measure(quick=True)
    assert part.name == "writes"
    booking = part.figures["booking_write_calls"]
    assert isinstance(booking, int) and booking >= 1
    for figure in ("write_calls", "read_calls", "write_capacity_units"):
        assert set(part.figures[figure]) == set(writes.OPERATIONS), figure
    for operation in writes.OPERATIONS:
        assert isinstance(part.figures["write_calls"][operation], int) and part.figures["write_calls"][operation] >= 1
        assert isinstance(part.figures["read_calls"][operation], int) and part.figures["read_calls"][operation] >= 0
        # Every operation writes at least one item in a transaction or an update: at least one unit.
        assert part.figures["write_capacity_units"][operation] >= 1
    assert part.goals == {"booking_write_calls": ("==", 1)}


def test_item_sizes_follow_dynamodb_rules():
    item = {"pk": {"S": "PROVIDER#p"}, "n": {"N": "123.45"}, "ok": {"BOOL": True},
            "m": {"M": {"a": {"S": "xy"}}}, "l": {"L": [{"N": "1"}, {"NULL": True}]}}
    # names 2+1+2+1+1; values 10, 3 digits pairs + 1 = 4, 1, 3 + (1 + 2 + 1), 3 + (2 + 1) + (1 + 1)
    assert writes.item_size(item) == 7 + 10 + 4 + 1 + 7 + 8
    assert writes.index_units(None, None) == 0
    booking = {"pk": {"S": "B#1"}, "gsi1pk": {"S": "C#1"}, "gsi1sk": {"S": "2026"}}
    moved = {**booking, "gsi1sk": {"S": "2027"}}
    assert writes.index_units(booking, booking) == 0
    assert writes.index_units(booking, {**booking, "x": {"S": "y"}}) == 1
    assert writes.index_units(booking, moved) == 2
