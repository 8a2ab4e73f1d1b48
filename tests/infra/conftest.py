"""The packaged stack, built once per session into a temporary directory (python -m infra.build)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

from infra.build import build
from infra.merge import load_yaml


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> Path:
    """The directory holding sam.yaml and deployment.zip (about 25 s the first time; Chalice caches the zip)."""
    out = tmp_path_factory.mktemp("infra")
    build("dev", out)
    return out


@pytest.fixture(scope="session")
def template(packaged) -> Dict[str, Any]:
    return load_yaml(packaged / "sam.yaml")


@pytest.fixture(scope="session")
def resources(template) -> Dict[str, Dict[str, Any]]:
    return template["Resources"]
