"""The cold-start benchmark part, and the lazy imports its figures rely on, each entry point in a fresh interpreter."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import cold_start as bench
from scripts.cold_start import BASELINE, ENTRY_POINTS, EXTRAS, ROOT, lambda_environment

#: What no entry point loads at import: each is imported where it is used (the first token, search, trace, ...).
NEVER_AT_IMPORT = ("boto3", "opensearchpy", "jwt", "cryptography", "aws_xray_sdk", "iso4217")
#: What the API does not load at import beyond token verification: the adapters come with the first request
#: that reads or writes. (The stream and scheduled functions load theirs at import, in Lambda's init phase:
#: every invocation needs them, so deferring would only move the same work to the first record.)
ADAPTERS = ("pynamodb", "chalicelib.adapters")
#: What only the API loads: it parses bodies and queries into pydantic commands. The stream and scheduled
#: functions work on entities, events and views, which are dataclasses and dicts.
API_ONLY = ("pydantic", "pydantic_core", "chalicelib.domain.model", "chalicelib.domain.search_query",
            "chalicelib.api")


def loaded_by(module: str, prefixes) -> list:
    """The modules among `prefixes` (a package and what is under it) that importing `module` loads."""
    code = (f"import json, sys; import {module}; prefixes = {tuple(prefixes)!r}; "
            "print(json.dumps(sorted(m for m in sys.modules if any(m == p or m.startswith(p + '.') for p in prefixes))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=lambda_environment("dev"),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_an_entry_point_imports_what_it_uses_later_only_when_it_is_used(module):
    loaded = loaded_by(module, NEVER_AT_IMPORT + ADAPTERS + API_ONLY)
    assert [m for m in loaded if m.split(".")[0] in NEVER_AT_IMPORT] == []
    if module != "app":
        assert [m for m in loaded if any(m == p or m.startswith(p + ".") for p in API_ONLY)] == []
    if module == "app":
        # The one adapter the routes' module level needs: token verification, itself importing PyJWT on first use
        assert [m for m in loaded if m.split(".")[0] == "pynamodb" or m.startswith("chalicelib.adapters.")] == [
            "chalicelib.adapters.tokens"]


def test_a_quick_cold_start_part_gives_every_figure():
    # When the part runs quickly (one run of each statement)
    part = bench.measure(quick=True)
    # Then the heaviest entry point's ratio to boto3 is its figure, with its goal
    assert part.name == "cold_start" and part.goals == {"cold_start_ratio": ("<=", 1.5)}
    ratio = part.figures["cold_start_ratio"]
    assert isinstance(ratio, float) and ratio > 0
    heaviest = part.details["heaviest"]
    assert heaviest in ENTRY_POINTS and part.details["ratios"][heaviest]["ratio_median"] == ratio
    assert all(r["ratio_median"] <= ratio for r in part.details["ratios"].values())
    # And every entry point and the baseline have their milliseconds
    ms = part.figures["cold_start_ms"]
    assert set(ms) == {BASELINE, *ENTRY_POINTS} and all(value > 0 for value in ms.values())
    # And the extras are details, each against its baseline
    assert set(part.details["extras"]) == set(EXTRAS)
    for name, extra in part.details["extras"].items():
        assert extra["against"] == EXTRAS[name] and extra["ms"] > 0 and extra["ratio_median"] > 0
    assert part.details["clock"] == "cpu" and part.details["runs"] == bench.QUICK_RUNS
    assert len(part.rows) == 2 + len(ENTRY_POINTS) + len(EXTRAS)
    json.dumps(part.details)  # what results.json takes
