"""infra/edge.yaml: it parses, the console's headers are local.console's, API Gateway refuses in the API's
shape (docs/api.md "Refusals"), no IAM statement grants "*" actions or "*" resources, and the whole merge
template lints clean."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import yaml

from local.console import cognito_origin, security_headers

FRAGMENT = Path(__file__).resolve().parents[2] / "infra" / "edge.yaml"
CONTRACT = {  # docs/api.md: status -> code
    "400": "invalid_request", "401": "unauthenticated", "403": "forbidden", "404": "not_found", "503": "try_again",
}


@pytest.fixture(scope="module")
def template() -> Dict[str, Any]:
    return yaml.safe_load(FRAGMENT.read_text(encoding="utf-8"))


def resources(template: Dict[str, Any], kind: str) -> Dict[str, Dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") == kind}


def substituted(value: Any, region: str) -> str:
    """A plain string, or a Fn::Sub naming only ${AWS::Region}, with the region put in."""
    if isinstance(value, str):
        return value
    text = value["Fn::Sub"]
    assert isinstance(text, str) and set(re.findall(r"\$\{([^}]+)\}", text)) <= {"AWS::Region"}, text
    return text.replace("${AWS::Region}", region)


def test_the_fragment_parses_into_sections_a_template_has(template):
    assert set(template) <= {"Parameters", "Conditions", "Resources", "Outputs"}
    assert {"SearchDomain", "ConsoleDistribution", "ConsoleHeadersPolicy", "AlarmTopic", "ApiWebAcl",
            "Dashboard"} <= set(template["Resources"])
    assert {"ConsoleUrl", "ConsoleBucketName", "SearchEndpoint", "AlarmTopicArn"} <= set(template["Outputs"])
    # safe_load refuses short-form tags (!Ref, !Sub): the fragment uses the long forms only.


def headers_of_policy(config: Dict[str, Any], region: str) -> Dict[str, str]:
    security = config["SecurityHeadersConfig"]
    headers = {
        "Content-Security-Policy": substituted(security.pop("ContentSecurityPolicy")["ContentSecurityPolicy"], region),
    }
    if security.pop("ContentTypeOptions", None):
        headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = security.pop("FrameOptions")["FrameOption"]
    headers["Referrer-Policy"] = security.pop("ReferrerPolicy")["ReferrerPolicy"]
    assert security == {}, f"headers the test does not know how to read: {security}"
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        assert item["Override"] is True
        headers[item["Header"]] = substituted(item["Value"], region)
    return headers


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1", "ap-southeast-2"])
def test_the_console_headers_policy_sends_exactly_local_consoles_headers(template, region):
    config = json.loads(json.dumps(template["Resources"]["ConsoleHeadersPolicy"]["Properties"][
        "ResponseHeadersPolicyConfig"]))
    assert headers_of_policy(config, region) == security_headers(cognito_origin(region))


def test_the_distribution_sends_the_console_headers_on_the_console_only(template):
    config = template["Resources"]["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "ConsoleHeadersPolicy"}
    api = config["CacheBehaviors"][-1]
    assert api["PathPattern"] == "/v1/*" and not any("ResponseHeadersPolicyId" in b for b in config["CacheBehaviors"])
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    origin = next(o for o in config["Origins"] if o["Id"] == api["TargetOriginId"])
    assert origin["OriginPath"] == "/api"


def test_every_gateway_response_answers_the_contracts_error_shape(template):
    # In RestAPI's GatewayResponses (SAM puts them in the API definition), not AWS::ApiGateway::GatewayResponse
    # resources, which the definition's overwrite import drops on the next update.
    assert not resources(template, "AWS::ApiGateway::GatewayResponse")
    answers = template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN", "UNAUTHORIZED", "ACCESS_DENIED",
            "THROTTLED", "REQUEST_TOO_LARGE"} <= set(answers)
    for kind, answer in answers.items():
        assert set(answer["ResponseTemplates"]) == {"application/json"}, kind
        body = json.loads(answer["ResponseTemplates"]["application/json"])
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, kind
        assert body["error"]["message"], kind
        # The status always follows from the code, as docs/api.md says.
        assert CONTRACT[answer["StatusCode"]] == body["error"]["code"], kind
        headers = answer["ResponseParameters"]["Headers"]
        assert headers["Content-Type"] == "'application/json'", kind
        if body["error"]["code"] == "try_again":
            assert re.fullmatch(r"'\d+'", headers["Retry-After"]), kind
    assert answers["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert answers["THROTTLED"]["StatusCode"] == "503"


def test_the_waf_blocks_in_the_contracts_shape_too(template):
    acl = template["Resources"]["ApiWebAcl"]["Properties"]
    for rule in acl["Rules"]:
        custom = rule["Action"]["Block"]["CustomResponse"]
        body = json.loads(acl["CustomResponseBodies"][custom["CustomResponseBodyKey"]]["Content"])
        assert body["error"]["code"] == CONTRACT[str(custom["ResponseCode"])]
        assert any(h["Name"] == "Retry-After" for h in custom["ResponseHeaders"])
        assert {"Name": "Cache-Control", "Value": "no-store"} in custom["ResponseHeaders"]


def test_the_cdn_caches_exactly_the_routes_the_api_marks_cacheable_and_nothing_else(template):
    import fnmatch

    from chalicelib.api.http import ROUTES
    import app  # noqa: F401 (registers the routes)

    config = template["Resources"]["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    behaviours = config["CacheBehaviors"]
    cached = [b for b in behaviours if b["CachePolicyId"] == {"Ref": "PublicReadCachePolicy"}]
    catch_all = [b["PathPattern"] for b in behaviours].index("/v1/*")
    # Every cached pattern comes before /v1/* (the first match wins)
    assert all(behaviours.index(b) < catch_all for b in cached)
    # A path is cached by the CDN if and only if its route declares a cache policy
    for route in {(r.path, r.method): r for r in ROUTES}.values():
        path = re.sub(r"\{[^}]+\}", "0b5e8a52-3c1f-4d2e-9a77-5f0c2d9e1b43", route.path)  # ids are UUIDs
        first = next(b for b in behaviours if fnmatch.fnmatchcase(path, b["PathPattern"]))
        if route.method == "GET":
            assert (first in cached) == (route.cache is not None), route.path
        # No signed-in read shares a cached path: there the origin never sees Authorization on a GET
        assert not (first in cached and route.auth and route.method == "GET"), route.path
    # The policy keeps what the API says, never longer than 5 minutes, and never a no-store answer
    policy = template["Resources"]["PublicReadCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert (policy["MinTTL"], policy["DefaultTTL"], policy["MaxTTL"]) == (0, 0, 300)
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["HeadersConfig"]["HeaderBehavior"] == "none" and key["QueryStringsConfig"]["QueryStringBehavior"] == "all"


def statements(template: Dict[str, Any]) -> Iterator[tuple]:
    for name, r in template["Resources"].items():
        props = r.get("Properties", {})
        for key in ("PolicyDocument", "AccessPolicies"):
            if key in props:
                for statement in props[key]["Statement"]:
                    yield name, statement


def as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else [value]


def test_no_iam_statement_grants_every_action_or_every_resource(template):
    found = list(statements(template))
    assert {"SearchDomain", "SearchAccessPolicy", "EmailSendPolicy", "PushPolicy",
            "ConsoleBucketPolicy"} <= {name for name, _ in found}
    for name, statement in found:
        if statement["Effect"] != "Allow":
            continue
        actions = as_list(statement["Action"])
        assert all(isinstance(a, str) and "*" not in a for a in actions), (name, actions)
        for resource in as_list(statement["Resource"]):
            assert resource != "*", (name, actions)
            text = json.dumps(resource)
            assert not re.search(r'(table|domain|identity|configuration-set|bucket)/\*"', text), (name, text)


def test_the_functions_get_the_settings_they_read(template):
    from chalicelib.config import Settings
    fields = {f.upper() for f in Settings.__dataclass_fields__}
    for function in ["APIHandler", "SearchFunction", "RefreshSearchFunction", "NotificationsFunction",
                     "SendRemindersFunction"]:
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert set(variables) <= fields, function
    assert "SEARCH_ENDPOINT" in template["Resources"]["SearchFunction"]["Properties"]["Environment"]["Variables"]
    assert "SES_CONFIGURATION_SET" in template["Resources"]["NotificationsFunction"]["Properties"]["Environment"][
        "Variables"]


def chalice_stand_ins() -> Dict[str, Any]:
    """What `chalice package` adds to the merge template (APIHandler's code and RestAPI with its definition),
    reduced to one route: enough for the merged template to be linted without packaging the code."""
    integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": {"Fn::Sub": (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${APIHandler.Arn}"
        "/invocations")}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "app.app", "CodeUri": "s3://code/deployment.zip",
                "MemorySize": 256, "Timeout": 30}},
            "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {
                "StageName": "api", "EndpointConfiguration": "EDGE", "DefinitionBody": {
                    "swagger": "2.0", "info": {"title": "marketplace", "version": "1.0"}, "schemes": ["https"],
                    "paths": {"/v1/health": {"get": {"responses": {"200": {"description": "ok"}},
                                                     "x-amazon-apigateway-integration": integration}}}}}},
        },
    }


def test_the_merged_template_lints_clean(monkeypatch):
    """infra-core's generated resources, every fragment, and stand-ins of Chalice's part, through cfn-lint, as
    written and as SAM translates it: cfn-lint misses a dependency cycle through a SAM resource (APIHandler ->
    ConsoleDistribution -> RestAPI -> APIHandler) until it is translated. `make package` and
    `cfn-lint build/infra/sam.yaml` lint the real thing."""
    cfnlint_api = pytest.importorskip("cfnlint.api")
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    from infra.build import merge_template
    from infra.merge import deep_merge

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    template = deep_merge(chalice_stand_ins(), merge_template("dev"))
    for body in template["Resources"].values():
        if body.get("Type") == "AWS::Serverless::Function":  # as `aws cloudformation package` leaves it
            body["Properties"]["CodeUri"] = "s3://deploy-bucket/marketplace/deployment.zip"
    translated = Translator({}, Parser()).translate(json.loads(json.dumps(template)), parameter_values={})
    for which in (template, translated):
        matches = cfnlint_api.lint(json.dumps(which), regions=["eu-west-1"])
        assert [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches] == []
