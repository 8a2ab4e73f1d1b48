"""Abuse limits against the in-memory repositories: the cap on a customer's live holds, the write rate."""
from __future__ import annotations

import pytest

from chalicelib.config import get_settings
from chalicelib.domain.errors import RateLimited, SlotUnavailable, TooManyHolds, TryAgain
from chalicelib.domain.limits import HoldLedger, write_window
from chalicelib.service import holds, limits
from tests.unit.conftest import ALICE, BOB, NOW, at

# Two hours apart: a 60-minute service with its 15-minute buffer never touches the next.
STARTS = [f"2026-12-0{day}T{hour:02d}:00:00Z" for day in (2, 3) for hour in (9, 11, 13, 15)][:7]


@pytest.fixture(autouse=True)
def product_limits(monkeypatch):
    """The product's limits, whatever the environment says (the integration tests' raises them for the session)."""
    monkeypatch.setenv("MAX_ACTIVE_HOLDS", "5")
    monkeypatch.setenv("WRITE_RATE_PER_MINUTE", "60")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def fill(shop, caller=ALICE, n: int = 5):
    return [shop.hold(caller, start)["hold_id"] for start in STARTS[:n]]


def test_the_sixth_live_hold_is_refused_until_the_first_lapses(state, shop):
    # Given five live holds of Alice, each for 5 minutes
    fill(shop)
    # When she holds a sixth time
    with pytest.raises(TooManyHolds) as refused:
        shop.hold(ALICE, STARTS[5])
    # Then it is refused with the cap, and when the first lapses; nothing of it was written
    assert refused.value.code == "too_many_holds"
    assert refused.value.message == "you hold 5 times already; book or release one first"
    assert refused.value.retry_after == 300
    assert len(state.holds) == 5 and state.slot(shop.pid, at("2026-12-03T11:00")).status == "FREE"
    # Another customer is not counted with her
    assert shop.hold(BOB, STARTS[5])["hold_id"]


def test_a_released_hold_frees_its_place_at_once(state, shop):
    first, *_ = fill(shop)
    holds.release_hold(ALICE, first)
    assert first not in state.ledgers[ALICE.user_id].entries
    assert shop.hold(ALICE, STARTS[5])["hold_id"]
    assert len(state.ledgers[ALICE.user_id].live(int(NOW.timestamp()))) == 5


def test_a_hold_used_for_a_booking_frees_its_place(state, shop):
    first, *_ = fill(shop)
    from chalicelib.domain.model import BookSlot
    from chalicelib.service import bookings
    bookings.book(ALICE, "key-1", BookSlot(hold_id=first))
    assert first not in state.ledgers[ALICE.user_id].entries
    assert shop.hold(ALICE, STARTS[5])["hold_id"]


def test_lapsed_holds_free_their_places_and_leave_the_ledger_with_the_next_hold(state, shop, fixed_clock):
    fill(shop)
    fixed_clock.advance(minutes=5)  # each lapses at 08:05: now is not before it
    fresh = shop.hold(ALICE, STARTS[5])["hold_id"]
    ledger = state.ledgers[ALICE.user_id]
    assert list(ledger.entries) == [fresh] and ledger.version == 6


def test_a_refused_hold_does_not_enter_the_ledger(state, shop):
    shop.hold(BOB, STARTS[0])
    with pytest.raises(SlotUnavailable):
        shop.hold(ALICE, STARTS[0])
    assert ALICE.user_id not in state.ledgers


def test_a_lost_race_on_the_ledger_reads_it_again_and_counts_the_winner(state, shop):
    # Given four live holds; another of her requests places the fifth just before this one commits
    fill(shop, n=4)
    state.before("commit_hold", lambda: shop.hold(ALICE, STARTS[4]))
    # Then this one's ledger condition fails, it reads the ledger again and finds the cap reached
    with pytest.raises(TooManyHolds):
        shop.hold(ALICE, STARTS[5])
    assert len(state.holds) == 5
    assert state.slot(shop.pid, at("2026-12-03T11:00")).status == "FREE"


def test_a_lost_race_below_the_cap_is_retried_and_both_holds_stand(state, shop):
    state.before("commit_hold", lambda: shop.hold(ALICE, STARTS[1]))
    shop.hold(ALICE, STARTS[0])
    assert len(state.ledgers[ALICE.user_id].entries) == 2 and state.ledgers[ALICE.user_id].version == 2
    assert state.calls.count("get_hold_ledger") == 3  # the competitor's read, this one's two


def test_a_ledger_that_keeps_changing_ends_in_try_again(state, shop):
    def bump() -> None:
        ledger = state.ledgers.get(ALICE.user_id, HoldLedger())
        state.ledgers[ALICE.user_id] = HoldLedger(ledger.version + 1, dict(ledger.entries))
    state.before("commit_hold", bump, times=10)
    with pytest.raises(TryAgain):
        shop.hold(ALICE, STARTS[0])
    assert not state.holds


def test_the_cap_is_a_setting(state, shop, monkeypatch):
    monkeypatch.setenv("MAX_ACTIVE_HOLDS", "2")
    get_settings.cache_clear()
    try:
        fill(shop, n=2)
        with pytest.raises(TooManyHolds, match="you hold 2 times already"):
            shop.hold(ALICE, STARTS[2])
    finally:
        monkeypatch.delenv("MAX_ACTIVE_HOLDS")
        get_settings.cache_clear()


def test_sixty_writes_a_minute_then_refused_until_the_next_minute(state, fixed_clock):
    fixed_clock.advance(seconds=15)  # 08:00:15
    for _ in range(60):
        limits.charge_write(ALICE)
    with pytest.raises(RateLimited) as refused:
        limits.charge_write(ALICE)
    assert refused.value.code == "rate_limited" and refused.value.retry_after == 45
    assert state.write_counts[(ALICE.user_id, "2026-12-01T08:00")] == 60  # the refused one is not counted
    limits.charge_write(BOB)  # each user has a counter of their own
    fixed_clock.advance(seconds=45)
    limits.charge_write(ALICE)
    assert state.write_counts[(ALICE.user_id, "2026-12-01T08:01")] == 1


def test_the_window_is_the_utc_minute():
    assert write_window(at("2026-12-01T08:00:59.5")) == ("2026-12-01T08:00", int(at("2026-12-01T08:01").timestamp()), 1)
    assert write_window(at("2026-12-01T23:59"))[0] == "2026-12-01T23:59"
