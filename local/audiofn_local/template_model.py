"""A typed view of the parts of `template.yaml` the local runtime wires up.

Buckets, queues, tables, HTTP APIs and functions (with their HttpApi, SQS and S3 triggers)
come from the template alone, with `Globals` merged as SAM merges them, so no route, queue or
bucket is named twice. Values that depend on deployed resources (environment variables,
queue redrive ARNs) stay unresolved here and are resolved once the local resources exist.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audiofn_local.cfn_yaml import load_template_file
from audiofn_local.intrinsics import Resolver, TemplateError, pseudo_parameters
from audiofn_local.sam_globals import apply_globals

PARAMETER_ENV_PREFIX = "AUDIOFN_PARAM_"
IMPLICIT_HTTP_API_ID = "ServerlessHttpApi"  # what SAM names the API an event creates
DEFAULT_ROUTE = "$default"

# Lambda's own defaults when neither the function nor Globals set them.
LAMBDA_DEFAULT_TIMEOUT = 3
LAMBDA_DEFAULT_MEMORY = 128


@dataclass(frozen=True)
class HttpApiEvent:
    """An `HttpApi` trigger: one route of one API."""

    name: str
    path: str  # "/items/{id}", "/{proxy+}" or "$default"
    method: str  # upper case, or "ANY"
    api_id: str


@dataclass(frozen=True)
class SqsEvent:
    """An `SQS` trigger (an event source mapping)."""

    name: str
    queue_id: str
    batch_size: int = 10
    batching_window_seconds: int = 0
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class S3Event:
    """An `S3` trigger straight to the function (the template may route S3 through SQS)."""

    name: str
    bucket_id: str
    events: tuple[str, ...]
    filter_rules: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FunctionUrlConfig:
    """A Function URL; `RESPONSE_STREAM` functions stream their response."""

    auth_type: str = "NONE"
    invoke_mode: str = "BUFFERED"


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str  # "module.function", module path relative to code_dir
    timeout: int
    memory_size: int
    environment: Mapping[str, Any]  # unresolved: values may hold intrinsics
    function_name: Any = None  # the FunctionName property (unresolved) when set
    http_events: tuple[HttpApiEvent, ...] = ()
    sqs_events: tuple[SqsEvent, ...] = ()
    s3_events: tuple[S3Event, ...] = ()
    other_events: tuple[tuple[str, str], ...] = ()  # (name, Type) the runtime does not model
    url: FunctionUrlConfig | None = None


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    properties: Mapping[str, Any]
    dead_letter_queue_id: str | None = None

    @property
    def fifo(self) -> bool:
        return str(self.properties.get("FifoQueue", "false")).lower() == "true"


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    properties: Mapping[str, Any]
    simple: bool = False  # AWS::Serverless::SimpleTable (PrimaryKey instead of KeySchema)


@dataclass(frozen=True)
class HttpApiSpec:
    logical_id: str
    cors: Mapping[str, Any] | None = None  # CorsConfiguration, resolved


@dataclass(frozen=True)
class Template:
    """What the local runtime needs from one template, plus the raw sections it resolves."""

    path: Path
    parameters: Mapping[str, Any]  # name -> value after defaults and overrides (text)
    conditions: Mapping[str, Any]
    mappings: Mapping[str, Any]
    buckets: Mapping[str, BucketSpec] = field(default_factory=dict)
    queues: Mapping[str, QueueSpec] = field(default_factory=dict)
    tables: Mapping[str, TableSpec] = field(default_factory=dict)
    http_apis: Mapping[str, HttpApiSpec] = field(default_factory=dict)
    functions: Mapping[str, FunctionSpec] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def parameter_resolver(self) -> Resolver:
        """A resolver that knows parameters, pseudo parameters and conditions, not resources."""
        return Resolver(
            refs={**pseudo_parameters(), **self.parameters},
            conditions=self.conditions,
            mappings=self.mappings,
        )


def load_template(path: str | Path, environ: Mapping[str, str] | None = None) -> Template:
    """Read `template.yaml` and build the runtime's model of it."""
    path = Path(path).resolve()
    return parse_template(
        load_template_file(path), path, os.environ if environ is None else environ
    )


def parse_template(document: Mapping[str, Any], path: Path, environ: Mapping[str, str]) -> Template:
    """Build the model from a parsed template; `environ` supplies `AUDIOFN_PARAM_<Name>`."""
    skeleton = Template(
        path=path,
        parameters=_parameter_values(document.get("Parameters") or {}, environ),
        conditions=document.get("Conditions") or {},
        mappings=document.get("Mappings") or {},
    )
    resolver = skeleton.parameter_resolver()
    globals_section = document.get("Globals") or {}

    buckets: dict[str, BucketSpec] = {}
    queues: dict[str, QueueSpec] = {}
    tables: dict[str, TableSpec] = {}
    http_apis: dict[str, HttpApiSpec] = {}
    functions: dict[str, FunctionSpec] = {}
    for logical_id, resource in (document.get("Resources") or {}).items():
        kind = resource.get("Type", "")
        condition = resource.get("Condition")
        if condition is not None and not resolver.condition(condition, logical_id):
            continue
        properties = apply_globals(kind, resource.get("Properties") or {}, globals_section)
        if kind == "AWS::S3::Bucket":
            buckets[logical_id] = BucketSpec(logical_id, properties)
        elif kind == "AWS::SQS::Queue":
            queues[logical_id] = _queue(logical_id, properties)
        elif kind in {"AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"}:
            simple = kind == "AWS::Serverless::SimpleTable"
            tables[logical_id] = TableSpec(logical_id, properties, simple=simple)
        elif kind == "AWS::Serverless::HttpApi":
            http_apis[logical_id] = _http_api(logical_id, properties, resolver)
        elif kind == "AWS::Serverless::Function":
            functions[logical_id] = _function(logical_id, properties, resource, path, resolver)

    implicit = [
        event
        for function in functions.values()
        for event in function.http_events
        if event.api_id == IMPLICIT_HTTP_API_ID
    ]
    if implicit and IMPLICIT_HTTP_API_ID not in http_apis:
        defaults = globals_section.get("HttpApi") or {}
        http_apis[IMPLICIT_HTTP_API_ID] = _http_api(IMPLICIT_HTTP_API_ID, defaults, resolver)
    for function in functions.values():
        _check_references(function, queues, buckets, http_apis)

    return Template(
        path=path,
        parameters=skeleton.parameters,
        conditions=skeleton.conditions,
        mappings=skeleton.mappings,
        buckets=buckets,
        queues=queues,
        tables=tables,
        http_apis=http_apis,
        functions=functions,
    )


# ---------------------------------------------------------------------- pieces


def _parameter_values(parameters: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in parameters.items():
        override = environ.get(f"{PARAMETER_ENV_PREFIX}{name}")
        value = override if override is not None else (spec or {}).get("Default")
        if value is None:
            continue  # a Ref to it fails, naming the parameter
        if isinstance(value, bool):
            value = "true" if value else "false"
        text = value if isinstance(value, str) else str(value)
        kind = str((spec or {}).get("Type", "String"))
        values[name] = (
            [item.strip() for item in text.split(",")]
            if kind == "CommaDelimitedList" or kind.startswith("List<")
            else text
        )
    return values


def referenced_id(value: Any, where: str) -> str:
    """The logical id a `!Ref X` or `!GetAtt X.Attr` points at (a literal ARN is not local)."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" and isinstance(argument, str):
            return argument
        if key == "Fn::GetAtt":
            if isinstance(argument, str):
                return argument.split(".", 1)[0]
            if isinstance(argument, list) and argument:
                return str(argument[0])
    raise TemplateError(
        f"{where}: expected !Ref or !GetAtt of a resource in this template, got {value!r}"
    )


def _queue(logical_id: str, properties: dict[str, Any]) -> QueueSpec:
    redrive = properties.get("RedrivePolicy")
    dlq_id = None
    if isinstance(redrive, dict) and "deadLetterTargetArn" in redrive:
        dlq_id = referenced_id(
            redrive["deadLetterTargetArn"], f"{logical_id}.RedrivePolicy.deadLetterTargetArn"
        )
    return QueueSpec(logical_id, properties, dead_letter_queue_id=dlq_id)


def _http_api(logical_id: str, properties: Mapping[str, Any], resolver: Resolver) -> HttpApiSpec:
    cors = resolver.resolve(properties.get("CorsConfiguration"), f"{logical_id}.Cors")
    if cors is True:  # SAM: `CorsConfiguration: true` allows every origin
        cors = {"AllowOrigins": ["*"]}
    return HttpApiSpec(logical_id, cors or None)


def _function(
    logical_id: str,
    properties: dict[str, Any],
    resource: Mapping[str, Any],
    template_path: Path,
    resolver: Resolver,
) -> FunctionSpec:
    def scalar(name: str, default: Any) -> Any:
        value = resolver.resolve(properties.get(name, default), f"{logical_id}.{name}")
        return default if value is None else value

    code_dir, handler = _code_location(logical_id, properties, resource, template_path)
    environment = (properties.get("Environment") or {}).get("Variables") or {}
    http_events: list[HttpApiEvent] = []
    sqs_events: list[SqsEvent] = []
    s3_events: list[S3Event] = []
    other_events: list[tuple[str, str]] = []
    for name, event in (properties.get("Events") or {}).items():
        kind = event.get("Type")
        event_properties = event.get("Properties") or {}
        where = f"{logical_id}.Events.{name}"
        if kind == "HttpApi":
            http_events.append(_http_api_event(name, event_properties, where, resolver))
        elif kind == "SQS":
            sqs_events.append(_sqs_event(name, event_properties, where, resolver))
        elif kind == "S3":
            s3_events.append(_s3_event(name, event_properties, where, resolver))
        else:
            other_events.append((name, str(kind)))

    url_config = properties.get("FunctionUrlConfig")
    url = None
    if isinstance(url_config, dict):
        resolved = resolver.resolve(url_config, f"{logical_id}.FunctionUrlConfig")
        url = FunctionUrlConfig(
            auth_type=str(resolved.get("AuthType", "NONE")),
            invoke_mode=str(resolved.get("InvokeMode", "BUFFERED")),
        )
    return FunctionSpec(
        logical_id=logical_id,
        code_dir=code_dir,
        handler=handler,
        timeout=int(scalar("Timeout", LAMBDA_DEFAULT_TIMEOUT)),
        memory_size=int(scalar("MemorySize", LAMBDA_DEFAULT_MEMORY)),
        environment=environment,
        function_name=properties.get("FunctionName"),
        http_events=tuple(http_events),
        sqs_events=tuple(sqs_events),
        s3_events=tuple(s3_events),
        other_events=tuple(other_events),
        url=url,
    )


def _code_location(
    logical_id: str,
    properties: Mapping[str, Any],
    resource: Mapping[str, Any],
    template_path: Path,
) -> tuple[Path, str]:
    """Where the handler's code is: `CodeUri` + `Handler`, or, for an image, the folder of
    its Dockerfile (the context may be a parent, so that the image can copy shared code in)."""
    if properties.get("PackageType") == "Image":
        metadata = resource.get("Metadata") or {}
        context = metadata.get("DockerContext")
        dockerfile = metadata.get("Dockerfile", "Dockerfile")
        command = (properties.get("ImageConfig") or {}).get("Command") or ["app.lambda_handler"]
        if not isinstance(context, str) or not isinstance(dockerfile, str):
            raise TemplateError(f"{logical_id}: an Image function needs Metadata.DockerContext")
        return (template_path.parent / context / dockerfile).resolve().parent, str(command[0])
    code_uri = properties.get("CodeUri")
    handler = properties.get("Handler")
    if not isinstance(code_uri, str) or not isinstance(handler, str):
        raise TemplateError(f"{logical_id}: needs a local CodeUri path and a Handler")
    return (template_path.parent / code_uri).resolve(), handler


def _http_api_event(
    name: str, properties: Mapping[str, Any], where: str, resolver: Resolver
) -> HttpApiEvent:
    path = resolver.resolve(properties.get("Path"), f"{where}.Path")
    method = resolver.resolve(properties.get("Method"), f"{where}.Method")
    api = properties.get("ApiId")
    return HttpApiEvent(
        name=name,
        path=DEFAULT_ROUTE if path is None else str(path),
        method="ANY" if method is None else str(method).upper(),
        api_id=IMPLICIT_HTTP_API_ID if api is None else referenced_id(api, f"{where}.ApiId"),
    )


def _sqs_event(
    name: str, properties: Mapping[str, Any], where: str, resolver: Resolver
) -> SqsEvent:
    resolved = {
        key: resolver.resolve(value, f"{where}.{key}")
        for key, value in properties.items()
        if key != "Queue"
    }
    response_types = resolved.get("FunctionResponseTypes") or []
    return SqsEvent(
        name=name,
        queue_id=referenced_id(properties.get("Queue"), f"{where}.Queue"),
        batch_size=int(resolved.get("BatchSize", 10)),
        batching_window_seconds=int(resolved.get("MaximumBatchingWindowInSeconds", 0)),
        report_batch_item_failures="ReportBatchItemFailures" in response_types,
        enabled=str(resolved.get("Enabled", "true")).lower() == "true",
    )


def _s3_event(name: str, properties: Mapping[str, Any], where: str, resolver: Resolver) -> S3Event:
    events = resolver.resolve(properties.get("Events"), f"{where}.Events")
    rules = resolver.resolve(
        ((properties.get("Filter") or {}).get("S3Key") or {}).get("Rules") or [], where
    )
    return S3Event(
        name=name,
        bucket_id=referenced_id(properties.get("Bucket"), f"{where}.Bucket"),
        events=tuple([events] if isinstance(events, str) else events or ()),
        filter_rules=tuple((str(rule["Name"]), str(rule["Value"])) for rule in rules),
    )


def _check_references(
    function: FunctionSpec,
    queues: Mapping[str, QueueSpec],
    buckets: Mapping[str, BucketSpec],
    http_apis: Mapping[str, HttpApiSpec],
) -> None:
    for sqs in function.sqs_events:
        if sqs.queue_id not in queues:
            raise TemplateError(f"{function.logical_id}.{sqs.name}: no queue {sqs.queue_id!r}")
    for s3 in function.s3_events:
        if s3.bucket_id not in buckets:
            raise TemplateError(f"{function.logical_id}.{s3.name}: no bucket {s3.bucket_id!r}")
    for http in function.http_events:
        if http.api_id not in http_apis:
            raise TemplateError(f"{function.logical_id}.{http.name}: no HttpApi {http.api_id!r}")
