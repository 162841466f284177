"""The local physical resources behind the template's logical ids, and how `Ref`s see them.

`LocalResources` is what provisioning returns and what the runtime publishes to handlers as
`AUDIOFN_LOCAL_RESOURCES`; `build_resolver` turns it into the table an intrinsic resolver
needs, so a function's environment resolves exactly as CloudFormation would resolve it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from audiofn_local.intrinsics import Resolver, TemplateError
from audiofn_local.naming import (
    ACCOUNT_ID,
    REGION,
    bucket_arn,
    function_arn,
    local_name,
    queue_arn,
    table_arn,
)
from audiofn_local.template_model import Template


@dataclass(frozen=True)
class LocalQueue:
    name: str
    url: str
    arn: str


@dataclass
class LocalResources:
    """Physical names (and queue URLs) of every bucket, queue and table, keyed by logical id."""

    endpoint_url: str
    region: str = REGION
    buckets: dict[str, str] = field(default_factory=dict)
    queues: dict[str, LocalQueue] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """The `AUDIOFN_LOCAL_RESOURCES` document (the API's /health reports it)."""
        return json.dumps(
            {
                "endpointUrl": self.endpoint_url,
                "buckets": dict(self.buckets),
                "queues": {logical: queue.url for logical, queue in self.queues.items()},
                "tables": dict(self.tables),
            },
            sort_keys=True,
        )


def physical_name(template: Template, logical_id: str, name_property: str) -> str:
    """An explicit `BucketName`/`QueueName`/`TableName`, else the local default name."""
    resolver = template.parameter_resolver()
    properties = {
        **{k: v.properties for k, v in template.buckets.items()},
        **{k: v.properties for k, v in template.queues.items()},
        **{k: v.properties for k, v in template.tables.items()},
    }.get(logical_id, {})
    explicit = resolver.resolve(properties.get(name_property), f"{logical_id}.{name_property}")
    if explicit:
        return str(explicit)
    queue = template.queues.get(logical_id)
    if queue is not None and queue.fifo:
        return f"{local_name(logical_id)}.fifo"
    return local_name(logical_id)


def function_name(template: Template, logical_id: str) -> str:
    """The function's name: its `FunctionName`, else `audiofn-local-<LogicalId>`."""
    function = template.functions[logical_id]
    if function.function_name is not None:
        resolver = template.parameter_resolver()
        return str(resolver.resolve(function.function_name, f"{logical_id}.FunctionName"))
    return f"audiofn-local-{logical_id}"


def build_resolver(template: Template, resources: LocalResources) -> Resolver:
    """A resolver where `Ref`/`GetAtt` of each resource give its local physical value."""
    resolver = template.parameter_resolver()
    refs, attributes = resolver.refs, resolver.attributes
    refs["AWS::Region"] = resources.region
    for logical, name in resources.buckets.items():
        refs[logical] = name
        attributes[(logical, "Arn")] = bucket_arn(name)
        attributes[(logical, "DomainName")] = f"{name}.s3.amazonaws.com"
        attributes[(logical, "RegionalDomainName")] = f"{name}.s3.{resources.region}.amazonaws.com"
    for logical, queue in resources.queues.items():
        refs[logical] = queue.url
        attributes[(logical, "Arn")] = queue.arn
        attributes[(logical, "QueueName")] = queue.name
        attributes[(logical, "QueueUrl")] = queue.url
    for logical, name in resources.tables.items():
        refs[logical] = name
        attributes[(logical, "Arn")] = table_arn(name, resources.region)
        attributes[(logical, "StreamArn")] = f"{table_arn(name, resources.region)}/stream/local"
    for logical in template.functions:
        name = function_name(template, logical)
        refs[logical] = name
        attributes[(logical, "Arn")] = function_arn(name, resources.region)
    for logical in template.http_apis:
        refs[logical] = logical.lower()  # the apiId the gateway reports in requestContext
    return resolver


def plan_queue(template: Template, logical_id: str, endpoint_url: str, region: str) -> LocalQueue:
    """Name, URL and ARN a queue will have (moto's URL shape: endpoint/account/name)."""
    if logical_id not in template.queues:
        raise TemplateError(f"no queue {logical_id!r} in the template")
    name = physical_name(template, logical_id, "QueueName")
    url = f"{endpoint_url}/{ACCOUNT_ID}/{name}"
    return LocalQueue(name=name, url=url, arn=queue_arn(name, region))
