"""The deployed functions import from requirements.txt alone, plus the Chalice runtime Chalice packages.

A virtualenv is built in a temporary directory with `pip install -r requirements.txt chalice==<the
pin in requirements-dev.txt>`; nothing of the project's .venv is visible there. Needs PyPI (pip's
cache makes it quicker); `-m 'not deploy'` leaves it out.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.cold_start import ENTRY_POINTS, ROOT, lambda_environment

pytestmark = pytest.mark.deploy

PIP_TIMEOUT = 900


def chalice_pin() -> str:
    """The Chalice version requirements-dev.txt pins."""
    match = re.search(r"^chalice==(\S+)", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert match, "requirements-dev.txt pins no chalice version"
    return match.group(1)


@pytest.fixture(scope="module")
def deployed_python(tmp_path_factory) -> Path:
    """The interpreter of a fresh virtualenv holding requirements.txt and the pinned Chalice only."""
    venv = tmp_path_factory.mktemp("deploy") / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, timeout=300)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
         "-r", str(ROOT / "requirements.txt"), f"chalice=={chalice_pin()}"],
        env=env, capture_output=True, text=True, timeout=PIP_TIMEOUT,
    )
    assert pip.returncode == 0, f"pip install failed:\n{pip.stdout}\n{pip.stderr}"
    return python


def run(python: Path, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-c", code], cwd=ROOT, env=lambda_environment("dev"),
                          capture_output=True, text=True, timeout=120)


def test_the_requirements_are_consistent(deployed_python):
    check = subprocess.run([str(deployed_python), "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_each_entry_point_imports(deployed_python, module):
    result = run(deployed_python, f"import {module}")
    assert result.returncode == 0, result.stderr


def test_tracing_starts(deployed_python):
    """In Lambda with POWERTOOLS_TRACE_DISABLED unset, the Tracer needs aws-xray-sdk."""
    result = run(deployed_python, "import sys, app; from chalicelib.observability import start_tracing; "
                                  "start_tracing(); assert 'aws_xray_sdk' in sys.modules")
    assert result.returncode == 0, result.stderr


def test_nothing_comes_from_the_project_virtualenv(deployed_python):
    result = run(deployed_python, "import importlib.util as u; "
                                  "print(bool(u.find_spec('moto') or u.find_spec('pytest')))")
    assert (result.returncode, result.stdout.strip()) == (0, "False"), result.stderr
