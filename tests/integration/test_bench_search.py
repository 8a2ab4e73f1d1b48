"""The search benchmark runs end to end at a small size and writes figures that make sense."""
from __future__ import annotations

import json

from bench import search as bench


def test_a_small_search_benchmark_writes_sane_figures(tmp_path):
    # Given 2,000 providers and 20 timed searches a side; When the benchmark runs
    assert bench.main(["--providers", "2000", "--queries", "20", "--json", str(tmp_path / "r.json")]) == 0
    result = json.loads((tmp_path / "r.json").read_text())
    # Then every document was indexed at a positive rate, and the API named the engine's providers throughout
    assert result["providers"] == 2000 and result["indexing"]["documents"] == 2000
    assert result["indexing"]["docs_per_second"] > 0 and result["indexing"]["index_seconds"] > 0
    assert result["ids_matched"] is True
    assert result["machine"]["cpu_count"] >= 1 and result["machine"]["python"]
    # And each kind of search has timings on both sides and a ratio
    assert set(result["by_kind"]) == set(bench.KINDS)
    for row in [result["overall"], *result["by_kind"].values()]:
        for side in ("engine", "api"):
            assert row[side]["n"] > 0 and 0 < row[side]["p50_ms"] <= row[side]["p95_ms"]
        assert row["ratio_p50"] > 0
    assert result["overall"]["engine"]["n"] == 20 and result["overall"]["mean_results"] > 0
    assert result["app_alone"]["n"] >= 20 and result["app_alone"]["p50_ms"] > 0
