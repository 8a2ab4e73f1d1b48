"""The roll benchmark runs end to end at its quick size and writes figures that make sense (not its goals)."""
from __future__ import annotations

from bench import roll as bench


def test_the_quick_roll_benchmark_writes_sane_figures(environment_kept):
    part = bench.measure(quick=True)
    figures = part.figures
    assert part.name == "roll" and part.details["providers"] == bench.QUICK_PROVIDERS
    # The first build laid out the horizon: thousands of slots in tens of write calls
    assert figures["first_build_slots"] > 60 * 8 and 1 <= figures["first_build_write_calls"] < 200
    assert figures["first_build_seconds"] > 0
    # The roll went over every provider once, wrote some days, in a handful of calls each
    assert part.details["roll_outcome"]["providers"] == bench.QUICK_PROVIDERS
    assert part.details["roll_outcome"]["failed"] == 0
    assert 0 < figures["daily_roll_days_written"] <= 2
    assert 0 < figures["daily_roll_calls_per_provider"] < 20
    assert figures["daily_roll_seconds"] > 0 and figures["roll_listing_shards"] >= 1
    assert {what for what, _ in part.rows} >= {"roll: listing shards", "first build: write calls per provider"}
