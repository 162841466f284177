"""Evaluate CloudFormation intrinsic functions against local values.

The runtime resolves what a function would see in AWS (`!Ref MediaBucket` -> a bucket name,
`!GetAtt SpeechQueue.Arn` -> an ARN, `!Sub` strings, conditions) from one table of names, so
the environment a handler reads locally has the same shape as in the cloud.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audiofn_local.naming import ACCOUNT_ID, PARTITION, REGION, STACK_NAME


class TemplateError(ValueError):
    """The template asks for something the local runtime cannot provide; says where."""


class _NoValue:
    """`AWS::NoValue`: the property disappears from its dict or list."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def pseudo_parameters(region: str = REGION) -> dict[str, Any]:
    """The pseudo parameters as a local deployment reports them."""
    return {
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Region": region,
        "AWS::Partition": PARTITION,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": STACK_NAME,
        "AWS::StackId": (
            f"arn:{PARTITION}:cloudformation:{region}:{ACCOUNT_ID}:stack/{STACK_NAME}/local"
        ),
        "AWS::NotificationARNs": [],
        "AWS::NoValue": NO_VALUE,
    }


def is_intrinsic(value: Any) -> bool:
    """True for a one-key dict such as `{"Ref": ...}` or `{"Fn::Sub": ...}`."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (key,) = value
    return key == "Ref" or key.startswith("Fn::")


@dataclass
class Resolver:
    """Resolves intrinsics given what `Ref` and `Fn::GetAtt` mean for each logical id.

    `refs` maps parameters, pseudo parameters and resources to their `Ref` value; `attributes`
    maps `(logical id, attribute)` to a `Fn::GetAtt` value; `conditions` holds the raw
    `Conditions` section, evaluated on first use.
    """

    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    _condition_values: dict[str, bool] = field(default_factory=dict, repr=False)

    def resolve(self, value: Any, where: str = "template") -> Any:
        """Return `value` with every intrinsic evaluated; `where` names it in errors."""
        if isinstance(value, dict):
            if is_intrinsic(value):
                ((key, argument),) = value.items()
                return self._evaluate(key, argument, where)
            resolved_dict = {}
            for key, item in value.items():
                resolved = self.resolve(item, f"{where}.{key}")
                if resolved is not NO_VALUE:
                    resolved_dict[key] = resolved
            return resolved_dict
        if isinstance(value, list):
            items = [self.resolve(item, f"{where}[{i}]") for i, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        return value

    def condition(self, name: str, where: str = "template") -> bool:
        """Evaluate a named condition from the `Conditions` section (memoised)."""
        if name not in self._condition_values:
            if name not in self.conditions:
                raise TemplateError(f"{where}: unknown condition {name!r}")
            result = self._truth(self.conditions[name], f"Conditions.{name}")
            self._condition_values[name] = result
        return self._condition_values[name]

    # ------------------------------------------------------------------ evaluation

    def _truth(self, value: Any, where: str) -> bool:
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.condition(value["Condition"], where)
        result = self.resolve(value, where)
        if isinstance(result, bool):
            return result
        if isinstance(result, str) and result.lower() in {"true", "false"}:
            return result.lower() == "true"
        raise TemplateError(f"{where}: expected a condition, got {result!r}")

    def _evaluate(self, key: str, argument: Any, where: str) -> Any:
        handler = self._handlers().get(key)
        if handler is None:
            raise TemplateError(f"{where}: {key} is not supported by the local runtime")
        return handler(argument, f"{where}.{key}")

    def _handlers(self) -> dict[str, Callable[[Any, str], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::Not": self._not,
            "Fn::And": self._and,
            "Fn::Or": self._or,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": self._base64,
            "Fn::GetAZs": self._get_azs,
            "Fn::Length": self._length,
            "Fn::ToJsonString": self._to_json_string,
            "Fn::ImportValue": self._import_value,
        }

    def _ref(self, name: Any, where: str) -> Any:
        name = self.resolve(name, where)
        if not isinstance(name, str) or name not in self.refs:
            raise TemplateError(f"{where}: nothing local answers Ref {name!r}")
        return self.refs[name]

    def _get_att(self, argument: Any, where: str) -> Any:
        argument = self.resolve(argument, where)
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"{where}: expected [Resource, Attribute], got {argument!r}")
        key = (str(argument[0]), str(argument[1]))
        if key not in self.attributes:
            raise TemplateError(f"{where}: nothing local answers GetAtt {key[0]}.{key[1]}")
        return self.attributes[key]

    def _sub(self, argument: Any, where: str) -> str:
        if isinstance(argument, list):
            if len(argument) != 2:
                raise TemplateError(f"{where}: expected [String, {{Variables}}]")
            template, variables = argument[0], self.resolve(argument[1], where)
        else:
            template, variables = argument, {}
        if not isinstance(template, str):
            raise TemplateError(f"{where}: the string to substitute must be text")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} stands for the text ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                return _as_text(variables[name], where)
            if name in self.refs:
                return _as_text(self.refs[name], where)
            if "." in name:
                return _as_text(self._get_att(name, where), where)
            raise TemplateError(f"{where}: nothing local answers ${{{name}}}")

        return _SUB_VARIABLE.sub(replace, template)

    def _join(self, argument: Any, where: str) -> str:
        delimiter, items = self._pair(argument, where)
        items = self.resolve(items, where)
        if not isinstance(items, list):
            raise TemplateError(f"{where}: Fn::Join needs a list")
        return str(delimiter).join(_as_text(item, where) for item in items)

    def _select(self, argument: Any, where: str) -> Any:
        index, items = self._pair(argument, where)
        items = self.resolve(items, where)
        try:
            return items[int(self.resolve(index, where))]
        except (IndexError, TypeError, ValueError) as error:
            raise TemplateError(f"{where}: no item {index!r} in {items!r}") from error

    def _split(self, argument: Any, where: str) -> list[str]:
        delimiter, text = self._pair(argument, where)
        return str(self.resolve(text, where)).split(str(delimiter))

    def _if(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise TemplateError(f"{where}: expected [Condition, IfTrue, IfFalse]")
        chosen = argument[1] if self.condition(argument[0], where) else argument[2]
        return self.resolve(chosen, where)

    def _equals(self, argument: Any, where: str) -> bool:
        left, right = self._pair(argument, where)
        return _as_comparable(self.resolve(left, where)) == _as_comparable(
            self.resolve(right, where)
        )

    def _not(self, argument: Any, where: str) -> bool:
        if not (isinstance(argument, list) and len(argument) == 1):
            raise TemplateError(f"{where}: Fn::Not takes a list of one condition")
        return not self._truth(argument[0], where)

    def _and(self, argument: Any, where: str) -> bool:
        return all(self._truth(item, where) for item in argument)

    def _or(self, argument: Any, where: str) -> bool:
        return any(self._truth(item, where) for item in argument)

    def _find_in_map(self, argument: Any, where: str) -> Any:
        names = self.resolve(argument, where)
        if not (isinstance(names, list) and len(names) >= 3):
            raise TemplateError(f"{where}: expected [MapName, TopKey, SecondKey]")
        try:
            return self.mappings[names[0]][names[1]][names[2]]
        except (KeyError, TypeError) as error:
            raise TemplateError(f"{where}: no mapping entry {names[:3]!r}") from error

    def _base64(self, argument: Any, where: str) -> str:
        text = _as_text(self.resolve(argument, where), where)
        return base64.b64encode(text.encode()).decode()

    def _get_azs(self, argument: Any, where: str) -> list[str]:
        region = self.resolve(argument, where) or self.refs.get("AWS::Region", REGION)
        return [f"{region}{zone}" for zone in "abc"]

    def _length(self, argument: Any, where: str) -> int:
        return len(self.resolve(argument, where))

    def _to_json_string(self, argument: Any, where: str) -> str:
        return json.dumps(self.resolve(argument, where), separators=(",", ":"))

    def _import_value(self, argument: Any, where: str) -> Any:
        raise TemplateError(f"{where}: Fn::ImportValue reads another stack; none exists locally")

    def _pair(self, argument: Any, where: str) -> tuple[Any, Any]:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"{where}: expected a list of two items, got {argument!r}")
        return argument[0], argument[1]


def _as_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"{where}: {value!r} cannot be used as text")


def _as_comparable(value: Any) -> Any:
    return _as_text(value, "Fn::Equals") if isinstance(value, bool | int | float) else value
