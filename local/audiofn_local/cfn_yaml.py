"""Read a CloudFormation/SAM template, turning short tags (`!Ref`, `!Sub`...) into `Fn::` form.

PyYAML's safe loader refuses unknown tags, and `sam validate` accepts both spellings, so the
local runtime normalises to the long JSON form once and every later step handles one shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# Tags whose long form is `{"Fn::<Name>": value}`.
_FN_TAGS = (
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
)


class TemplateLoader(yaml.SafeLoader):
    """A SafeLoader that knows CloudFormation's tags (registered on this subclass only)."""


def _node_value(loader: TemplateLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(
        None, None, f"unexpected node {node!r}", node.start_mark
    )


def _construct_ref(loader: TemplateLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Ref": _node_value(loader, node)}


def _construct_condition(loader: TemplateLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Condition": _node_value(loader, node)}


def _construct_get_att(loader: TemplateLoader, node: yaml.Node) -> dict[str, Any]:
    value = _node_value(loader, node)
    if isinstance(value, str):
        # "Resource.Attr.With.Dots": the resource name never has a dot, the attribute may.
        resource, _, attribute = value.partition(".")
        if not attribute:
            raise yaml.constructor.ConstructorError(
                None, None, f"!GetAtt {value!r} needs the form Resource.Attribute", node.start_mark
            )
        return {"Fn::GetAtt": [resource, attribute]}
    return {"Fn::GetAtt": value}


def _make_fn_constructor(name: str) -> Any:
    def construct(loader: TemplateLoader, node: yaml.Node) -> dict[str, Any]:
        return {f"Fn::{name}": _node_value(loader, node)}

    return construct


def _construct_timestamp_as_text(loader: TemplateLoader, node: yaml.Node) -> str:
    # CloudFormation reads `2010-09-09` as a string; YAML 1.1 would make it a date.
    return str(loader.construct_scalar(node))


TemplateLoader.add_constructor("!Ref", _construct_ref)
TemplateLoader.add_constructor("!Condition", _construct_condition)
TemplateLoader.add_constructor("!GetAtt", _construct_get_att)
for _name in _FN_TAGS:
    TemplateLoader.add_constructor(f"!{_name}", _make_fn_constructor(_name))
TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


def load_template_text(text: str) -> dict[str, Any]:
    """Parse template text (YAML or JSON) into plain dicts in long intrinsic form."""
    document = yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError("a template must be a mapping at the top level")
    return document


def load_template_file(path: str | Path) -> dict[str, Any]:
    """Read and parse one template file."""
    return load_template_text(Path(path).read_text(encoding="utf-8"))
