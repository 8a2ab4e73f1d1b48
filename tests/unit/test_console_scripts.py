"""The console's pure scripts (console/js/time.js) under Node's own test runner: tests/console/*.test.mjs."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_console_script_tests_pass_under_node():
    node = shutil.which("node")
    if node is None:
        pytest.fail("the console's script tests need Node.js (`node` on PATH)", pytrace=False)
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "console").glob("*.test.mjs"))
    assert files, "no tests/console/*.test.mjs found"
    result = subprocess.run([node, "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
