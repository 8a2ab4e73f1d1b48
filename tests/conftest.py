"""Marks by folder, and the local stack's fixtures for the tests that need it running.

tests/e2e     marked e2e: the running local stack over HTTP
tests/browser marked e2e and browser: the provider console in headless Chromium against the same stack
Deselect with -m "not e2e" (or "not browser").
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

pytest_plugins = ["tests.local_stack"]

HERE = Path(__file__).resolve().parent
MARKS = {HERE / "e2e": ("e2e",), HERE / "browser": ("e2e", "browser")}


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    for item in items:
        parents = Path(str(item.path)).resolve().parents
        for folder, marks in MARKS.items():
            if folder in parents:
                for mark in marks:
                    item.add_marker(getattr(pytest.mark, mark))
