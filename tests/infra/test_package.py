"""What `make package` writes: a template cfn-lint finds no error in, generated from the code's definitions."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterator, List


from chalicelib.adapters.table import TABLE_DEFINITION, TTL_ATTRIBUTE
from infra import build as infra_build
from infra.resources import camel
from scheduled.schedules import JOBS
from stream_handlers.sources import SOURCES

#: Services holding data: no statement may give them every action or every resource.
DATA_SERVICES = ("dynamodb", "sqs", "sns", "ses", "es", "cognito-idp", "s3")


def of_type(resources: Dict[str, Any], kind: str) -> Dict[str, Dict[str, Any]]:
    return {name: body for name, body in resources.items() if body["Type"] == kind}


def test_cfn_lint_finds_no_errors(packaged):
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), "--format", "json", str(packaged / "sam.yaml")],
                            capture_output=True, text=True, timeout=300)
    # Exit codes are bits: 2 errors, 4 warnings, 8 informational; 1 means cfn-lint itself failed.
    assert not result.returncode & 1 and result.stdout.strip(), result.stdout + result.stderr
    matches = json.loads(result.stdout)
    errors = [match for match in matches if match["Level"] == "Error"]
    assert not errors, json.dumps(errors, indent=2)


def test_the_table_is_the_code_s_definition(resources):
    table = resources["Table"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    properties = table["Properties"]
    for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode"):
        assert properties[key] == TABLE_DEFINITION[key], key
    assert properties["StreamSpecification"] == {
        "StreamViewType": TABLE_DEFINITION["StreamSpecification"]["StreamViewType"]
    }
    assert properties["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["TableName"] == {"Fn::Sub": "marketplace-${Stage}"}


def test_one_mapping_per_stream_source_with_its_settings(resources):
    mappings = of_type(resources, "AWS::Lambda::EventSourceMapping")
    assert sorted(mappings) == sorted(f"{camel(source.name)}EventSourceMapping" for source in SOURCES)
    for source in SOURCES:
        x = camel(source.name)
        properties = mappings[f"{x}EventSourceMapping"]["Properties"]
        assert properties["FunctionName"] == {"Ref": f"{x}Function"}
        assert properties["EventSourceArn"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
        assert properties["BatchSize"] == source.batch_size
        assert properties["MaximumBatchingWindowInSeconds"] == source.batching_window_seconds
        assert properties["MaximumRetryAttempts"] == source.maximum_retry_attempts
        assert properties["BisectBatchOnFunctionError"] is source.bisect_on_error
        assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert properties["DestinationConfig"] == {
            "OnFailure": {"Destination": {"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}}
        }
        assert [json.loads(f["Pattern"]) for f in properties["FilterCriteria"]["Filters"]] == list(source.filters)
        function = resources[f"{x}Function"]["Properties"]
        assert function["Handler"] == source.handler.replace(":", ".")


def test_one_rule_per_scheduled_job_with_its_rate(resources):
    rules = of_type(resources, "AWS::Events::Rule")
    assert sorted(rules) == sorted(f"{camel(job.name)}Schedule" for job in JOBS)
    for job in JOBS:
        x = camel(job.name)
        rule = rules[f"{x}Schedule"]["Properties"]
        assert rule["ScheduleExpression"] == job.rate
        assert [target["Arn"] for target in rule["Targets"]] == [{"Fn::GetAtt": [f"{x}Function", "Arn"]}]
        permission = resources[f"{x}SchedulePermission"]["Properties"]
        assert permission["SourceArn"] == {"Fn::GetAtt": [f"{x}Schedule", "Arn"]}
        assert permission["Principal"] == "events.amazonaws.com"
        assert resources[f"{x}Function"]["Properties"]["Handler"] == job.handler.replace(":", ".")


def test_every_function_has_its_own_role_and_the_settings(resources):
    functions = of_type(resources, "AWS::Serverless::Function")
    expected = {"APIHandler"} | {f"{camel(s.name)}Function" for s in SOURCES} | {f"{camel(j.name)}Function" for j in JOBS}
    assert set(functions) == expected
    assert "DefaultRole" not in resources
    for name, body in functions.items():
        properties = body["Properties"]
        assert properties["Role"] == {"Fn::GetAtt": [f"{name}Role", "Arn"]}, name
        assert resources[f"{name}Role"]["Type"] == "AWS::IAM::Role"
        variables = properties["Environment"]["Variables"]
        for variable in ("STAGE", "TABLE_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID",
                         "STREAM_DEAD_LETTER_QUEUE_URL", "EMAIL_FROM"):
            assert variable in variables, (name, variable)
        assert variables["TABLE_NAME"] == {"Ref": "Table"}


def test_every_function_writes_to_a_log_group_the_stack_made_with_a_retention(resources):
    # Given every function of the package
    for name, body in of_type(resources, "AWS::Serverless::Function").items():
        group_id = f"{name}LogGroup"
        # Then its log group is the stack's, named as Lambda names it, with the stage's retention
        group = resources[group_id]
        assert group["Type"] == "AWS::Logs::LogGroup" and group_id in body["DependsOn"], name
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        function_name = body["Properties"]["FunctionName"]["Fn::Sub"]
        assert group["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{function_name}"}
        # And its role may write there, but not make a group of its own (one that would keep lines forever)
        [logs] = [s for s in resources[f"{name}Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                  if s["Sid"] == "OwnLogGroup"]
        assert sorted(logs["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
        assert logs["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                                                f"log-group:/aws/lambda/{function_name}:*"}]


def test_the_api_is_regional_behind_the_distribution_and_answers_within_api_gateways_limit(resources):
    api = resources["RestAPI"]["Properties"]
    assert api["EndpointConfiguration"] == "REGIONAL"
    handler = resources["APIHandler"]["Properties"]
    # API Gateway gives up on an integration after 29 s; the function should not run on past it.
    assert handler["Timeout"] <= 29 and handler["MemorySize"] >= 1024


def test_every_handler_module_is_in_the_zip(packaged, resources):
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        names = set(archive.namelist())
        assert not [n for n in names if "__pycache__" in n and not n.startswith(("chalice/",))
                    and n.split("/")[0] in ("chalicelib", "stream_handlers", "scheduled")]
        for name, body in of_type(resources, "AWS::Serverless::Function").items():
            module, _, attribute = body["Properties"]["Handler"].rpartition(".")
            path = module.replace(".", "/") + ".py"
            assert path in names, (name, path)
            source = archive.read(path).decode()
            assert re.search(rf"^(def {attribute}\(|{attribute} = )", source, re.MULTILINE), (name, attribute)


def test_the_outputs_and_parameters(template):
    assert {"Stage", "EmailFrom"} <= set(template["Parameters"])
    assert template["Parameters"]["Stage"]["Default"] == "dev"
    assert {"ApiUrl", "TableName", "UserPoolId", "UserPoolClientId", "StreamDeadLetterQueueUrl", "Region"} <= set(
        template["Outputs"])


# --- IAM: no statement gives a data service every action or every resource ---------------------------------


def policy_documents(resources: Dict[str, Any]) -> Iterator[tuple]:
    """(where, document) for every policy in the template: roles' inline policies, AWS::IAM::Policy and
    ManagedPolicy resources, and the Policies of SAM functions (documents and policy templates)."""
    for name, body in resources.items():
        properties = body.get("Properties", {})
        kind = body["Type"]
        if kind == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                yield f"{name}/{policy.get('PolicyName')}", policy["PolicyDocument"]
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield name, properties["PolicyDocument"]
        elif kind == "AWS::Serverless::Function":
            policies = properties.get("Policies", [])
            for index, policy in enumerate(policies if isinstance(policies, list) else [policies]):
                yield f"{name}/Policies[{index}]", policy


def statements(document: Any) -> List[Dict[str, Any]]:
    if isinstance(document, str):  # a managed policy's name or ARN
        return [{"Effect": "Allow", "Action": ["*"], "Resource": ["*"], "ManagedPolicy": document}]
    if "Statement" not in document:  # a SAM policy template: judged after translation, below
        return []
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else [value]


def problems_of(where: str, statement: Dict[str, Any]) -> List[str]:
    if statement.get("Effect") != "Allow":
        return []
    if "NotAction" in statement or "NotResource" in statement:
        return [f"{where}: NotAction/NotResource"]
    actions = [a for a in as_list(statement.get("Action", [])) if isinstance(a, str)]
    resources = as_list(statement.get("Resource", []))
    found = []
    for action in actions:
        service, _, verb = action.partition(":")
        if action == "*" or verb == "*" or service == "*":
            found.append(f"{where}: action {action}")
    services = {action.partition(":")[0] for action in actions}
    if services & set(DATA_SERVICES) or "*" in actions:
        for resource in resources:
            if resource == "*" or (isinstance(resource, str) and re.fullmatch(r"arn:[^:]*:[^:]*:[^:]*:[^:]*:\*", resource)):
                found.append(f"{where}: resource {resource} for {sorted(services)}")
    return found


def all_problems(resources: Dict[str, Any]) -> List[str]:
    return [problem for where, document in policy_documents(resources)
            for statement in statements(document) for problem in problems_of(where, statement)]


def test_no_statement_gives_every_action_or_every_resource_of_a_data_service(resources):
    assert all_problems(resources) == []


def test_nor_after_sam_translates_it(template, monkeypatch):
    """SAM policy templates (and anything SAM adds) are judged in the CloudFormation SAM makes, offline."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    uploaded = json.loads(json.dumps(template))
    # What `aws cloudformation package` does before a deploy: the local zip becomes an S3 object.
    for body in of_type(uploaded["Resources"], "AWS::Serverless::Function").values():
        body["Properties"]["CodeUri"] = "s3://deploy-bucket/marketplace/deployment.zip"
    translated = Translator({}, Parser()).translate(uploaded, parameter_values={})
    assert not of_type(translated["Resources"], "AWS::Serverless::Function")
    assert all_problems(translated["Resources"]) == []


def test_the_walk_catches_a_wildcard_anywhere():
    resources = {
        "R": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:x"}]}}]}},
        "P": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {
            "Statement": {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"}}}},
        "F": {"Type": "AWS::Serverless::Function", "Properties": {"Policies": [
            {"Statement": [{"Effect": "Allow", "Action": ["es:ESHttpGet"], "Resource": ["*"]}]}, "AdministratorAccess"]}},
        "OK": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"}]}}},
    }
    assert {problem.split(":")[0] for problem in all_problems(resources)} == {"R/p", "P", "F/Policies[0]", "F/Policies[1]"}


# --- fragments -----------------------------------------------------------------------------------------------


def test_fragments_merge_over_the_generated_resources_in_file_name_order(tmp_path, monkeypatch):
    (tmp_path / "b.yaml").write_text(
        "Resources:\n  Table:\n    Properties:\n      BillingMode: PROVISIONED\n"
        "  Extra:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Sub 'x-${Stage}'\n")
    (tmp_path / "a.yaml").write_text("Resources:\n  Table:\n    Properties:\n      BillingMode: FIRST\n")
    (tmp_path / "notes.txt").write_text("not a fragment")
    monkeypatch.setattr(infra_build, "INFRA", tmp_path)
    merged = infra_build.merge_template("dev")
    table = merged["Resources"]["Table"]["Properties"]
    assert table["BillingMode"] == "PROVISIONED"
    assert table["KeySchema"] == TABLE_DEFINITION["KeySchema"]
    assert merged["Resources"]["Extra"]["Properties"]["TopicName"] == {"Fn::Sub": "x-${Stage}"}
