"""The process environment every handler reads, resolved from the template.

Lambda gives each function its own environment; locally all handlers share one process, so
every function's resolved variables are merged into `os.environ`, and two functions that want
different values for one name stop the runtime instead of silently reading the wrong one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import Any

from audiofn_local.intrinsics import Resolver, TemplateError
from audiofn_local.naming import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from audiofn_local.resources import LocalResources
from audiofn_local.template_model import FunctionSpec, Template

# Settings that would send a boto3 call somewhere other than the local server.
_REMOVED_PREFIXES = ("AWS_ENDPOINT_URL_",)
_REMOVED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def function_environment(function: FunctionSpec, resolver: Resolver) -> dict[str, str]:
    """One function's `Environment.Variables`, resolved to text."""
    variables = resolver.resolve(
        dict(function.environment), f"{function.logical_id}.Environment.Variables"
    )
    return {
        name: _env_text(value, f"{function.logical_id}.{name}") for name, value in variables.items()
    }


def merged_function_environment(template: Template, resolver: Resolver) -> dict[str, str]:
    """Every function's variables in one mapping; a conflicting name is an error."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    for function in template.functions.values():
        for name, value in function_environment(function, resolver).items():
            if name in merged and merged[name] != value:
                raise TemplateError(
                    f"{function.logical_id} sets {name}={value!r} but {owner[name]} sets "
                    f"{merged[name]!r}; the local runtime shares one environment, so the "
                    "values must agree"
                )
            merged[name] = value
            owner.setdefault(name, function.logical_id)
    return merged


def runtime_environment(resources: LocalResources) -> dict[str, str]:
    """What every handler needs to find the local AWS stand-in and know it runs locally."""
    return {
        "AUDIOFN_LOCAL": "1",
        "AUDIOFN_LOCAL_RESOURCES": resources.to_json(),
        "AWS_ENDPOINT_URL": resources.endpoint_url,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": resources.region,
        "AWS_REGION": resources.region,
        # Not LAMBDA_TASK_ROOT: without it Powertools' Tracer turns itself off (no X-Ray here).
    }


def build_process_environment(
    template: Template, resolver: Resolver, resources: LocalResources
) -> dict[str, str]:
    """Function variables plus runtime variables; the runtime's own names are reserved."""
    functions = merged_function_environment(template, resolver)
    runtime = runtime_environment(resources)
    for name in functions.keys() & runtime.keys():
        if functions[name] != runtime[name]:
            raise TemplateError(f"{name} is set by the local runtime and cannot be overridden")
    return {**functions, **runtime}


def apply_environment(
    values: Mapping[str, str], environ: MutableMapping[str, str] | None = None
) -> list[str]:
    """Write `values` into the environment; return the names whose earlier value changed."""
    environ = os.environ if environ is None else environ
    for name in list(environ):
        if name in _REMOVED or name.startswith(_REMOVED_PREFIXES):
            del environ[name]
    changed = [name for name, value in values.items() if environ.get(name, value) != value]
    environ.update(values)
    return sorted(changed)


def _env_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"{where}: an environment variable must be text, got {value!r}")
