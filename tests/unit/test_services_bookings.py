"""Holds, bookings and what happens to bookings afterwards, against the in-memory repositories."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import (
    BookingNotModifiable, CancelWindowClosed, Forbidden, HoldExpired, IdempotencyKeyReused, IdempotencyRace,
    NotFound, RequestInProgress, SlotUnavailable, StaleRead, TryAgain)
from chalicelib.domain.model import BookSlot, CancelBooking, PatchProvider, RescheduleBooking
from chalicelib.domain.entities import BOOKED, CANCELED, CONFIRMED, DECLINED, FREE, HELD, HOLD_RELEASED, HOLD_USED, PENDING
from chalicelib.service import bookings, holds, providers
from tests.unit.conftest import ALICE, BOB, OWNER, at, open_shop, slot, statuses

TEN = "2026-12-02T10:00:00Z"


def booked_by(state, shop, booking_id, first, last):
    """Whether every slot from first to last is BOOKED by the booking."""
    return all(s.status == BOOKED and s.booking_id == booking_id
               for s in state.slot_rows[shop.pid].values() if hasattr(s, "status") and at(first) <= s.start <= at(last))


# --- holds ------------------------------------------------------------------------------------

def test_a_hold_keeps_the_time_for_its_holder_who_books_with_it(state, shop):
    # Given Alice holds 10:00 (60 minutes and a 15-minute buffer)
    hold = shop.hold(ALICE, TEN)
    assert statuses(state, shop, "2026-12-02T10:00", "2026-12-02T11:15") == [HELD] * 5 + [FREE]
    # Then nobody else is offered or gets that time
    assert shop.starts("2026-12-02")[:1] == ["2026-12-02T11:15:00Z"]
    with pytest.raises(SlotUnavailable):
        shop.book(BOB, "2026-12-02T09:45:00Z")
    # When Alice books with the hold
    answer = bookings.book(ALICE, "with-hold", BookSlot(hold_id=hold["hold_id"]))
    # Then she has the hold's time, the slots are her booking's and the hold is used
    assert (answer.status_code, answer.body["status"], answer.body["start"]) == (201, CONFIRMED, TEN)
    assert answer.body["end"] == "2026-12-02T11:00:00Z"
    booking_id = answer.body["booking_id"]
    assert booked_by(state, shop, booking_id, "2026-12-02T10:00", "2026-12-02T11:00")
    assert state.holds[hold["hold_id"]].state == HOLD_USED
    # And the hold cannot be used again, nor by someone else
    with pytest.raises(HoldExpired):
        bookings.book(ALICE, "with-hold-again", BookSlot(hold_id=hold["hold_id"]))
    with pytest.raises(NotFound):
        bookings.book(BOB, "not-my-hold", BookSlot(hold_id=hold["hold_id"]))


def test_a_lapsed_hold_frees_its_time_from_its_expiry_second(state, shop, fixed_clock):
    hold = shop.hold(ALICE, TEN)  # held for 5 minutes
    # One second before it lapses, the time is still Alice's
    fixed_clock.advance(minutes=4, seconds=59)
    with pytest.raises(SlotUnavailable):
        shop.book(BOB, TEN)
    # At its expiry it is free for anyone, and the hold can no longer be booked
    fixed_clock.advance(seconds=1)
    assert TEN in shop.starts("2026-12-02")
    with pytest.raises(HoldExpired):
        bookings.book(ALICE, "late", BookSlot(hold_id=hold["hold_id"]))
    assert shop.book(BOB, TEN).status_code == 201


def test_the_job_releases_lapsed_holds_and_a_holder_may_release_early(state, shop, fixed_clock):
    early, lapsing = shop.hold(ALICE, TEN), shop.hold(BOB, "2026-12-02T14:00:00Z")
    holds.release_hold(ALICE, early["hold_id"])
    holds.release_hold(ALICE, early["hold_id"])  # twice is fine
    assert statuses(state, shop, "2026-12-02T10:00", "2026-12-02T11:00") == [FREE] * 5
    with pytest.raises(NotFound):
        holds.release_hold(ALICE, lapsing["hold_id"])  # not hers
    assert holds.release_lapsed_holds() == 0
    fixed_clock.advance(minutes=5, seconds=1)
    assert holds.release_lapsed_holds() == 1
    assert state.holds[lapsing["hold_id"]].state == HOLD_RELEASED
    assert statuses(state, shop, "2026-12-02T14:00", "2026-12-02T15:00") == [FREE] * 5


# --- booking directly, and idempotency --------------------------------------------------------

def test_a_direct_booking_takes_the_service_and_its_buffer(state, shop):
    # When Alice books 10:00
    answer = shop.book(ALICE, TEN, note="first visit")
    # Then it is confirmed (the provider confirms automatically), 10:00-11:00, shown in London time
    body = answer.body
    assert (answer.status_code, body["status"], body["end"], body["local_start"]) == (
        201, CONFIRMED, "2026-12-02T11:00:00Z", "2026-12-02T10:00:00+00:00")
    # And the buffer is taken too: 10:00 to 11:15 is hers, 11:15 free
    assert booked_by(state, shop, body["booking_id"], "2026-12-02T10:00", "2026-12-02T11:00")
    assert slot(state, shop, "2026-12-02T11:15").status == FREE
    # And a booking overlapping the buffer is refused, writing nothing
    with pytest.raises(SlotUnavailable):
        shop.book(BOB, "2026-12-02T11:00:00Z", key="bob-1")
    assert list(state.bookings) == [body["booking_id"]] and ("bob", "bob-1") not in state.answers
    # And time outside the hours or inside the notice is refused
    with pytest.raises(SlotUnavailable):
        shop.book(BOB, "2026-12-05T10:00:00Z")  # a Saturday
    with pytest.raises(SlotUnavailable):
        shop.book(BOB, "2026-12-01T08:45:00Z")  # 45 minutes ahead; 60 needed


def test_the_same_idempotency_key_replays_the_first_answer(state, shop):
    first = shop.book(ALICE, TEN, key="k-1")
    # When the same request comes again with the same key
    again = shop.book(ALICE, TEN, key="k-1")
    # Then the first answer is given again, and no second booking is made
    assert (again.status_code, again.body, again.replayed) == (201, first.body, True)
    assert len(state.bookings) == 1
    # And another body with that key is refused
    with pytest.raises(IdempotencyKeyReused):
        shop.book(ALICE, "2026-12-02T14:00:00Z", key="k-1")
    # And the key is one user's: Bob's "k-1" is his own request
    assert shop.book(BOB, "2026-12-02T14:00:00Z", key="k-1").replayed is False
    assert len(state.bookings) == 2


def test_a_request_racing_its_own_retry_answers_with_the_booking_that_won(state, shop):
    command = BookSlot(provider_id=shop.pid, service_id=shop.sid, start=TEN)
    won = []
    # Given the retry of this request commits between its read of the key and its write
    state.before("commit_booking", lambda: won.append(bookings.book(ALICE, "k-race", command)))
    # When this request writes, it finds the key taken
    answer = bookings.book(ALICE, "k-race", command)
    # Then it answers with the first booking, and only that one exists
    assert answer.replayed and answer.body == won[0].body
    assert list(state.bookings) == [won[0].body["booking_id"]]


def test_a_key_still_being_written_answers_request_in_progress(state, shop):
    state.fail("commit_booking", IdempotencyRace(in_progress=True))
    with pytest.raises(RequestInProgress):
        shop.book(ALICE, TEN, key="k")


def test_an_expired_key_starts_a_new_request(state, shop, fixed_clock):
    first = shop.book(ALICE, TEN, key="k")
    fixed_clock.advance(hours=24, seconds=1)
    second = shop.book(ALICE, "2026-12-03T10:00:00Z", key="k")
    assert not second.replayed and second.body["booking_id"] != first.body["booking_id"]


# --- cancel, confirm, decline -----------------------------------------------------------------

def test_canceling_twice_answers_canceled_both_times(state, shop):
    booking_id = shop.book(ALICE, TEN).body["booking_id"]
    first = bookings.cancel(ALICE, booking_id, CancelBooking(reason="ill"))
    second = bookings.cancel(ALICE, booking_id, CancelBooking())
    assert first["status"] == second["status"] == CANCELED
    assert second == first  # the second cancel changed nothing
    assert state.bookings[booking_id].version == 2
    # And the time is free again
    assert TEN in shop.starts("2026-12-02")


def test_a_cancel_whose_write_finds_the_booking_canceled_meanwhile_answers_canceled(state, shop):
    booking_id = shop.book(ALICE, TEN).body["booking_id"]
    competitor = []
    # Given the owner cancels between Alice's read and her write (so her write finds the booking changed)
    state.before("commit_booking_change",
                 lambda: competitor.append(bookings.cancel(OWNER, booking_id, CancelBooking(reason="closed"))))
    # When Alice's cancel writes
    answer = bookings.cancel(ALICE, booking_id, CancelBooking(reason="ill"))
    # Then both answer CANCELED: the owner's cancel stands, written once
    assert answer["status"] == competitor[0]["status"] == CANCELED
    assert answer["reason"] == "closed" and state.bookings[booking_id].version == 2
    assert state.calls.count("commit_booking_change") == 2
    assert TEN in shop.starts("2026-12-02")


def test_a_write_that_keeps_finding_the_booking_changed_gives_try_again(state, shop):
    booking_id = shop.book(ALICE, TEN).body["booking_id"]
    # Given every one of the five attempts finds the booking changed
    state.fail("commit_booking_change", StaleRead, times=5)
    with pytest.raises(TryAgain):
        bookings.cancel(ALICE, booking_id, CancelBooking())
    assert state.calls.count("commit_booking_change") == 5
    assert state.bookings[booking_id].status == CONFIRMED
    # And when only four do, the fifth goes through
    state.fail("commit_booking_change", StaleRead, times=4)
    assert bookings.cancel(ALICE, booking_id, CancelBooking())["status"] == CANCELED


def test_only_a_pending_booking_can_be_confirmed_or_declined(state):
    shop = open_shop(auto_confirm=False)
    booking_id = shop.book(ALICE, TEN).body["booking_id"]
    assert state.bookings[booking_id].status == PENDING
    with pytest.raises(Forbidden):
        bookings.confirm(ALICE, booking_id)
    assert bookings.confirm(OWNER, booking_id)["status"] == CONFIRMED
    with pytest.raises(BookingNotModifiable):
        bookings.confirm(OWNER, booking_id)
    with pytest.raises(BookingNotModifiable):
        bookings.decline(OWNER, booking_id, CancelBooking())
    # A confirmed booking keeps its time
    assert booked_by(state, shop, booking_id, "2026-12-02T10:00", "2026-12-02T11:00")
    # A declined one gives it back, and can no longer be confirmed
    other = shop.book(BOB, "2026-12-02T14:00:00Z").body["booking_id"]
    assert bookings.decline(OWNER, other, CancelBooking(reason="full"))["status"] == DECLINED
    assert "2026-12-02T14:00:00Z" in shop.starts("2026-12-02")
    with pytest.raises(BookingNotModifiable):
        bookings.confirm(OWNER, other)


@pytest.mark.parametrize("now, customer_may", [("2026-12-01T10:00:00", True), ("2026-12-01T10:00:01", False)])
def test_a_customer_inside_the_cancel_cutoff_gets_cancel_window_closed(state, fixed_clock, now, customer_may):
    # Given a provider taking cancellations up to 24 hours ahead, and Alice's booking at 10:00 on the 2nd
    shop = open_shop(cancel_cutoff_minutes=24 * 60)
    booking_id = shop.book(ALICE, TEN).body["booking_id"]
    fixed_clock.now = at(now)
    if customer_may:
        assert bookings.cancel(ALICE, booking_id, CancelBooking())["status"] == CANCELED
        return
    # When she cancels or moves it less than 24 hours ahead, she is refused and the booking stands
    with pytest.raises(CancelWindowClosed):
        bookings.cancel(ALICE, booking_id, CancelBooking())
    with pytest.raises(CancelWindowClosed):
        bookings.reschedule(ALICE, booking_id, RescheduleBooking(start="2026-12-03T10:00:00Z"))
    assert state.bookings[booking_id].status == CONFIRMED
    # But the owner may still cancel it
    assert bookings.cancel(OWNER, booking_id, CancelBooking())["status"] == CANCELED


# --- reschedule -------------------------------------------------------------------------------

def test_a_reschedule_is_all_or_nothing(state, shop):
    booking_id = shop.book(ALICE, TEN).body["booking_id"]
    shop.book(BOB, "2026-12-02T14:00:00Z")
    slots_before = dict(state.slot_rows[shop.pid])
    # When Alice moves to 13:00, whose buffer runs into Bob's 14:00
    with pytest.raises(SlotUnavailable):
        bookings.reschedule(ALICE, booking_id, RescheduleBooking(start="2026-12-02T13:00:00Z"))
    # Then nothing is written: the booking keeps its time and no slot changed
    assert bookings.get_booking(ALICE, booking_id)["start"] == TEN
    assert state.slot_rows[shop.pid] == slots_before
    # When she moves by 30 minutes, onto time that overlaps her own
    moved = bookings.reschedule(ALICE, booking_id, RescheduleBooking(start="2026-12-02T10:30:00Z"))
    # Then the first half hour is free again and the rest is hers
    assert (moved["start"], moved["end"]) == ("2026-12-02T10:30:00Z", "2026-12-02T11:30:00Z")
    assert statuses(state, shop, "2026-12-02T10:00", "2026-12-02T10:15") == [FREE, FREE]
    assert booked_by(state, shop, booking_id, "2026-12-02T10:30", "2026-12-02T11:30")
    # And only the customer may move it
    with pytest.raises(Forbidden):
        bookings.reschedule(OWNER, booking_id, RescheduleBooking(start="2026-12-02T12:00:00Z"))
    with pytest.raises(NotFound):
        bookings.reschedule(BOB, booking_id, RescheduleBooking(start="2026-12-02T12:00:00Z"))


# --- the provider's zone ----------------------------------------------------------------------

def test_after_a_zone_change_bookings_show_the_providers_current_zone(state, shop):
    booking_id = shop.book(ALICE, TEN).body["booking_id"]
    # When the provider moves to New York
    providers.patch_provider(OWNER, shop.pid, PatchProvider(timezone="America/New_York"))
    # Then the booking keeps its instant but reads in New York time, wherever it is shown
    view = bookings.get_booking(ALICE, booking_id)
    assert (view["start"], view["timezone"], view["local_start"]) == (
        TEN, "America/New_York", "2026-12-02T05:00:00-05:00")
    mine = bookings.list_mine(ALICE, None, None, None, 10, None)["bookings"]
    theirs = bookings.list_for_provider(OWNER, shop.pid, None, None, None, 10, None)["bookings"]
    assert mine == theirs == [view]
    # And the working hours now mean New York's 09:00-17:00 (14:00-22:00 UTC); the booking keeps its slots
    assert shop.starts("2026-12-03")[0] == "2026-12-03T14:00:00Z"
    assert shop.starts("2026-12-03")[-1] == "2026-12-03T20:45:00Z"
    assert booked_by(state, shop, booking_id, "2026-12-02T10:00", "2026-12-02T11:00")
    assert not state.schedules[shop.pid].pending and state.schedules[shop.pid].previous_timezone is None
