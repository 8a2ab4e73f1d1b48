"""One place for the logger, metrics and tracer every function shares."""
from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="marketplace")
metrics = Metrics(namespace="Marketplace", service="marketplace")
tracer = Tracer(service="marketplace")


def count(name: str, value: int = 1) -> None:
    """Record one occurrence of a past-tense business metric (e.g. BookingConfirmed)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
