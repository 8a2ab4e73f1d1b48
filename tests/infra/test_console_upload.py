"""make deploy's last step: the console's files into the stage's bucket, stale ones out, the CDN told."""
from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra import upload_console
from local.console import ROOT, resolve


@pytest.fixture()
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def test_the_files_are_those_the_local_console_serves_with_their_types():
    files = upload_console.console_files()
    keys = {key: kind for key, _, kind in files}
    assert keys["console/index.html"] == "text/html; charset=utf-8"
    assert keys["console/js/main.js"] == "text/javascript; charset=utf-8"
    assert keys["console/app.css"] == "text/css; charset=utf-8"
    every_file = [p for p in ROOT.rglob("*") if p.is_file()]
    served = [p for p in every_file if resolve("/console/" + p.relative_to(ROOT).as_posix())[0] == 200]
    assert len(files) == len(served) >= 10


def test_a_served_file_is_uploaded_and_a_hidden_one_is_not(tmp_path: Path, monkeypatch):
    (tmp_path / "js").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "js" / "a.js").write_text("export {};")
    (tmp_path / ".secret.js").write_text("no")
    (tmp_path / "notes.txt").write_text("no")
    monkeypatch.setattr("local.console.ROOT", tmp_path)
    assert [key for key, _, _ in upload_console.console_files(tmp_path)] == ["console/index.html", "console/js/a.js"]


def test_upload_puts_every_file_and_deletes_what_is_gone(aws):
    # Given a bucket holding a console of an older deployment and an unrelated object
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="console", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="console", Key="console/js/old.js", Body=b"gone")
    s3.put_object(Bucket="console", Key="elsewhere/keep.txt", Body=b"kept")
    # When the console is uploaded
    result = upload_console.upload(s3, "console", upload_console.console_files())
    # Then every file is there with its type and no-cache, the old script is deleted, the rest is left
    assert result["deleted"] == ["console/js/old.js"]
    head = s3.head_object(Bucket="console", Key="console/index.html")
    assert head["ContentType"] == "text/html; charset=utf-8" and head["CacheControl"] == "no-cache"
    body = s3.get_object(Bucket="console", Key="console/js/api.js")["Body"].read()
    assert body == (ROOT / "js" / "api.js").read_bytes()
    listed = {item["Key"] for item in s3.list_objects_v2(Bucket="console")["Contents"]}
    assert listed == set(result["uploaded"]) | {"elsewhere/keep.txt"}


def test_main_finds_the_bucket_in_the_stack_outputs_and_refuses_a_stack_without_one(aws, capsys):
    # Given a stack whose outputs name no console bucket (moto's CloudFormation)
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(StackName="marketplace-x", TemplateBody=(
        '{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}, "Outputs": {"Other": {"Value": "v"}}}'))
    assert upload_console.main(["--stage", "x"]) == 2
    assert "no ConsoleBucketName output" in capsys.readouterr().err
    # And one that names it
    cloudformation.create_stack(StackName="marketplace-y", TemplateBody=(
        '{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}, "Outputs": {"ConsoleBucketName": {"Value": {"Ref": "B"}},'
        ' "ConsoleUrl": {"Value": "https://d.example/console/"}}}'))
    assert upload_console.main(["--stage", "y"]) == 0
    out = capsys.readouterr().out
    assert "uploaded" in out and "console: https://d.example/console/" in out
    bucket = upload_console.stack_outputs(cloudformation, "marketplace-y")["ConsoleBucketName"]
    assert boto3.client("s3").head_object(Bucket=bucket, Key="console/index.html")


def test_the_template_outputs_what_the_upload_reads(template):
    outputs = template["Outputs"]
    assert outputs["ConsoleBucketName"]["Value"] == {"Ref": "ConsoleBucket"}
    assert outputs["ConsoleDistributionId"]["Value"] == {"Ref": "ConsoleDistribution"}
    assert os.path.basename(upload_console.KEY_PREFIX.rstrip("/")) == "console"
