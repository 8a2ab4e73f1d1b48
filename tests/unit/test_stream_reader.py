"""Filter matching, the event records made of stream records, partial batch answers and the on-failure message."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
    DynamoDBStreamModel,
)

from chalicelib.adapters import dead_letters
from chalicelib.adapters.stream_reader import event_record, matches
from stream_handlers.sources import ENTITY_RECORDS, StreamSource

ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/marketplace-test/stream/2026-12-01T08:00:00.000"


def raw(sk: str, sequence: str = "100", name: str = "INSERT", **extra) -> dict:
    """A record as GetRecords gives it (boto3 parses the creation time into a datetime)."""
    keys = {"pk": {"S": "PROVIDER#p1"}, "sk": {"S": sk}}
    change = {"ApproximateCreationDateTime": datetime(2026, 12, 1, 8, 0, 5, 250000, tzinfo=timezone.utc),
              "Keys": keys, "NewImage": {**keys, "status": {"S": "confirmed"}}, "SequenceNumber": sequence,
              "SizeBytes": 120, "StreamViewType": "NEW_AND_OLD_IMAGES", **extra}
    return {"eventID": "e1", "eventName": name, "eventVersion": "1.0", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "dynamodb": change}


# --- matches ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("sk", ["BOOKING", "REVIEW", "SCHEDULE", "PROFILE", "BLOCK#2026-12-01#b1", "SERVICE#s1"])
def test_the_entity_records_pass_the_entity_filter(sk):
    assert matches(event_record(raw(sk), ARN), [ENTITY_RECORDS])


@pytest.mark.parametrize("sk", ["SLOT#2026-12-01T09:00", "CARD", "BOOKINGS", "BLOCK", "INBOX#1", "AUDIT#x", "booking",
                                "REVIEWS"])
def test_other_records_do_not(sk):
    assert not matches(event_record(raw(sk), ARN), [ENTITY_RECORDS])


def test_a_record_matches_if_any_pattern_does():
    record = event_record(raw("SLOT#1", name="REMOVE"), ARN)
    assert matches(record, [ENTITY_RECORDS, {"eventName": ["REMOVE"]}])
    assert not matches(record, [ENTITY_RECORDS, {"eventName": ["INSERT", "MODIFY"]}])


def test_no_patterns_let_everything_through():
    assert matches(event_record(raw("SLOT#1"), ARN), [])


def test_a_key_the_record_lacks_does_not_match():
    record = event_record(raw("BOOKING"), ARN)
    assert not matches(record, [{"dynamodb": {"OldImage": {"status": {"S": ["confirmed"]}}}}])
    assert matches(record, [{"dynamodb": {"NewImage": {"status": {"S": ["confirmed"]}}}}])


def test_values_match_exactly_and_by_kind():
    assert matches({"a": {"b": "1"}}, [{"a": {"b": ["1"]}}])
    assert not matches({"a": {"b": 1}}, [{"a": {"b": ["1"]}}])
    assert matches({"a": 2}, [{"a": [2.0]}])
    assert not matches({"a": True}, [{"a": [1]}])
    assert matches({"a": None}, [{"a": [None]}])
    assert not matches({"a": {"b": "x"}}, [{"a": ["x"]}])  # an object is not a value


def test_a_list_value_matches_if_an_element_does():
    assert matches({"tags": ["a", "BLOCK#1"]}, [{"tags": [{"prefix": "BLOCK#"}]}])
    assert not matches({"tags": ["a", "b"]}, [{"tags": [{"prefix": "BLOCK#"}]}])


def test_a_prefix_matches_strings_only():
    assert not matches({"a": 12}, [{"a": [{"prefix": "1"}]}])


@pytest.mark.parametrize("pattern", [
    {"a": [{"anything-but": ["x"]}]}, {"a": [{"prefix": "x", "suffix": "y"}]}, {"a": "x"}, {"a": [{"exists": True}]},
])
def test_rules_outside_the_supported_subset_are_refused(pattern):
    with pytest.raises(ValueError):
        matches({"a": "x"}, [pattern])


# --- event records ---------------------------------------------------------------------------------

def test_a_stream_record_becomes_the_record_lambda_hands_a_function():
    record = event_record(raw("BOOKING", "4200"), ARN)
    assert record["eventSourceARN"] == ARN
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventVersion"] == "1.1"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1796112005
    assert record["dynamodb"]["SequenceNumber"] == "4200"
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "PROVIDER#p1"}, "sk": {"S": "BOOKING"}}


def test_an_epoch_creation_time_stays_whole_seconds():
    record = event_record(raw("BOOKING", ApproximateCreationDateTime=1796112005.9), ARN)
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1796112005


def test_powertools_reads_the_event_records():
    old = {"pk": {"S": "PROVIDER#p1"}, "sk": {"S": "BOOKING"}, "status": {"S": "held"}}
    event = {"Records": [event_record(raw("BOOKING", "1"), ARN),
                         event_record(raw("BOOKING", "2", "MODIFY", OldImage=old), ARN)]}
    parsed = DynamoDBStreamModel.model_validate(event)
    assert [record.dynamodb.SequenceNumber for record in parsed.Records] == ["1", "2"]
    assert parsed.Records[1].dynamodb.OldImage["status"] == "held"
    records = list(DynamoDBStreamEvent(event).records)
    assert records[0].dynamodb.keys == {"pk": "PROVIDER#p1", "sk": "BOOKING"}
    assert records[1].event_name.name == "MODIFY"


def test_the_original_record_is_left_as_it_was():
    original = raw("BOOKING")
    event_record(original, ARN)
    assert isinstance(original["dynamodb"]["ApproximateCreationDateTime"], datetime)
    assert "eventSourceARN" not in original


# --- partial batch answers -------------------------------------------------------------------------

BATCH = [event_record(raw("BOOKING", str(n)), ARN) for n in (10, 11, 12)]


@pytest.mark.parametrize("response", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}, "ok"])
def test_no_failure_reported_is_success(response):
    assert dead_letters.first_failure(response, BATCH) is None


def test_the_lowest_failed_record_is_where_the_retry_starts():
    response = {"batchItemFailures": [{"itemIdentifier": "12"}, {"itemIdentifier": "11"}]}
    assert dead_letters.first_failure(response, BATCH) == 1


@pytest.mark.parametrize("failure", [{"itemIdentifier": ""}, {"itemIdentifier": None}, {"id": "11"},
                                     {"itemIdentifier": "99"}, "11"])
def test_a_malformed_failure_fails_the_whole_batch(failure):
    assert dead_letters.first_failure({"batchItemFailures": [failure]}, BATCH) == 0


def test_a_raised_error_fails_the_whole_batch():
    def handler(event, context):
        raise RuntimeError("boom")

    outcome = dead_letters.invoke(handler, BATCH, None)
    assert (outcome.ok, outcome.retry_from, outcome.error) == (False, 0, "RuntimeError: boom")


# --- the on-failure message ------------------------------------------------------------------------

def test_the_on_failure_message_has_the_shape_lambda_sends():
    arn = dead_letters.function_arn("eu-west-1", "local", "audit")
    message = dead_letters.on_failure_message(BATCH[1:], "shardId-1", arn, "req-1", 7)
    parsed = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(message)
    assert arn == "arn:aws:lambda:eu-west-1:123456789012:function:marketplace-local-audit"
    assert parsed.request_context.function_arn == arn
    assert parsed.request_context.condition == "RetryAttemptsExhausted"
    assert parsed.request_context.approximate_invoke_count == 7
    assert parsed.response_context.function_error == "Unhandled"
    info = message["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("11", "12", 2)
    assert info["streamArn"] == ARN and info["shardId"] == "shardId-1"
    assert info["approximateArrivalOfFirstRecord"] == "2026-12-01T08:00:05Z"
    assert message["version"] == "1.0" and message["timestamp"].endswith("Z")


def test_a_batch_that_reported_failures_has_no_function_error():
    message = dead_letters.on_failure_message(BATCH, "s", "arn:aws:lambda:r:1:function:f", "r", 1, None)
    assert "functionError" not in message["responseContext"]


def test_the_source_is_found_by_the_end_of_the_function_name():
    sources = [StreamSource("audit", "m:f"), StreamSource("notifications", "m:g"), StreamSource("x-audit", "m:h")]
    assert dead_letters.source_of("arn:aws:lambda:r:1:function:marketplace-dev-audit", sources).name == "audit"
    assert dead_letters.source_of("arn:aws:lambda:r:1:function:marketplace-dev-x-audit", sources).name == "x-audit"
    assert dead_letters.source_of("arn:aws:lambda:r:1:function:marketplace-dev-notifications:live",
                                  sources).name == "notifications"
    assert dead_letters.source_of("arn:aws:lambda:r:1:function:marketplace-dev-other", sources) is None


def test_the_context_is_enough_for_powertools_logger():
    from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model

    context = dead_letters.context_for(dead_letters.function_arn("eu-west-1", "local", "audit"))
    model = build_lambda_context_model(context)
    assert model.function_name == "marketplace-local-audit"
    assert 0 < context.get_remaining_time_in_millis() <= 60_000
