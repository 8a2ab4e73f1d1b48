"""The Lambda entry points, each imported in a fresh interpreter with a deployed stage's environment.

A cold start loads neither the X-Ray SDK nor pydantic-settings; where tracing is on (in Lambda,
POWERTOOLS_TRACE_DISABLED unset) the first request starts it and is still answered.
"""
import json
import subprocess
import sys
import textwrap

import pytest

from scripts.cold_start import ENTRY_POINTS, ROOT, lambda_environment

HEALTH_EVENT = {
    "resource": "/v1/health", "path": "/v1/health", "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
    "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
    "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/v1/health", "httpMethod": "GET", "path": "/api/v1/health", "stage": "api"},
}


def python(code: str, **extra_env: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter of this virtualenv, every warning shown."""
    env = {**lambda_environment("dev"), **extra_env}
    result = subprocess.run([sys.executable, "-W", "always", "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def run(code: str, **extra_env: str) -> dict:
    """Run `code` in a fresh interpreter; it prints one JSON line last."""
    return json.loads(python(code, **extra_env).stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_a_cold_start_loads_neither_xray_nor_pydantic_settings(module):
    loaded = run(f"""
        import json, sys
        import {module}
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("aws_xray_sdk", "pydantic_settings"))))
    """)
    assert loaded == []


def test_where_tracing_is_on_the_first_request_starts_it_and_is_answered():
    answer = run(f"""
        import json, sys
        import botocore.client
        import app
        response = app.app({HEALTH_EVENT!r}, None)
        print(json.dumps({{"status": response["statusCode"], "xray": "aws_xray_sdk" in sys.modules,
                          "patched": hasattr(botocore.client.BaseClient._make_api_call, "__wrapped__")}}))
    """)
    assert answer == {"status": 200, "xray": True, "patched": True}


def test_where_tracing_is_off_no_request_loads_xray():
    answer = run(f"""
        import json, sys
        import app
        response = app.app({HEALTH_EVENT!r}, None)
        print(json.dumps({{"status": response["statusCode"], "xray": "aws_xray_sdk" in sys.modules}}))
    """, POWERTOOLS_TRACE_DISABLED="true")
    assert answer == {"status": 200, "xray": False}


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_a_cold_start_logs_no_library_notice(module):
    result = python(f"""
        import logging
        logging.basicConfig(level=logging.INFO)
        import {module}
    """)
    assert result.stdout + result.stderr == ""


def test_a_request_that_records_no_metrics_warns_nothing():
    result = python(f"""
        import logging
        logging.basicConfig(level=logging.INFO)
        import app
        for _ in range(2):
            assert app.app({HEALTH_EVENT!r}, None)["statusCode"] == 200
    """, POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="WARNING")
    assert result.stdout + result.stderr == ""
