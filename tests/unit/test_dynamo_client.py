"""One DynamoDB client per process, built once however many threads ask at once."""
from __future__ import annotations

import threading
import time

from chalicelib.adapters import dynamo


def test_fifty_threads_on_a_cold_process_share_one_client(monkeypatch):
    # Given a cold process whose client takes a while to build
    built = []

    def slow_build():
        time.sleep(0.05)
        built.append(object())
        return built[-1]

    monkeypatch.setattr(dynamo, "_build_client", slow_build)
    dynamo.reset()
    barrier = threading.Barrier(50)
    seen = []

    def ask():
        barrier.wait()
        seen.append(dynamo.client())

    # When fifty threads ask for it at the same moment
    threads = [threading.Thread(target=ask) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then it was built once and every thread got that one
    assert len(built) == 1
    assert len(seen) == 50 and all(client is built[0] for client in seen)
    dynamo.reset()


def test_every_model_shares_the_one_connection(monkeypatch):
    from chalicelib.adapters.models import ALL_MODELS

    monkeypatch.setattr(dynamo, "_build_client", lambda: "the client")
    dynamo.reset()
    connections = {id(model._get_connection()) for model in ALL_MODELS}
    assert len(connections) == 1
    assert dynamo.table_connection().connection.client == "the client"
    dynamo.reset()


def test_a_retry_starts_only_within_the_requests_budget():
    from types import SimpleNamespace

    import pytest

    from chalicelib.adapters import budget

    def attempt(number):
        return SimpleNamespace(context={"retries": {"attempt": number}})

    # Outside a request there is no budget: every attempt may start
    assert budget.budget_left()
    dynamo._stop_spent_retries(attempt(3), "Query")
    # Inside one that is spent, a first attempt still goes and a retry does not
    with budget.request_budget(0):
        assert not budget.budget_left()
        dynamo._stop_spent_retries(attempt(1), "Query")
        with pytest.raises(dynamo.BudgetSpent):
            dynamo._stop_spent_retries(attempt(2), "Query")
    # And one with time left lets the retry go; the budget ends with its request
    with budget.request_budget(60):
        dynamo._stop_spent_retries(attempt(2), "Query")
    assert budget.budget_left()
