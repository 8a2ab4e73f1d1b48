"""The resources generated from the code's definitions: the table (chalicelib/adapters/table.py), the stream
functions and their event source mappings (stream_handlers/sources.py), the scheduled functions and their
rules (scheduled/schedules.py), the user pool, the dead-letter queue, and a role for every function.

Everything here is CloudFormation's long form (``{"Ref": ...}``), ready to be merged with infra/*.yaml and
handed to ``chalice package --merge-template``. The logical ids are a contract with infra/*.yaml fragments
(see infra/README.md): do not rename them.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List

from chalicelib.adapters.table import TABLE_DEFINITION, TTL_ATTRIBUTE
from chalicelib.adapters.user_pool import client_properties, group_properties, user_pool_properties
from scheduled.schedules import JOBS, ScheduledJob
from stream_handlers.sources import DEAD_LETTER_QUEUE, SOURCES, StreamSource

RUNTIME = "python3.11"
CODE_URI = "./deployment.zip"
#: Chalice's names: the API's function, and the API itself (stage "api", .chalice/config.json).
API_FUNCTION = "APIHandler"
REST_API = "RestAPI"
API_STAGE = "api"

# The DynamoDB item actions a function may be given. There is no IAM action for transactions: a
# TransactWriteItems is allowed by the actions of its parts (PutItem, UpdateItem, DeleteItem, ConditionCheckItem).
TABLE_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable"]
TABLE_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
               "dynamodb:ConditionCheckItem"]
STREAM_READ = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]

#: What each function does with the table: read only, or read and write.
TABLE_ACCESS: Dict[str, List[str]] = {
    "api": TABLE_READ + TABLE_WRITE,
    "notifications": TABLE_READ + TABLE_WRITE,  # deliveries and inbox items
    "audit": TABLE_READ + TABLE_WRITE,  # audit items
    "search": TABLE_READ,  # reads providers to rebuild their documents
    "roll_horizon": TABLE_READ + TABLE_WRITE,
    "release_holds": TABLE_READ + TABLE_WRITE,
    "finish_syncs": TABLE_READ + TABLE_WRITE,
    "send_reminders": TABLE_READ + TABLE_WRITE,
    "refresh_search": TABLE_READ,
}

#: Functions that call Cognito (the notifications read a user's e-mail address).
COGNITO_ACCESS = {"notifications": ["cognito-idp:AdminGetUser"]}


def ref(name: str) -> Dict[str, Any]:
    return {"Ref": name}


def get_att(resource: str, attribute: str) -> Dict[str, Any]:
    return {"Fn::GetAtt": [resource, attribute]}


def sub(text: str) -> Dict[str, Any]:
    return {"Fn::Sub": text}


def camel(name: str) -> str:
    """``release_holds`` -> ``ReleaseHolds``."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


def function_name(name: str) -> Dict[str, Any]:
    """The function's physical name; fixed, so that its role can name its log group without a cycle."""
    return sub(f"marketplace-${{Stage}}-{name.replace('_', '-')}")


def log_group_name(name: str) -> str:
    """The log group Lambda writes function ``name``'s lines to (a ${Stage} template)."""
    return f"/aws/lambda/marketplace-${{Stage}}-{name.replace('_', '-')}"


def log_group(name: str) -> Dict[str, Any]:
    """Function ``name``'s log group, made before the function so that Lambda never makes one that keeps forever."""
    return {
        "Type": "AWS::Logs::LogGroup",
        # A torn-down stage takes its logs with it; the audit trail is in the table, not here.
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": {"LogGroupName": sub(log_group_name(name)), "RetentionInDays": ref("LogRetentionDays")},
    }


def environment() -> Dict[str, Any]:
    """What every function reads (chalicelib/config.py); AWS_REGION is set by Lambda itself."""
    return {
        "Variables": {
            "STAGE": ref("Stage"),
            "TABLE_NAME": ref("Table"),
            "USER_POOL_ID": ref("UserPool"),
            "USER_POOL_CLIENT_ID": ref("UserPoolClient"),
            "STREAM_DEAD_LETTER_QUEUE_URL": ref("StreamDeadLetterQueue"),
            "EMAIL_FROM": ref("EmailFrom"),
            # No SMS from a deployed stage (decision 0013): IAM would have to grant sns:Publish on "*".
            "SMS_ENABLED": "false",
            "POWERTOOLS_SERVICE_NAME": "marketplace",
            "POWERTOOLS_METRICS_NAMESPACE": "Marketplace",
        }
    }


def parameters(stage: str) -> Dict[str, Any]:
    return {
        "Stage": {"Type": "String", "Default": stage, "AllowedPattern": "[a-z][a-z0-9-]*",
                  "Description": "The stage's name: in the names of the table and the functions"},
        "EmailFrom": {"Type": "String", "Default": "bookings@marketplace.example",
                      "Description": "The verified SES sender of the e-mails"},
        "LogRetentionDays": {"Type": "Number", "Default": 30,
                             "AllowedValues": [1, 3, 5, 7, 14, 30, 60, 90, 180, 365, 731, 1827, 3653],
                             "Description": "Days the functions' log groups keep their lines"},
    }


def table() -> Dict[str, Any]:
    definition = TABLE_DEFINITION
    stream = definition["StreamSpecification"]
    assert stream["StreamEnabled"], "the functions read the table's stream"
    return {
        "Type": "AWS::DynamoDB::Table",
        # Bookings are the business: never dropped with a stack or a replacement.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "TableName": sub("marketplace-${Stage}"),
            "AttributeDefinitions": definition["AttributeDefinitions"],
            "KeySchema": definition["KeySchema"],
            "GlobalSecondaryIndexes": definition["GlobalSecondaryIndexes"],
            "BillingMode": definition["BillingMode"],
            # CloudFormation's StreamSpecification has no StreamEnabled: a view type turns the stream on.
            "StreamSpecification": {"StreamViewType": stream["StreamViewType"]},
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "DeletionProtectionEnabled": True,
        },
    }


def dead_letter_queue() -> Dict[str, Any]:
    return {
        "Type": "AWS::SQS::Queue",
        # Parked batches are pointers into a stream that keeps 24 hours: nothing to keep past the stack.
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": dict(DEAD_LETTER_QUEUE),
    }


def user_pool() -> Dict[str, Dict[str, Any]]:
    """The pool, group and client as chalicelib/adapters/user_pool.py declares them (the local stack too)."""
    return {
        "UserPool": {
            "Type": "AWS::Cognito::UserPool",
            # The accounts of every customer and provider: never dropped with a stack or a replacement.
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": user_pool_properties(sub("marketplace-${Stage}")),
        },
        "ProvidersGroup": {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {**group_properties(), "UserPoolId": ref("UserPool")},
        },
        "UserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {"UserPoolId": ref("UserPool"), **client_properties(sub("marketplace-${Stage}"))},
        },
    }


def role(name: str, reads_stream: bool) -> Dict[str, Any]:
    """The execution role of function ``name``: only what that function does, on this stack's resources."""
    statements: List[Dict[str, Any]] = [
        {
            "Sid": "OwnLogGroup",
            "Effect": "Allow",
            # Not CreateLogGroup: the template makes the group, with its retention (log_group()).
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [
                sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:"
                    f"{log_group_name(name)}:*"),
            ],
        },
        {
            "Sid": "Table",
            "Effect": "Allow",
            "Action": TABLE_ACCESS[name],
            "Resource": [get_att("Table", "Arn"), sub("${Table.Arn}/index/*")],
        },
        # Powertools' Tracer (X-Ray has no resource-level permissions for these actions).
        {"Sid": "Tracing", "Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
         "Resource": "*"},
    ]
    if reads_stream:
        statements.append({"Sid": "TableStream", "Effect": "Allow", "Action": STREAM_READ,
                           "Resource": [get_att("Table", "StreamArn"), sub("${Table.Arn}/stream/*")]})
        # Where the event source mapping parks the place of a batch that kept failing.
        statements.append({"Sid": "DeadLetters", "Effect": "Allow", "Action": ["sqs:SendMessage"],
                           "Resource": [get_att("StreamDeadLetterQueue", "Arn")]})
    if name in COGNITO_ACCESS:
        statements.append({"Sid": "UserPool", "Effect": "Allow", "Action": COGNITO_ACCESS[name],
                           "Resource": [get_att("UserPool", "Arn")]})
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            },
            "Policies": [{"PolicyName": "function",
                          "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
        },
    }


def function(name: str, handler: str, timeout: int, memory: int) -> Dict[str, Any]:
    """A function of the deployment package; ``handler`` is ``module:function``."""
    module, _, attribute = handler.partition(":")
    return {
        "Type": "AWS::Serverless::Function",
        "DependsOn": [f"{camel(name)}FunctionLogGroup"],
        "Properties": {
            "FunctionName": function_name(name),
            "CodeUri": CODE_URI,
            "Handler": f"{module}.{attribute}",
            "Runtime": RUNTIME,
            "Timeout": timeout,
            "MemorySize": memory,
            "Tracing": "Active",
            "Role": get_att(f"{camel(name)}FunctionRole", "Arn"),
            "Environment": environment(),
        },
    }


def function_resources(name: str, handler: str, timeout: int, reads_stream: bool) -> Dict[str, Dict[str, Any]]:
    """A function of the package with its own role and log group."""
    x = camel(name)
    return {
        f"{x}Function": function(name, handler, timeout=timeout, memory=512),
        f"{x}FunctionRole": role(name, reads_stream=reads_stream),
        f"{x}FunctionLogGroup": log_group(name),
    }


def stream_resources(source: StreamSource) -> Dict[str, Dict[str, Any]]:
    x = camel(source.name)
    return {
        **function_resources(source.name, source.handler, timeout=60, reads_stream=True),
        f"{x}EventSourceMapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "FunctionName": ref(f"{x}Function"),
                "EventSourceArn": get_att("Table", "StreamArn"),
                "StartingPosition": "LATEST",
                "BatchSize": source.batch_size,
                "MaximumBatchingWindowInSeconds": source.batching_window_seconds,
                "MaximumRetryAttempts": source.maximum_retry_attempts,
                "BisectBatchOnFunctionError": source.bisect_on_error,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "DestinationConfig": {"OnFailure": {"Destination": get_att("StreamDeadLetterQueue", "Arn")}},
                "FilterCriteria": {"Filters": [{"Pattern": json.dumps(pattern, sort_keys=True)}
                                               for pattern in source.filters]},
            },
        },
    }


def scheduled_resources(job: ScheduledJob) -> Dict[str, Dict[str, Any]]:
    x = camel(job.name)
    return {
        **function_resources(job.name, job.handler, timeout=300, reads_stream=False),
        f"{x}Schedule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": f"{job.handler} on {job.rate}",
                "ScheduleExpression": job.rate,
                "State": "ENABLED",
                "Targets": [{"Id": f"{x}Function", "Arn": get_att(f"{x}Function", "Arn")}],
            },
        },
        f"{x}SchedulePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": ref(f"{x}Function"),
                "Principal": "events.amazonaws.com",
                "SourceArn": get_att(f"{x}Schedule", "Arn"),
            },
        },
    }


def api_resources() -> Dict[str, Dict[str, Any]]:
    """What the merge adds to Chalice's APIHandler: its own role, the environment, a fixed name."""
    return {
        API_FUNCTION: {
            "DependsOn": [f"{API_FUNCTION}LogGroup"],
            "Properties": {
                "FunctionName": function_name("api"),
                "Role": get_att(f"{API_FUNCTION}Role", "Arn"),
                "Environment": environment(),
                "Tracing": "Active",
            }
        },
        f"{API_FUNCTION}Role": role("api", reads_stream=False),
        f"{API_FUNCTION}LogGroup": log_group("api"),
    }


def outputs() -> Dict[str, Any]:
    return {
        "ApiUrl": {"Value": sub(f"https://${{{REST_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{API_STAGE}/")},
        "TableName": {"Value": ref("Table")},
        "UserPoolId": {"Value": ref("UserPool")},
        "UserPoolClientId": {"Value": ref("UserPoolClient")},
        "StreamDeadLetterQueueUrl": {"Value": ref("StreamDeadLetterQueue")},
        "Region": {"Value": ref("AWS::Region")},
    }


def generated_template(stage: str) -> Dict[str, Any]:
    """The merge template's generated part (before infra/*.yaml)."""
    resources: Dict[str, Dict[str, Any]] = {
        "Table": table(),
        "StreamDeadLetterQueue": dead_letter_queue(),
        **user_pool(),
        **api_resources(),
    }
    for source in SOURCES:
        resources.update(stream_resources(source))
    for job in JOBS:
        resources.update(scheduled_resources(job))
    return {"Parameters": parameters(stage), "Resources": resources, "Outputs": outputs()}
