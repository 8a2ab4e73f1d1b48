"""The contention benchmark at its quick size on the session's stack: every slot sold once, none left, no 5xx."""
from __future__ import annotations

from bench import contention


def test_customers_racing_for_every_slot_sell_each_exactly_once(stack):
    # Given 4 providers of 4 quarter-hour slots and 20 clients booking at once, retrying on 409; When they sell out
    part = contention.run(stack, quick=True)
    figures, checked = part.figures, part.details["verify"]
    # Then no slot has two bookings, none is left unsold, and no answer was a 5xx other than 503
    assert figures["contention_double_bookings"] == 0, checked
    assert figures["contention_unsold_slots"] == 0, checked
    assert figures["contention_server_errors"] == 0, part.details["by_kind"]
    assert not part.details["deadline_hit"]
    assert part.misses() == []
    # And the table, the API and the clients' 201s agree on which bookings exist
    total = contention.QUICK.providers * contention.QUICK.slots
    assert checked["table"]["active_bookings"] == checked["api"]["active_bookings"] == total
    assert part.details["bookings_made"] == total
    assert checked["table"]["slot_statuses"] == {"BOOKED": total}
    assert checked["table"]["slots_not_booked_by_their_booking"] == 0
    assert checked["answered_but_missing"] == checked["active_but_unanswered"] == []
    assert checked["listing_disagrees_with_table"] == []
    # And every hold or booking was answered 201, 409 or 503, with latencies measured
    assert figures["contention_answers"]["other"] == 0
    assert figures["contention_answers"]["201"] >= total
    assert 0 < figures["contention_latency_ms"]["p50"] <= figures["contention_latency_ms"]["p99"]
    assert figures["contention_bookings_per_second"] > 0
