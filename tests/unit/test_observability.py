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


class _Context:
    function_name, memory_limit_in_mb, aws_request_id = "marketplace-test-notifications", 256, "request-1"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:marketplace-test-notifications"


def test_a_stream_function_never_logs_its_event_even_when_the_stage_asks(monkeypatch):
    # Given a stage that set Powertools' switch for logging every event
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    written = []
    monkeypatch.setattr(observability.logger, "info", lambda message, *a, **k: written.append(str(message)))

    @observability.stream_function
    def handler(event, context):
        return {"batchItemFailures": []}

    # When it handles a record holding a phone number and a push token
    record = {"dynamodb": {"NewImage": {"phone": {"S": "+447911123456"}, "token": {"S": "push-token-1"}}}}
    assert handler({"Records": [record]}, _Context()) == {"batchItemFailures": []}
    # Then nothing of the event was logged
    assert not [line for line in written if "+447911123456" in line or "push-token-1" in line], written


@pytest.mark.parametrize("text, shown", [
    ("Email address is not verified. The following identities failed the check in region EU-WEST-1: "
     "ann.lee+spa@mail.example.com, bookings@marketplace.example",
     "Email address is not verified. The following identities failed the check in region EU-WEST-1: "
     "<address>, <address>"),
    ("Invalid parameter: PhoneNumber Reason: +447911123456 is not valid to publish to",
     "Invalid parameter: PhoneNumber Reason: <phone> is not valid to publish to"),
    ("bad header Authorization: Bearer eyJraWQiOiJkIn0.eyJzdWIiOiJhIn0.c2lnbmF0dXJl!",
     "bad header Authorization: Bearer <token>!"),
    ("ThrottlingException: Rate exceeded for 2026-12-01T10:00:00+00:00 (request 12345678901)",
     "ThrottlingException: Rate exceeded for 2026-12-01T10:00:00+00:00 (request 12345678901)"),
])
def test_error_text_is_logged_without_addresses_phones_or_tokens(text, shown):
    assert observability.redacted(text) == shown
