"""Apply a SAM template's `Globals` section the way the SAM transform does.

Maps merge key by key (the resource wins on a clash), lists concatenate (globals first),
anything else, including an intrinsic such as `!Ref X`, is replaced by the resource's value.
"""

from __future__ import annotations

from typing import Any

from audiofn_local.intrinsics import is_intrinsic

# Globals sections and the resource types they apply to.
GLOBALS_FOR_TYPE = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::HttpApi": "HttpApi",
    "AWS::Serverless::Api": "Api",
    "AWS::Serverless::SimpleTable": "SimpleTable",
    "AWS::Serverless::StateMachine": "StateMachine",
    "AWS::Serverless::LayerVersion": "LayerVersion",
}

# SAM replaces these lists instead of concatenating (a function has one architecture).
_REPLACED_LISTS = {"Architectures"}


def merge_globals(global_value: Any, local_value: Any, key: str = "") -> Any:
    """Merge one global property value with the resource's own value."""
    if _is_map(global_value) and _is_map(local_value):
        merged = dict(global_value)
        for name, value in local_value.items():
            merged[name] = (
                merge_globals(global_value[name], value, name) if (name in global_value) else value
            )
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return list(local_value) if key in _REPLACED_LISTS else [*global_value, *local_value]
    return local_value


def apply_globals(
    resource_type: str, properties: dict[str, Any], globals_section: dict[str, Any]
) -> dict[str, Any]:
    """Return a resource's properties with the matching `Globals` section merged in."""
    section = GLOBALS_FOR_TYPE.get(resource_type)
    defaults = globals_section.get(section) if section else None
    if not defaults:
        return dict(properties)
    merged = dict(defaults)
    for name, value in properties.items():
        merged[name] = merge_globals(defaults[name], value, name) if name in defaults else value
    return merged


def _is_map(value: Any) -> bool:
    return isinstance(value, dict) and not is_intrinsic(value)
