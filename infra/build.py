"""Write the deployable SAM template and its code: ``python -m infra.build --stage dev [--out build/infra]``.

1. Stages a copy of the project in build/stage/<stage>/: app.py, chalicelib/, requirements.txt, and
   stream_handlers/ and scheduled/ under vendor/ (Chalice copies vendor/ to the root of deployment.zip,
   where they import as they do here), with a .chalice/config.json whose stage uses a role of ours
   (``manage_iam_role: false``): Chalice then writes no DefaultRole of its own.
2. Writes the merge template: the resources generated from the code (infra/resources.py), then every
   infra/*.yaml fragment deep-merged in file-name order (infra/merge.py).
3. Runs ``chalice package --merge-template`` in the staged copy (offline; Chalice caches the zip there) and
   writes <out>/sam.yaml and <out>/deployment.zip.

Needs no AWS account; AWS_DEFAULT_REGION is set to eu-west-1 for Chalice when not set (the template itself
names no region).
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from infra.merge import load_yaml, merge_all
from infra.resources import generated_template

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
#: Packaged at the zip's root by Chalice, from the staged copy's vendor/.
VENDORED = ("stream_handlers", "scheduled")
#: A placeholder Chalice needs when it does not manage the role; the merge sets APIHandler's Role.
ROLE_PLACEHOLDER = "arn:aws:iam::000000000000:role/replaced-by-the-merge-template"


def fragments() -> List[Path]:
    """The hand-written fragments, in the order they are merged."""
    return sorted(INFRA.glob("*.yaml"))


def merge_template(stage: str) -> Dict[str, Any]:
    return merge_all(generated_template(stage), (load_yaml(path) for path in fragments()))


def chalice_config(stage: str) -> Dict[str, Any]:
    """The project's .chalice/config.json, with the stage (added from dev when it has none) using our role."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    stages = config.setdefault("stages", {})
    if stage not in stages:
        stages[stage] = json.loads(json.dumps(stages.get("dev", {"api_gateway_stage": "api"})))
        stages[stage].setdefault("environment_variables", {})["STAGE"] = stage
    stages[stage].update({"manage_iam_role": False, "iam_role_arn": ROLE_PLACEHOLDER, "autogen_policy": False})
    return config


def _ignore(directory: str, names: List[str]) -> List[str]:
    return [name for name in names if name == "__pycache__" or name.endswith((".pyc", ".pyo"))]


def stage_project(stage: str, directory: Path) -> None:
    """A copy of what Chalice packages, in ``directory``; its .chalice/deployments (Chalice's zip cache) kept."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("app.py", "requirements.txt"):
        shutil.copy2(ROOT / name, directory / name)
    for name in ("chalicelib", "vendor"):
        if (directory / name).exists():
            shutil.rmtree(directory / name)
    shutil.copytree(ROOT / "chalicelib", directory / "chalicelib", ignore=_ignore)
    if (ROOT / "vendor").is_dir():
        shutil.copytree(ROOT / "vendor", directory / "vendor", ignore=_ignore)
    for name in VENDORED:
        shutil.copytree(ROOT / name, directory / "vendor" / name, ignore=_ignore, dirs_exist_ok=True)
    (directory / ".chalice").mkdir(exist_ok=True)
    (directory / ".chalice" / "config.json").write_text(json.dumps(chalice_config(stage), indent=2) + "\n")


def chalice_command() -> List[str]:
    beside = Path(sys.executable).parent / "chalice"
    return [str(beside)] if beside.exists() else [shutil.which("chalice") or "chalice"]


def build(stage: str, out: Path) -> List[Path]:
    """Write ``out``/sam.yaml and ``out``/deployment.zip; returns what was written."""
    work = ROOT / "build" / "stage" / stage
    work.mkdir(parents=True, exist_ok=True)
    # One build of a stage at a time (two test workers, or make package twice): they share the staged copy.
    with open(work.parent / f".{stage}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(stage, work, out)


def _build(stage: str, work: Path, out: Path) -> List[Path]:
    stage_project(stage, work)
    merge_file = work / "merge-template.json"
    merge_file.write_text(json.dumps(merge_template(stage), indent=2, sort_keys=True) + "\n")
    packaged = work / "packaged"
    if packaged.exists():
        shutil.rmtree(packaged)
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    result = subprocess.run(
        chalice_command() + ["package", "--stage", stage, "--template-format", "yaml",
                             "--merge-template", str(merge_file), str(packaged)],
        cwd=work, env=env, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"chalice package failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("sam.yaml", "deployment.zip"):
        shutil.copy2(packaged / name, out / name)
        written.append(out / name)
    return written


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.build", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "infra")
    args = parser.parse_args(argv)
    merged = [path.name for path in fragments()]
    print(f"stage {args.stage}: generated resources + fragments {merged or '(none)'}")
    for path in build(args.stage, args.out.resolve()):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
