"""Upload the provider console to a deployed stage: ``python -m infra.upload_console --stage dev`` (make deploy).

The files are the ones the local stack serves (local/console.py decides which), under the key prefix
``console/`` of the stage's ConsoleBucket, each with its Content-Type and ``Cache-Control: no-cache`` (the
names carry no hash, so a browser revalidates by ETag). Files no longer in ``console/`` are deleted, and the
distribution's copies of ``/console/*`` are invalidated so that the new console is served at once.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from local.console import PREFIX, ROOT, content_type, resolve

KEY_PREFIX = PREFIX.lstrip("/")  # console/


def console_files(root: Path = ROOT) -> List[Tuple[str, Path, str]]:
    """(key, file, content type) of every file the console serves, in key order."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        status, file, _ = resolve(PREFIX + relative)
        if status == 200 and file is not None and file.resolve() == path.resolve():
            found.append((KEY_PREFIX + relative, path, content_type(path)))
    return found


def upload(s3, bucket: str, files: List[Tuple[str, Path, str]]) -> Dict[str, List[str]]:
    """Put every file, then delete the keys under console/ that are not among them: {uploaded, deleted}."""
    keys = set()
    for key, path, kind in files:
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=kind, CacheControl="no-cache")
        keys.add(key)
    stale = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=KEY_PREFIX):
        stale.extend(item["Key"] for item in page.get("Contents", []) if item["Key"] not in keys)
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in stale[start:start + 1000]]})
    return {"uploaded": sorted(keys), "deleted": sorted(stale)}


def stack_outputs(cloudformation, stack_name: str) -> Dict[str, str]:
    """The stack's outputs by key."""
    [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def invalidate(cloudfront, distribution_id: str) -> str:
    """Drop the distribution's cached console files; the invalidation's id."""
    return cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
        "Paths": {"Quantity": 2, "Items": ["/console", "/console/*"]},
        "CallerReference": f"console-{time.time_ns()}"})["Invalidation"]["Id"]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.upload_console", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="the stage: its stack is marketplace-<stage>")
    parser.add_argument("--stack-name", help="the stack, if not marketplace-<stage>")
    args = parser.parse_args(argv)

    import boto3

    stack_name = args.stack_name or f"marketplace-{args.stage}"
    outputs = stack_outputs(boto3.client("cloudformation"), stack_name)
    if "ConsoleBucketName" not in outputs:
        print(f"{stack_name} has no ConsoleBucketName output: is it deployed from make package?", file=sys.stderr)
        return 2
    files = console_files()
    result = upload(boto3.client("s3"), outputs["ConsoleBucketName"], files)
    print(f"uploaded {len(result['uploaded'])} console files to s3://{outputs['ConsoleBucketName']}/{KEY_PREFIX}"
          f", deleted {len(result['deleted'])} stale")
    if outputs.get("ConsoleDistributionId"):
        print(f"invalidation {invalidate(boto3.client('cloudfront'), outputs['ConsoleDistributionId'])} of /console/*")
    if outputs.get("ConsoleUrl"):
        print(f"console: {outputs['ConsoleUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
