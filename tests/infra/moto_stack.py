"""The packaged template, translated from SAM offline and created as a stack in a moto server of its own.

moto 5.2.5's CloudFormation creates only the resource types it models (``moto.cloudformation.parsing``'s model
map); any other type is skipped with a warning, and then every ``Ref``/``Fn::GetAtt``/``Fn::Sub`` naming the
skipped resource fails the whole CreateStack ("references undefined resource"). So the stack is created from
the translated template *reduced*: the unsupported resources are dropped and the references to them replaced
by placeholder strings (``dropped-<Id>`` / ``arn:aws:dropped:...:<Id>-<Attr>``); outputs naming them are dropped too.
"""
from __future__ import annotations

import importlib
import io
import json
import os
import re
import time
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

from tests.integration.conftest import serialised_moto

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
CODE_BUCKET, CODE_KEY = "marketplace-code", "deployment.zip"
STACK_NAME = "marketplace-dev"


def translated(sam: Dict[str, Any]) -> Dict[str, Any]:
    """Plain CloudFormation from the SAM template, as CloudFormation's transform would write it (offline).

    CodeUri points at the bucket the moto server is given (SAM needs an S3 location, not ./deployment.zip)."""
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = json.loads(json.dumps(sam))
    for body in template["Resources"].values():
        if body.get("Type") == "AWS::Serverless::Function":
            body["Properties"]["CodeUri"] = f"s3://{CODE_BUCKET}/{CODE_KEY}"
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return Translator({}, Parser()).translate(template, parameter_values={})


#: Types moto's CloudFormation models but cannot create from this template: the RestApi's swagger Body is not
#: read, so the API has no methods and its Deployment fails ("The REST API doesn't contain any methods").
MODELLED_BUT_FAILING = {"AWS::ApiGateway::RestApi", "AWS::ApiGateway::Deployment"}


def moto_cloudformation_types() -> Set[str]:
    """The resource types moto's CloudFormation creates from this template: its model map, with every moto
    backend imported, less MODELLED_BUT_FAILING."""
    from moto.backends import list_of_moto_modules

    for name in list_of_moto_modules():
        try:
            importlib.import_module(f"moto.{name}.models")
        except Exception:  # a backend whose optional dependencies are missing models nothing here
            pass
    from moto.cloudformation import parsing

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    return set(parsing.get_model_map()) - MODELLED_BUT_FAILING


def _placeholder(name: str, attribute: str = "") -> str:
    """What a reference to a dropped resource becomes: its Ref a plain id, an attribute an ARN-shaped string
    (IAM policies of the kept roles name them, and moto checks their ARNs)."""
    if not attribute:
        return f"dropped-{name}"
    return f"arn:aws:dropped:{REGION}:123456789012:{name}-{attribute}"


def _replace_references(value: Any, dropped: Set[str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in dropped:
            return _placeholder(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            name, attribute = (target.split(".", 1) if isinstance(target, str) else target)
            if name in dropped:
                return _placeholder(name, attribute)
        if set(value) == {"Fn::Sub"}:
            body = value["Fn::Sub"]
            text, variables = (body, None) if isinstance(body, str) else (body[0], body[1])

            def placeholder(match: "re.Match[str]") -> str:
                inner = match.group(1)
                return _placeholder(*inner.split(".", 1)) if inner.split(".")[0] in dropped and inner.split(".")[0] not in (
                    variables or {}) else match.group(0)

            text = re.sub(r"\$\{([A-Za-z0-9.:]+)\}", placeholder, text)
            variables = _replace_references(variables, dropped)
            return {"Fn::Sub": text if variables is None else [text, variables]}
        return {key: _replace_references(item, dropped) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_references(item, dropped) for item in value]
    return value


def _names(value: Any) -> Set[str]:
    """Every resource name a Ref, GetAtt or Sub variable in ``value`` mentions (parameters included)."""
    found: Set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target.split(".")[0] if isinstance(target, str) else target[0])
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            found.update(name.split(".")[0] for name in re.findall(r"\$\{([A-Za-z0-9.:]+)\}", text))
        for item in value.values():
            found |= _names(item)
    elif isinstance(value, list):
        for item in value:
            found |= _names(item)
    return found


def reduced(template: Dict[str, Any], supported: Set[str]) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """The template less the resources moto's CloudFormation cannot create; (template, {dropped id: type})."""
    resources = template["Resources"]
    dropped = {name: body["Type"] for name, body in resources.items() if body["Type"] not in supported}
    kept: Dict[str, Any] = {}
    for name, body in resources.items():
        if name in dropped:
            continue
        body = _replace_references(body, set(dropped))
        depends = body.get("DependsOn")
        if depends is not None:
            depends = [depends] if isinstance(depends, str) else depends
            body["DependsOn"] = [item for item in depends if item not in dropped]
            if not body["DependsOn"]:
                del body["DependsOn"]
        kept[name] = body
    outputs = {key: output for key, output in template.get("Outputs", {}).items()
               if not (_names(output) & set(dropped))}
    return {**template, "Resources": kept, "Outputs": outputs}, dropped


def tiny_zip() -> bytes:
    """The code the functions are created with: no Lambda code runs in moto here (it would need Docker)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "app = None\n")
    return buffer.getvalue()


# A fresh moto server of its own per stack (local.moto_server: serialised, with the project's patches): once a
# Lambda function exists, moto's /moto-api/data.json answers 500, and a failed CreateStack leaves its resources
# behind, so no other test may share it.
moto_server = serialised_moto


def client(service: str, url: str):
    import boto3

    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def create_stack(url: str, template: Dict[str, Any]) -> Dict[str, Any]:
    """Upload the code stand-in, create the stack; its DescribeStacks entry (moto creates synchronously)."""
    s3 = client("s3", url)
    s3.create_bucket(Bucket=CODE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=CODE_BUCKET, Key=CODE_KEY, Body=tiny_zip())
    cloudformation = client("cloudformation", url)
    cloudformation.create_stack(StackName=STACK_NAME, TemplateBody=json.dumps(template),
                                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
    deadline = time.monotonic() + 60
    while True:
        stack = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS") or time.monotonic() > deadline:
            return stack
        time.sleep(0.2)


def _resolve(value: Any, parameters: Dict[str, str], refs: Dict[str, str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return refs.get(value["Ref"], parameters.get(value["Ref"]))
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: parameters[m.group(1)], value["Fn::Sub"])
        return {key: _resolve(item, parameters, refs) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, parameters, refs) for item in value]
    return value


def create_cognito_from_template(url: str, template: Dict[str, Any]) -> Dict[str, str]:
    """The template's UserPool, UserPoolClient and ProvidersGroup, created through Cognito's API with the
    template's own properties (moto's CloudFormation has no Cognito types). {logical id: physical id}."""
    parameters = {name: str(body.get("Default", "")) for name, body in template.get("Parameters", {}).items()}
    resources = template["Resources"]
    cognito = client("cognito-idp", url)
    refs: Dict[str, str] = {}
    pool = _resolve(resources["UserPool"]["Properties"], parameters, refs)
    pool["PoolName"] = pool.pop("UserPoolName")
    refs["UserPool"] = cognito.create_user_pool(**pool)["UserPool"]["Id"]
    app = _resolve(resources["UserPoolClient"]["Properties"], parameters, refs)
    refs["UserPoolClient"] = cognito.create_user_pool_client(**app)["UserPoolClient"]["ClientId"]
    group = _resolve(resources["ProvidersGroup"]["Properties"], parameters, refs)
    refs["ProvidersGroup"] = cognito.create_group(**group)["Group"]["GroupName"]
    return refs


def outputs(stack: Dict[str, Any]) -> Dict[str, str]:
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def physical_ids(url: str) -> Dict[str, Tuple[str, str]]:
    """{logical id: (type, physical id)} of the stack's resources."""
    summaries: List[Dict[str, Any]] = client("cloudformation", url).list_stack_resources(
        StackName=STACK_NAME)["StackResourceSummaries"]
    return {item["LogicalResourceId"]: (item["ResourceType"], item["PhysicalResourceId"]) for item in summaries}
