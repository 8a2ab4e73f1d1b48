"""make bench's harness: goals judged, parts written and read back, the search run as a part."""
from __future__ import annotations

from pathlib import Path

from bench.common import CallCounter, Part, meets, percentile, read_part, summary_ms, write_part


def test_goals_are_met_or_missed_and_a_missing_figure_misses():
    part = Part("p", {"ratio": 1.3, "calls": 1, "errors": 0},
                {"ratio": ("<=", 1.25), "calls": ("==", 1), "errors": ("==", 0), "absent": ("<=", 2)})
    assert part.misses() == ["ratio = 1.3 (goal <= 1.25)", "absent = None (goal <= 2)"]
    assert meets(2, ">=", 2) and not meets(None, "==", 0)


def test_a_part_survives_its_json(tmp_path: Path):
    part = Part("p", {"a": 1}, {"a": ("==", 1)}, [("what", "1")], {"seconds": 2})
    write_part(part, tmp_path / "p.json")
    assert read_part(tmp_path / "p.json") == part


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.95) == 95.0 and percentile(values, 0.99) == 99.0 and percentile([3.0], 0.5) == 3.0
    assert summary_ms([0.001, 0.003])["p50_ms"] == 2.0


def test_the_counter_counts_calls_of_every_client_while_counting(monkeypatch):
    import boto3
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb")
        with CallCounter() as counter:
            client.list_tables()
            client.list_tables()
        client.list_tables()  # not counted: the counter is closed
    assert counter.by_operation() == {"ListTables": 2} and counter.of("dynamodb", ["PutItem"]) == 0


def test_the_search_run_becomes_a_part_with_its_ratio():
    from bench.search import as_part

    side = {"n": 1, "p50_ms": 2.0, "p95_ms": 3.0, "mean_ms": 2.0}
    result = {"overall": {"ratio_p50": 1.1, "engine": side, "api": side}, "providers": 10, "app_alone": {},
              "indexing": {"docs_per_second": 5.0}, "by_kind": {}, "queries": 6}
    part = as_part(result)
    assert part.figures["search_ratio"] == 1.1 and part.misses() == []
