"""Metrics are published only when there are some; tracing starts only where Powertools would trace."""
import json
import logging
import warnings

import pytest

from chalicelib import observability


@pytest.fixture(autouse=True)
def no_metrics_left():
    observability.metrics.clear_metrics()
    yield
    observability.metrics.clear_metrics()


def test_flushing_no_metrics_prints_and_warns_nothing(capsys, monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Powertools' "No application metrics to publish" would raise here
        observability.flush_metrics()
    assert capsys.readouterr().out == ""


def test_recorded_metrics_are_published_once(capsys, monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    observability.count("BookingConfirmed")
    observability.flush_metrics()
    observability.flush_metrics()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["BookingConfirmed"] == [1.0]


def test_disabled_metrics_are_dropped_not_kept(capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    observability.count("BookingConfirmed")
    observability.flush_metrics()
    assert capsys.readouterr().out == ""
    assert not observability.metrics.metric_set


@pytest.mark.parametrize("env, traced", [
    ({}, False),  # not in Lambda
    ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
    ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
    ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}, True),
    ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
    ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_CHALICE_CLI_MODE": "true"}, False),
])
def test_tracing_follows_the_powertools_rule(monkeypatch, env, traced):
    for name in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert observability.tracing_enabled() is traced


def test_a_scheduled_job_publishes_its_metrics_even_when_it_fails(capsys, monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)

    @observability.scheduled_job
    def handler(event, context):
        observability.count("LapsedHoldReleased", 2)
        raise RuntimeError("table unreachable")

    with pytest.raises(RuntimeError):
        handler({}, None)
    assert json.loads(capsys.readouterr().out)["LapsedHoldReleased"] == [2.0]


@pytest.mark.parametrize("notices", ["pynamodb.settings", "botocore.credentials"])
def test_library_notices_are_not_logged(notices):
    assert not logging.getLogger(notices).isEnabledFor(logging.INFO)
    assert logging.getLogger(notices).isEnabledFor(logging.WARNING)
