"""The packaged template, translated from SAM offline (aws-sam-translator) and created as a stack in a fresh moto
server of its own (tests/infra/moto_stack.py); then the app's integration tests run against what it created.

What is created is the translated template REDUCED to the resource types moto 5.2.5's CloudFormation creates:
moto skips a type it does not model with a warning, and then any reference to the skipped resource fails the
whole CreateStack, so the helper drops those resources and puts placeholders in the references to them. Dropped
(EXPECTED_DROPPED, checked below so this list stays true):
- Cognito (UserPool, UserPoolClient, ProvidersGroup): moto's CloudFormation has no Cognito types. The test
  creates them through Cognito's API from the template's own properties (name, username attributes, case
  insensitivity, auto-verified e-mail; the client's auth flows; the group) and checks them there.
- the API: Chalice's RestAPI/Deployment (moto models them, but does not read the swagger Body, so the
  Deployment fails on "no methods"), its ApiGateway::Stage, and everything of infra/edge.yaml moto does not
  model: OpenSearch domain, CloudFront (distribution, function, OAC, headers and cache policies), WAFv2 ACL and
  association, SES identity and configuration set, the console bucket's policy, CloudWatch alarms, the alarm
  topic's subscription.
Kept and created: the table (GSIs, stream, TTL), the dead-letter queue, the 9 functions and their log
groups (a tiny stand-in zip: no Lambda code runs here, it would need Docker) with their roles and policies,
the 3 stream mappings, the 5 schedule rules and their permissions, the alarm topic, the console bucket, the
dashboard.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from chalicelib.adapters import models
from chalicelib.adapters.table import TABLE_DEFINITION, TTL_ATTRIBUTE
from stream_handlers.sources import SOURCES
from tests.infra import moto_stack

EXPECTED_DROPPED = {
    "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup",
    "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage",
    "AWS::OpenSearchService::Domain", "AWS::CloudFront::Distribution", "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl", "AWS::CloudFront::ResponseHeadersPolicy", "AWS::CloudFront::CachePolicy",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation", "AWS::SES::EmailIdentity", "AWS::SES::ConfigurationSet",
    "AWS::S3::BucketPolicy", "AWS::CloudWatch::Alarm", "AWS::SNS::Subscription",
}

#: The integration tests run against the stack: the smoke test (sign up, provider, hours, service, availability,
#: booking, idempotent replay) and two of the booking story's core. Over HTTP to a serialised moto server a
#: test that lays out a provider's 60 days of slots takes 25-50 s (7 s in-process), so not all of
#: test_booking_core.py: all 10 (and the smoke test) passed against the stack too, in under 7 minutes (by hand).
INTEGRATION_TESTS = (
    "tests/integration/test_smoke.py",
    "tests/integration/test_booking_core.py::test_creating_a_booking_makes_exactly_one_write_call",
    "tests/integration/test_booking_core.py::test_the_buffer_is_taken_with_the_booking",
)


@pytest.fixture(scope="module")
def stack(template):
    """The stack created in a fresh moto server (about 2 s), with the Cognito resources made beside it."""
    reduced, dropped = moto_stack.reduced(moto_stack.translated(template), moto_stack.moto_cloudformation_types())
    with moto_stack.moto_server() as url:
        described = moto_stack.create_stack(url, reduced)
        cognito = moto_stack.create_cognito_from_template(url, template)
        yield {"url": url, "stack": described, "outputs": moto_stack.outputs(described), "dropped": dropped,
               "cognito": cognito, "resources": moto_stack.physical_ids(url) if
               described["StackStatus"] == "CREATE_COMPLETE" else {}}


def test_the_reduced_stack_is_created(stack):
    assert (stack["stack"]["StackStatus"], stack["stack"].get("StackStatusReason")) == ("CREATE_COMPLETE", None)
    assert set(stack["dropped"].values()) == EXPECTED_DROPPED
    assert stack["outputs"]["TableName"] == "marketplace-dev"


def _by_name(items, key="AttributeName"):
    return sorted(items, key=lambda item: item[key])


@pytest.fixture(scope="module")
def table(stack):
    return moto_stack.client("dynamodb", stack["url"]).describe_table(TableName=stack["outputs"]["TableName"])["Table"]


def test_the_table_is_the_table_definition(table, template):
    assert _by_name(table["AttributeDefinitions"]) == _by_name(TABLE_DEFINITION["AttributeDefinitions"])
    assert table["KeySchema"] == TABLE_DEFINITION["KeySchema"]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {index["IndexName"] for index in TABLE_DEFINITION["GlobalSecondaryIndexes"]}
    for declared in TABLE_DEFINITION["GlobalSecondaryIndexes"]:
        created = indexes[declared["IndexName"]]
        assert (created["KeySchema"], created["Projection"]) == (declared["KeySchema"], declared["Projection"])
    assert table["BillingModeSummary"]["BillingMode"] == TABLE_DEFINITION["BillingMode"]
    assert table["StreamSpecification"] == TABLE_DEFINITION["StreamSpecification"]
    assert table["LatestStreamArn"]
    # moto's CloudFormation ignores the table's TimeToLiveSpecification (DescribeTimeToLive says DISABLED): the
    # translated template is checked instead, and the stack's table is not relied on to expire anything.
    declared = moto_stack.translated(template)["Resources"]["Table"]["Properties"]["TimeToLiveSpecification"]
    assert declared == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}


def _model_classes():
    return [value for value in vars(models).values()
            if isinstance(value, type) and issubclass(value, models._Item) and value is not models._Item]


def test_every_key_and_index_a_model_uses_exists_with_the_same_keys(table):
    created = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    types = {item["AttributeName"]: item["AttributeType"] for item in table["AttributeDefinitions"]}
    schema = {key["KeyType"]: key["AttributeName"] for key in table["KeySchema"]}
    used = set()
    for model in _model_classes():
        attributes = model.get_attributes()
        assert {"HASH": model._hash_keyname, "RANGE": model._range_keyname} == schema, model
        for name in schema.values():
            assert types[name] == attributes[name].attr_type, (model, name)
        for index in model._indexes.values():
            meta = index.Meta
            used.add(meta.index_name)
            assert meta.index_name in created, (model, meta.index_name)
            keys = {key["KeyType"]: key["AttributeName"] for key in created[meta.index_name]["KeySchema"]}
            declared = {("HASH" if attribute.is_hash_key else "RANGE"): attribute.attr_name
                        for attribute in meta.attributes.values() if attribute.is_hash_key or attribute.is_range_key}
            assert keys == declared, (model, meta.index_name)
            for name in keys.values():
                assert types[name] == meta.attributes[name].attr_type, (model, name)
            assert created[meta.index_name]["Projection"]["ProjectionType"] == meta.projection.projection_type
    assert used == set(created)  # every index of the table is used by some model


def test_the_stream_mappings_read_the_table_stream_as_sources_py_says(stack, table):
    lambda_ = moto_stack.client("lambda", stack["url"])
    mappings = lambda_.list_event_source_mappings(EventSourceArn=table["LatestStreamArn"])["EventSourceMappings"]
    queue_url = stack["outputs"]["StreamDeadLetterQueueUrl"]
    queue_arn = moto_stack.client("sqs", stack["url"]).get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    by_function = {mapping["FunctionArn"].rsplit(":", 1)[-1]: mapping for mapping in mappings}
    assert set(by_function) == {f"marketplace-dev-{source.name}" for source in SOURCES}
    for source in SOURCES:
        mapping = by_function[f"marketplace-dev-{source.name}"]
        assert mapping["EventSourceArn"] == table["LatestStreamArn"]
        assert mapping["BatchSize"] == source.batch_size
        assert mapping.get("MaximumBatchingWindowInSeconds", 0) == source.batching_window_seconds
        assert mapping["MaximumRetryAttempts"] == source.maximum_retry_attempts
        assert mapping["BisectBatchOnFunctionError"] is source.bisect_on_error
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn
        patterns = [json.loads(item["Pattern"]) for item in mapping["FilterCriteria"]["Filters"]]
        assert patterns == list(source.filters)


def test_the_queue_and_the_cognito_resources_exist(stack):
    sqs = moto_stack.client("sqs", stack["url"])
    attributes = sqs.get_queue_attributes(QueueUrl=stack["outputs"]["StreamDeadLetterQueueUrl"],
                                          AttributeNames=["MessageRetentionPeriod"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    cognito = moto_stack.client("cognito-idp", stack["url"])
    pool_id = stack["cognito"]["UserPool"]
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert (pool["Name"], pool["UsernameAttributes"]) == ("marketplace-dev", ["email"])
    app = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=stack["cognito"]["UserPoolClient"])
    assert "ALLOW_USER_PASSWORD_AUTH" in app["UserPoolClient"]["ExplicitAuthFlows"]
    assert cognito.get_group(UserPoolId=pool_id, GroupName="providers")["Group"]["GroupName"] == "providers"


def test_the_integration_tests_pass_against_the_stack(stack):
    """tests/integration/conftest.py runs against the stack's table and pool when INTEGRATION_STACK_ENDPOINT is
    set (emptying the table before each test): a subprocess, so its environment and its in-process clients
    never mix with this session's. The search engine stays the in-memory one the integration tests start.
    SCHEDULE_SYNC_SECONDS is raised: over HTTP, laying out 60 days of slots takes longer than the 10 s a request
    may spend on it, and the tests that count slots expect the layout finished in the request."""
    environment = {**os.environ, "SCHEDULE_SYNC_SECONDS": "300", "INTEGRATION_STACK_ENDPOINT": stack["url"],
                   "INTEGRATION_STACK_TABLE_NAME": stack["outputs"]["TableName"],
                   "INTEGRATION_STACK_USER_POOL_ID": stack["cognito"]["UserPool"],
                   "INTEGRATION_STACK_USER_POOL_CLIENT_ID": stack["cognito"]["UserPoolClient"]}
    result = subprocess.run([sys.executable, "-m", "pytest", *INTEGRATION_TESTS, "-q", "-p", "no:cacheprovider", "-x"],
                            cwd=moto_stack.ROOT, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout.splitlines()[-1], result.stdout[-1000:]
