"""A stream batch: each record handled in order, the failed ones reported for Lambda to retry from."""
from __future__ import annotations

import pytest

from chalicelib.adapters.stream import BatchFailed, handle_batch, sequence_number


def batch(*numbers: str) -> dict:
    return {"Records": [{"eventName": "MODIFY", "dynamodb": {"SequenceNumber": n, "Keys": {}}} for n in numbers]}


def test_every_record_handled_in_order_answers_no_failures():
    seen = []
    assert handle_batch(batch("101", "102", "103"), lambda r: seen.append(sequence_number(r))) == {
        "batchItemFailures": []}
    assert seen == ["101", "102", "103"]


def test_a_failing_record_is_reported_and_the_rest_still_run():
    # Given a handler that fails on 102 and 104
    seen = []

    def handle(record):
        seen.append(sequence_number(record))
        if sequence_number(record) in ("102", "104"):
            raise RuntimeError("engine down")

    # When the batch is handled
    answer = handle_batch(batch("101", "102", "103", "104"), handle)
    # Then both failures are reported, in order, and every record was tried
    assert answer == {"batchItemFailures": [{"itemIdentifier": "102"}, {"itemIdentifier": "104"}]}
    assert seen == ["101", "102", "103", "104"]


def test_a_batch_whose_every_record_fails_fails_the_invocation():
    def handle(record):
        raise RuntimeError(f"down at {sequence_number(record)}")

    with pytest.raises(BatchFailed, match="all 2 records failed") as raised:
        handle_batch(batch("7", "8"), handle)
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_an_empty_batch_answers_no_failures():
    assert handle_batch({"Records": []}, lambda r: None) == {"batchItemFailures": []}
    assert handle_batch({}, lambda r: None) == {"batchItemFailures": []}
