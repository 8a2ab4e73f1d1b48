"""The providers' listing in shards, and the horizon roll that walks it, against emulated DynamoDB."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from chalicelib.domain.model import CreateProvider

from chalicelib.domain.entities import Caller

OWNER = Caller(user_id="owner-roll", email="owner@example.test", groups=frozenset({"providers"}))
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def create(zone: str = "Europe/London") -> str:
    from chalicelib.service import providers
    return providers.create_provider(OWNER, CreateProvider.model_validate({
        "name": "Spa", "categories": ["massage"], "location": {"lat": 51.5, "lon": -0.1},
        "timezone": zone}))["provider_id"]


def raw(aws, pid: str, sort_key: str) -> dict:
    import os
    return aws["dynamodb"].get_item(TableName=os.environ["TABLE_NAME"], ConsistentRead=True, Key={
        "pk": {"S": f"PROVIDER#{pid}"}, "sk": {"S": sort_key}})["Item"]


@pytest.fixture()
def one_worker(monkeypatch):
    # moto in-process is not thread-safe; the roll's fan-out over threads is run against a serialised moto
    # server by tests/integration/test_bench_roll.py.
    from chalicelib.service import schedule
    monkeypatch.setattr(schedule, "ROLL_WORKERS", 1)


def test_profiles_and_schedules_are_listed_under_their_shard_and_every_shard_is_walked(aws, fixed_clock):
    from chalicelib.adapters import models, providers as store

    pids = {create() for _ in range(24)}
    shards = set()
    for pid in pids:
        shard = models.provider_shard(pid)
        shards.add(shard)
        profile, schedule = raw(aws, pid, "PROFILE"), raw(aws, pid, "SCHEDULE")
        assert (profile["gsi1pk"]["S"], profile["gsi1sk"]["S"]) == (f"PROVIDERS#{shard}", pid)
        assert (schedule["gsi3pk"]["S"], schedule["gsi3sk"]["S"]) == (f"SCHEDULES#{shard}", pid)
    assert len(shards) > 4  # 24 providers over 16 shards
    assert list(store.listing_shards()) == list(range(models.PROVIDER_SHARDS)) and models.PROVIDER_SHARDS == 16
    assert sorted(store.iter_provider_ids()) == sorted(pids)
    listed = [(provider, state) for shard in store.listing_shards() for provider, state in store.iter_listed(shard)]
    assert sorted(provider.provider_id for provider, _ in listed) == sorted(pids)
    assert all(state is not None and state.version == 1 and state.timezone == "Europe/London" for _, state in listed)


def test_a_day_later_the_roll_writes_the_day_and_the_card_in_one_transaction(aws, fixed_clock, one_worker):
    from bench.common import CallCounter
    from chalicelib.adapters import providers as store
    from chalicelib.service import schedule

    pid = create("Asia/Kathmandu")
    schedule.put_working_hours(OWNER, pid, {"weekly": {day: [{"start": "09:00", "end": "17:00"}]
                                                       for day in EVERY_DAY}})
    before = store.get_provider(pid)
    version = store.get_schedule(pid).version
    fixed_clock.now += timedelta(days=1)
    with CallCounter() as calls:
        outcome = schedule.roll_all_horizons()
    assert outcome == {"providers": 1, "failed": 0, "fell_back": 0, "failed_shards": 0}
    # One Query of the provider's new day and card, one transaction; the rest is the listing (2 queries a shard)
    assert calls.by_operation() == {"Query": 1 + 2 * 16, "TransactWriteItems": 1}
    after = store.get_provider(pid)
    new_day = date.fromisoformat(before.horizon_end) + timedelta(days=1)
    assert after.horizon_end == new_day.isoformat()
    assert after.cards_through == (date.fromisoformat(before.cards_through) + timedelta(days=1)).isoformat()
    assert store.get_schedule(pid).version == version + 1
    assert raw(aws, pid, f"SLOT#{after.cards_through}")["card_version"]["N"] == str(after.card_version)
    assert raw(aws, pid, f"SLOT#{new_day.isoformat()}T03:15:00Z")["status"]["S"] == "FREE"  # 09:00 at +05:45

    # When a lagging listing shows the provider as it was: the conditions refuse it, and nothing is written twice
    stale = dataclasses.replace(before)
    assert schedule.roll_listed(stale, store.get_schedule(pid)) is False
    assert store.get_provider(pid).horizon_end == new_day.isoformat()


@pytest.mark.parametrize("listed_as", ["an older version", "no pending days"])
def test_hours_not_as_listed_refuse_the_transaction_and_the_slower_path_rolls(aws, fixed_clock, listed_as):
    from chalicelib.adapters import providers as store
    from chalicelib.service import schedule

    pid = create()
    schedule.put_working_hours(OWNER, pid, {"weekly": {day: [{"start": "09:00", "end": "17:00"}]
                                                       for day in EVERY_DAY}})
    listed, state = store.get_provider(pid), store.get_schedule(pid)
    if listed_as == "an older version":
        store.commit_schedule(pid, schedule.WorkingHours.parse({"weekly": {}}), state.version, [], fixed_clock.now)
    else:
        store.mark_pending(pid, [date(2026, 12, 10)], state.version)  # a change half-way
    fixed_clock.now += timedelta(days=1)
    assert schedule.roll_listed(listed, state) is False
    assert store.get_provider(pid).horizon_end == (date.fromisoformat(listed.horizon_end)
                                                   + timedelta(days=1)).isoformat()
