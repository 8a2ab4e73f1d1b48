"""Racing requests over real HTTP: the database decides, exactly one wins, nobody gets a 5xx.

Every race sends its requests from their own threads and sessions, released together by a barrier
(helpers.race). Each test uses its own fresh provider, so tests do not share slots.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from tests.e2e.helpers import (
    Call,
    assert_no_5xx,
    at,
    available,
    book,
    booking_body,
    create_provider,
    describe,
    error_code,
    expect,
    future_day,
    in_parallel,
    my_bookings,
    parse_utc,
    provider_bookings,
    race,
)

CROWD = 50


@pytest.fixture(scope="module")
def crowd(users):
    """Fifty signed-in customers, created once for this module."""
    return in_parallel(lambda _: users(), CROWD)


def _active(bookings):
    return [b for b in bookings if b["status"] in ("PENDING", "CONFIRMED")]


def test_fifty_customers_racing_for_one_slot_get_one_booking(api, stack, users, crowd):
    shop = create_provider(api, users)
    day = future_day(3)
    start = at(day, "10:00")
    body = booking_body(shop, start)

    answers = race(stack.api_url, [
        Call("POST", "/v1/bookings", user=customer, json=body, headers={"Idempotency-Key": f"crowd-{i}"})
        for i, customer in enumerate(crowd)])

    assert_no_5xx(answers)
    statuses = Counter(r.status_code for r in answers)
    assert statuses == {201: 1, 409: CROWD - 1}, [describe(r) for r in answers if r.status_code not in (201, 409)]
    losers = [r for r in answers if r.status_code == 409]
    assert {error_code(r) for r in losers} == {"slot_unavailable"}, [describe(r) for r in losers][:5]
    (winner,) = [r for r in answers if r.status_code == 201]
    won = winner.json()
    assert won["start"] == start and won["status"] == "CONFIRMED"
    winner_index = answers.index(winner)
    assert won["customer_id"] == crowd[winner_index].sub

    listed = provider_bookings(api, shop, day)
    assert [(b["booking_id"], b["start"]) for b in listed] == [(won["booking_id"], start)]
    assert start not in available(api, shop, day)
    # Losers made nothing, not even a canceled or half-written booking.
    for loser in (crowd[(winner_index + 1) % CROWD], crowd[(winner_index + 7) % CROWD]):
        assert [b for b in my_bookings(api, loser) if b["provider_id"] == shop.provider_id] == []


def test_overlapping_services_racing_never_both_win(api, stack, users):
    """A 60-minute service at T and a 30-minute one at T+30 min race, ten rounds, different times."""
    shop = create_provider(api, users, durations=(60, 30))
    first, second = users(), users()
    day = future_day(4)
    times = ("09:00", "10:30", "12:00", "13:30", "15:00")  # 60 min at T, 30 min at T+30: 90 min a round
    rounds = [(day + timedelta(days=n // 5), times[n % 5]) for n in range(10)]

    winners = []
    for n, (round_day, hhmm) in enumerate(rounds):
        long_start, short_start = at(round_day, hhmm), at(round_day, hhmm, plus_minutes=30)
        calls = [
            Call("POST", "/v1/bookings", user=first, json=booking_body(shop, long_start, 60),
                 headers={"Idempotency-Key": f"long-{n}"}),
            Call("POST", "/v1/bookings", user=second, json=booking_body(shop, short_start, 30),
                 headers={"Idempotency-Key": f"short-{n}"}),
        ]
        if n % 2:
            calls.reverse()
        answers = race(stack.api_url, calls)

        assert_no_5xx(answers)
        assert sorted(r.status_code for r in answers) == [201, 409], [describe(r) for r in answers]
        (loser,) = [r for r in answers if r.status_code == 409]
        assert error_code(loser) == "slot_unavailable", describe(loser)
        (call, won), = [(c, r.json()) for c, r in zip(calls, answers) if r.status_code == 201]
        # The answer is about the request that got it: its customer, service and start.
        assert (won["customer_id"], won["service_id"], won["start"]) == (
            call.user.sub, call.json["service_id"], call.json["start"]), won
        winners.append(won)

    # The provider's book agrees: one active booking per round and no two overlap.
    listed = _active(provider_bookings(api, shop, day) + provider_bookings(api, shop, day + timedelta(days=1)))
    assert sorted(b["booking_id"] for b in listed) == sorted(w["booking_id"] for w in winners)
    spans = sorted((parse_utc(b["start"]), parse_utc(b["end"])) for b in listed)
    for (_, end), (next_start, _) in zip(spans, spans[1:]):
        assert end <= next_start, f"overlapping bookings: {spans}"


def test_same_idempotency_key_racing_makes_one_booking(api, stack, users):
    shop = create_provider(api, users)
    customer = users()
    day = future_day(3)
    body = booking_body(shop, at(day, "11:00"))
    headers = {"Idempotency-Key": "same-key-racing"}

    answers = race(stack.api_url, [Call("POST", "/v1/bookings", user=customer, json=body, headers=headers)] * 10)

    assert_no_5xx(answers)
    created = [r for r in answers if r.status_code == 201]
    others = [r for r in answers if r.status_code != 201]
    assert all(r.status_code == 409 and error_code(r) == "request_in_progress" for r in others), \
        [describe(r) for r in others]
    assert created, "no request made the booking"
    assert len({r.json()["booking_id"] for r in created}) == 1, [describe(r) for r in created]
    originals = [r for r in created if r.headers.get("Idempotent-Replayed") != "true"]
    assert len(originals) == 1, [dict(r.headers) for r in created]  # the first answer; the rest replay it
    first = created[0].json()
    assert all(r.json() == first for r in created)

    # Asked again afterwards: the first answer, replayed.
    again = api.post("/v1/bookings", user=customer, json=body, headers=headers)
    assert again.status_code == 201, describe(again)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first

    mine = my_bookings(api, customer)
    assert [b["booking_id"] for b in mine] == [first["booking_id"]]
    assert [b["booking_id"] for b in provider_bookings(api, shop, day)] == [first["booking_id"]]

    # The same key with another body is refused, and makes nothing.
    other = api.post("/v1/bookings", user=customer, json=booking_body(shop, at(day, "14:00")), headers=headers)
    expect(other, 422, "idempotency_key_reused")
    assert [b["booking_id"] for b in my_bookings(api, customer)] == [first["booking_id"]]
    assert at(day, "14:00") in available(api, shop, day)


def test_holds_and_bookings_racing_for_one_slot_have_one_winner(api, stack, users, crowd):
    shop = create_provider(api, users)
    day = future_day(5)
    start = at(day, "10:00")
    body = booking_body(shop, start)
    racers = crowd[:20]

    answers = race(stack.api_url, [
        Call("POST", "/v1/holds", user=c, json=body) if i % 2 else
        Call("POST", "/v1/bookings", user=c, json=body, headers={"Idempotency-Key": f"mixed-{i}"})
        for i, c in enumerate(racers)])

    assert_no_5xx(answers)
    assert sorted(r.status_code for r in answers) == [201] + [409] * 19, [describe(r) for r in answers]
    assert {error_code(r) for r in answers if r.status_code == 409} == {"slot_unavailable"}
    assert start not in available(api, shop, day)
    (index,) = [i for i, r in enumerate(answers) if r.status_code == 201]
    won = answers[index].json()
    if index % 2:  # a hold won: nobody booked, and the holder can book with it
        assert "hold_id" in won and provider_bookings(api, shop, day) == []
        booked = expect(api.post("/v1/bookings", user=racers[index], json={"hold_id": won["hold_id"]},
                                 headers={"Idempotency-Key": "from-the-hold"}), 201)
    else:
        booked = won
    assert (booked["customer_id"], booked["start"]) == (racers[index].sub, start)
    assert [b["booking_id"] for b in provider_bookings(api, shop, day)] == [booked["booking_id"]]


def test_customers_booking_different_times_at_once_all_get_their_own(api, stack, users, crowd):
    """No false conflicts: 32 customers book 32 back-to-back 15-minute times together."""
    shop = create_provider(api, users, durations=(15,))
    day = future_day(8)
    starts = [at(day, "09:00", plus_minutes=15 * i) for i in range(32)]  # 09:00 .. 16:45
    racers = crowd[:32]

    answers = race(stack.api_url, [
        Call("POST", "/v1/bookings", user=c, json=booking_body(shop, s), headers={"Idempotency-Key": f"own-{i}"})
        for i, (c, s) in enumerate(zip(racers, starts))])

    assert_no_5xx(answers)
    assert [r.status_code for r in answers] == [201] * 32, [describe(r) for r in answers if r.status_code != 201]
    asked = [(c.sub, s) for c, s in zip(racers, starts)]
    assert [(r.json()["customer_id"], r.json()["start"]) for r in answers] == asked  # each its own
    listed = provider_bookings(api, shop, day)
    assert sorted((b["customer_id"], b["start"]) for b in listed) == sorted(asked)
    assert available(api, shop, day) == set()


def test_a_canceled_slot_is_rewon_by_exactly_one_racer(api, stack, users, crowd):
    shop = create_provider(api, users)
    day = future_day(6)
    start = at(day, "15:00")
    first = expect(book(api, crowd[0], shop, start), 201)
    expect(api.post(f"/v1/bookings/{first['booking_id']}/cancel", user=crowd[0], json={}), 200)

    answers = race(stack.api_url, [
        Call("POST", "/v1/bookings", user=c, json=booking_body(shop, start), headers={"Idempotency-Key": f"rewin-{i}"})
        for i, c in enumerate(crowd[1:21])])

    assert_no_5xx(answers)
    assert sorted(r.status_code for r in answers) == [201] + [409] * 19, [describe(r) for r in answers]
    active = _active(provider_bookings(api, shop, day))
    assert len(active) == 1 and active[0]["start"] == start


def test_reschedules_racing_onto_one_free_time_move_only_one(api, stack, users, crowd):
    shop = create_provider(api, users)
    day = future_day(3)
    movers = crowd[:6]
    bookings = [expect(book(api, c, shop, at(day, "09:00", plus_minutes=60 * i)), 201) for i, c in enumerate(movers)]
    target = at(day, "16:00")  # free, 16:00-17:00

    answers = race(stack.api_url, [
        Call("POST", f"/v1/bookings/{b['booking_id']}/reschedule", user=c, json={"start": target})
        for b, c in zip(bookings, movers)])

    assert_no_5xx(answers)
    assert sorted(r.status_code for r in answers) == [200] + [409] * 5, [describe(r) for r in answers]
    assert {error_code(r) for r in answers if r.status_code == 409} == {"slot_unavailable"}
    for booking, customer, answer in zip(bookings, movers, answers):
        now = expect(api.get(f"/v1/bookings/{booking['booking_id']}", user=customer), 200)
        assert now["start"] == (target if answer.status_code == 200 else booking["start"]), now
    starts = sorted(b["start"] for b in _active(provider_bookings(api, shop, day)))
    assert len(starts) == 6 and starts.count(target) == 1


def test_a_block_racing_bookings_either_wins_whole_or_names_the_booking(api, stack, users, crowd):
    shop = create_provider(api, users)
    day = future_day(7)
    start, end = at(day, "11:00"), at(day, "12:00")
    calls = [Call("POST", f"/v1/providers/{shop.provider_id}/blocks", user=shop.owner,
                  json={"start": start, "end": end})]
    calls += [Call("POST", "/v1/bookings", user=c, json=booking_body(shop, start),
                   headers={"Idempotency-Key": f"vs-block-{i}"}) for i, c in enumerate(crowd[:9])]

    answers = race(stack.api_url, calls)

    assert_no_5xx(answers)
    block, bookings = answers[0], answers[1:]
    won = [r for r in bookings if r.status_code == 201]
    assert all(r.status_code in (201, 409) for r in bookings), [describe(r) for r in bookings]
    if block.status_code == 201:
        assert won == [], "a booking and a block over the same time both won"
    else:
        expect(block, 409, "conflicts_with_bookings")
        assert len(won) == 1
        assert block.json()["error"]["booking_ids"] == [won[0].json()["booking_id"]]
    assert len(_active(provider_bookings(api, shop, day))) == len(won)


def test_eight_cancels_of_one_booking_at_once_all_answer_canceled(api, stack, users):
    shop = create_provider(api, users)
    customer = users()
    day = future_day(5)
    start = at(day, "14:00")
    booking = expect(book(api, customer, shop, start), 201)

    answers = race(stack.api_url, [
        Call("POST", f"/v1/bookings/{booking['booking_id']}/cancel", user=customer if i % 2 else shop.owner,
             json={"reason": f"try {i}"}) for i in range(8)])

    assert_no_5xx(answers)
    assert [(r.status_code, r.json()["status"]) for r in answers] == [(200, "CANCELED")] * 8, \
        [describe(r) for r in answers]
    assert start in available(api, shop, day)


def test_working_hours_and_profile_written_at_once_answer_only_contract_codes(api, stack, users):
    shop = create_provider(api, users)
    hours = [{"weekly": {d: [{"start": f"{9 + i:02d}:00", "end": "17:00"}] for d in ("mon", "tue", "wed")}}
             for i in range(4)]
    path = f"/v1/providers/{shop.provider_id}"
    calls = [Call("PUT", path + "/working-hours", user=shop.owner, json=doc) for doc in hours]
    calls += [Call("PATCH", path, user=shop.owner, json={"description": f"take {i}"}) for i in range(4)]

    answers = race(stack.api_url, calls, timeout=120)

    assert_no_5xx(answers)
    # The last writer wins; nobody gets a code the contract does not list.
    assert [r.status_code for r in answers] == [200] * 8, [describe(r) for r in answers]
    saved = expect(api.get(path + "/working-hours", user=shop.owner), 200)
    assert saved in [{"weekly": {**doc["weekly"], **{d: [] for d in ("thu", "fri", "sat", "sun")}},
                      "overrides": []} for doc in hours], saved
    assert expect(api.get(path), 200)["description"] in {f"take {i}" for i in range(4)}


def test_phones_registered_at_once_stop_at_the_cap(api, stack, users):
    """Sixteen new phones of one user at once: ten are registered, six refused; the count stays exact."""
    user = users()
    answers = race(stack.api_url, [
        Call("PUT", f"/v1/me/devices/phone-{i}", user=user, json={"platform": "fcm", "token": f"token-{i}"})
        for i in range(16)])

    assert_no_5xx(answers)
    assert Counter(r.status_code for r in answers) == {204: 10, 400: 6}, [describe(r) for r in answers]
    assert {error_code(r) for r in answers if r.status_code == 400} == {"invalid_request"}
    # One removed frees one place, and only one.
    removed = next(i for i, r in enumerate(answers) if r.status_code == 204)
    expect(api.delete(f"/v1/me/devices/phone-{removed}", user=user), 204)
    refused = [i for i, r in enumerate(answers) if r.status_code == 400]
    expect(api.put(f"/v1/me/devices/phone-{refused[0]}", user=user, json={"platform": "apns", "token": "t"}), 204)
    expect(api.put(f"/v1/me/devices/phone-{refused[1]}", user=user, json={"platform": "apns", "token": "t"}), 400,
           "invalid_request")


def test_after_the_races_the_table_holds_its_invariants(stack, tmp_path):
    """Last in this module: the invariant checker, run as an operator runs it against the stack's table, finds
    nothing (slots, holds and bookings agree; events older than five minutes have their audit and inbox records)."""
    import json
    import subprocess
    import sys

    from tests.local_stack import ROOT

    report = tmp_path / "invariants.json"
    done = subprocess.run([sys.executable, "-m", "scripts.check_invariants", "--segments", "4", "--json", str(report),
                           "--env-file", str(stack.log_path.with_name("environment"))],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert json.loads(report.read_text())["items_scanned"] > 0
