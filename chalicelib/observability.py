"""One place for the logger, metrics and tracing every function shares.

Entry points import this module before anything else of the app: it quiets PynamoDB's import-time
notice, which only works before PynamoDB is first imported.
"""
from __future__ import annotations

import functools
import logging
import os
import re
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit
from aws_lambda_powertools.shared.functions import strtobool

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

SERVICE = "marketplace"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Marketplace", service=SERVICE)

# Notices, not events: pynamodb.settings logs on import that no /etc/pynamodb override file exists,
# botocore.credentials where each new session found its credentials.
logging.getLogger("pynamodb.settings").setLevel(logging.WARNING)
logging.getLogger("botocore.credentials").setLevel(logging.WARNING)

H = TypeVar("H", bound=Callable[..., Any])


def count(name: str, value: int = 1) -> None:
    """Record one occurrence of a past-tense business metric (e.g. BookingConfirmed)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    """Publish the metrics recorded since the last flush; nothing at all when none were."""
    if not metrics.metric_set:
        return  # Powertools would warn "No application metrics to publish".
    metrics.flush_metrics()
    # With POWERTOOLS_METRICS_DISABLED, Powertools neither prints nor forgets them.
    metrics.clear_metrics()


def tracing_enabled() -> bool:
    """Whether this process traces to X-Ray: in Lambda, unless POWERTOOLS_TRACE_DISABLED (Powertools' rule)."""
    if strtobool(os.getenv("POWERTOOLS_TRACE_DISABLED", "false")):
        return False
    in_lambda = bool(os.getenv("LAMBDA_TASK_ROOT"))
    emulated = bool(os.getenv("AWS_SAM_LOCAL") or os.getenv("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated


@functools.lru_cache(maxsize=1)
def get_tracer() -> Tracer:
    """The shared Powertools tracer; creating it imports the X-Ray SDK and patches botocore."""
    from aws_lambda_powertools.tracing import Tracer

    # Every AWS call, PynamoDB's included, goes through botocore; patching all that X-Ray supports
    # would also import and patch requests, sqlite3 and more, which the functions do not use.
    return Tracer(service=SERVICE, patch_modules=("botocore",))


def start_tracing() -> None:
    """Trace this process's AWS calls where tracing is on; the first call pays for the X-Ray SDK."""
    if tracing_enabled():
        get_tracer()


def scheduled_job(handler: H) -> H:
    """Wrap a scheduled Lambda handler: traced where tracing is on, its metrics published after each run."""

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        start_tracing()
        try:
            return handler(event, context)
        finally:
            flush_metrics()

    return run  # type: ignore[return-value]


def stream_function(handler: H) -> H:
    """Wrap a stream Lambda handler as a scheduled one, with the Lambda context (request id) in its logs."""
    # log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: a stream record holds notes, reasons, phone
    # numbers and push tokens, which never go to the logs.
    return logger.inject_lambda_context(scheduled_job(handler), clear_state=True,  # type: ignore[return-value]
                                        log_event=False)


# What an error's text may carry that the logs must not: a JWT, an e-mail address, a phone number (E.164).
_SECRET_SHAPES = (
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)?"), "<token>"),
    (re.compile(r"[^\s@<>()\[\]:;,\"']+@[^\s@<>()\[\]:;,\"']+\.[A-Za-z]{2,}"), "<address>"),
    (re.compile(r"\+[1-9]\d{7,14}"), "<phone>"),
)


def redacted(text: str) -> str:
    """An error's text fit for the logs: tokens, e-mail addresses and phone numbers in it replaced."""
    for shape, replacement in _SECRET_SHAPES:
        text = shape.sub(replacement, text)
    return text
