"""Deep merge of template fragments, and YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt, ...).

Fragments may be written with the short tags; they are read into CloudFormation's long form
(``!Ref X`` -> ``{"Ref": "X"}``, ``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub s`` ->
``{"Fn::Sub": s}`` and so on), which is what the generated resources and Chalice's merge use.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, Iterable

import yaml


def deep_merge(base: Any, override: Any) -> Any:
    """``override`` merged into a copy of ``base``: dicts merge key by key, recursively; anything else
    (scalars, lists, a dict meeting a non-dict) is replaced by ``override``'s value."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = {key: copy.deepcopy(value) for key, value in base.items()}
        for key, value in override.items():
            merged[key] = deep_merge(merged[key], value) if key in merged else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def merge_all(base: Dict[str, Any], fragments: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    """``base`` with each fragment merged in turn (a later fragment wins)."""
    merged = copy.deepcopy(base)
    for fragment in fragments:
        merged = deep_merge(merged, fragment or {})
    return merged


class CloudFormationLoader(yaml.SafeLoader):
    """A safe YAML loader that reads CloudFormation's short tags into their long form."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{tag_suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_yaml(path: Path) -> Dict[str, Any]:
    """A template or fragment file, short tags read into long form; an empty file is ``{}``."""
    with open(path, encoding="utf-8") as stream:
        return yaml.load(stream, Loader=CloudFormationLoader) or {}  # noqa: S506 - a SafeLoader subclass
