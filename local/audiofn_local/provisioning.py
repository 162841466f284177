"""Create the template's queues, buckets and tables in the local AWS stand-in.

Idempotent: what exists is kept (its mutable settings are brought in line), so a restart over
saved state, or a second call, changes nothing that a handler stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from audiofn_local.intrinsics import Resolver, TemplateError
from audiofn_local.resources import (
    LocalQueue,
    LocalResources,
    build_resolver,
    physical_name,
    plan_queue,
)
from audiofn_local.template_model import BucketSpec, QueueSpec, TableSpec, Template

ClientFactory = Callable[[str], Any]

# CloudFormation queue properties that are SQS attributes of the same name.
_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)
_IMMUTABLE_QUEUE_ATTRIBUTES = {"FifoQueue"}
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
# CloudFormation spells a few S3 API keys differently.
_ENCRYPTION_KEYS = {"ServerSideEncryptionByDefault": "ApplyServerSideEncryptionByDefault"}
_SIMPLE_TABLE_TYPES = {"String": "S", "Number": "N", "Binary": "B"}


def provision(
    template: Template, client: ClientFactory, endpoint_url: str, region: str
) -> LocalResources:
    """Make every queue (dead-letter queues first), bucket and table exist; return their names."""
    resources = LocalResources(endpoint_url=endpoint_url, region=region)
    sqs, s3, dynamodb = client("sqs"), client("s3"), client("dynamodb")
    for logical_id in queue_creation_order(template.queues):
        planned = plan_queue(template, logical_id, endpoint_url, region)
        # The resolver must see the dead-letter queues created so far (for RedrivePolicy).
        resolver = build_resolver(template, resources)
        resources.queues[logical_id] = ensure_queue(
            sqs, template.queues[logical_id], planned, resolver
        )
    for logical_id in template.buckets:
        name = physical_name(template, logical_id, "BucketName")
        ensure_bucket(s3, name, region)
        resources.buckets[logical_id] = name
    for logical_id, table in template.tables.items():
        name = physical_name(template, logical_id, "TableName")
        ensure_table(dynamodb, name, table, template.parameter_resolver())
        resources.tables[logical_id] = name
    resolver = build_resolver(template, resources)
    for logical_id, bucket in template.buckets.items():
        configure_bucket(s3, resources.buckets[logical_id], bucket, resolver)
    return resources


def queue_creation_order(queues: Mapping[str, QueueSpec]) -> list[str]:
    """Logical ids with every dead-letter queue before the queues that redrive into it."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in order:
            return
        if logical_id in visiting:
            raise TemplateError(f"{logical_id}: RedrivePolicy forms a cycle")
        visiting.add(logical_id)
        dlq = queues[logical_id].dead_letter_queue_id
        if dlq is not None:
            if dlq not in queues:
                raise TemplateError(f"{logical_id}: RedrivePolicy names unknown queue {dlq!r}")
            visit(dlq)
        visiting.discard(logical_id)
        order.append(logical_id)

    for logical_id in queues:
        visit(logical_id)
    return order


def queue_attributes(queue: QueueSpec, resolver: Resolver) -> dict[str, str]:
    """The SQS attributes a queue's template properties ask for, as SQS wants them (text)."""
    properties = resolver.resolve(dict(queue.properties), queue.logical_id)
    attributes = {
        name: _attribute_text(properties[name]) for name in _QUEUE_ATTRIBUTES if name in properties
    }
    for name in ("RedrivePolicy", "RedriveAllowPolicy"):
        if name in properties:
            policy = properties[name]
            if name == "RedrivePolicy" and isinstance(policy, dict):
                policy = {**policy, "maxReceiveCount": int(policy["maxReceiveCount"])}
            attributes[name] = policy if isinstance(policy, str) else json.dumps(policy)
    return attributes


def ensure_queue(sqs: Any, queue: QueueSpec, planned: LocalQueue, resolver: Resolver) -> LocalQueue:
    attributes = queue_attributes(queue, resolver)
    try:
        url = sqs.get_queue_url(QueueName=planned.name)["QueueUrl"]
    except ClientError as error:
        if not _is_missing(error):
            raise
        url = sqs.create_queue(QueueName=planned.name, Attributes=attributes)["QueueUrl"]
    else:
        mutable = {k: v for k, v in attributes.items() if k not in _IMMUTABLE_QUEUE_ATTRIBUTES}
        if mutable:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=mutable)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return LocalQueue(name=planned.name, url=url, arn=arn)


def ensure_bucket(s3: Any, name: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=name)
        return
    except ClientError as error:
        if not _is_missing(error):
            raise
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def configure_bucket(s3: Any, name: str, bucket: BucketSpec, resolver: Resolver) -> None:
    """Apply the settings a handler can observe: versioning, encryption, CORS, notifications."""
    properties = resolver.resolve(dict(bucket.properties), bucket.logical_id)
    if "VersioningConfiguration" in properties:
        status = properties["VersioningConfiguration"].get("Status", "Suspended")
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    encryption = properties.get("BucketEncryption")
    if encryption:
        rules = [
            {_ENCRYPTION_KEYS.get(key, key): value for key, value in rule.items()}
            for rule in encryption.get("ServerSideEncryptionConfiguration", [])
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in properties:
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"],
        )
    cors = properties.get("CorsConfiguration")
    if cors:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration=_cors_rules(cors))
    wanted = bucket_notifications(properties)
    current = s3.get_bucket_notification_configuration(Bucket=name)
    if _notification_key(current) != _notification_key(wanted):
        # S3 (and moto) send an s3:TestEvent to each queue when this changes, as in AWS.
        s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=wanted)


def bucket_notifications(properties: Mapping[str, Any]) -> dict[str, Any]:
    """CloudFormation `NotificationConfiguration.QueueConfigurations` in the S3 API's shape."""
    configured = (properties.get("NotificationConfiguration") or {}).get("QueueConfigurations")
    queue_configurations = []
    for item in configured or []:
        entry: dict[str, Any] = {"QueueArn": item["Queue"], "Events": [item["Event"]]}
        rules = ((item.get("Filter") or {}).get("S3Key") or {}).get("Rules")
        if rules:
            entry["Filter"] = {
                "Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}
            }
        queue_configurations.append(entry)
    return {"QueueConfigurations": queue_configurations} if queue_configurations else {}


def ensure_table(dynamodb: Any, name: str, table: TableSpec, resolver: Resolver) -> None:
    try:
        dynamodb.describe_table(TableName=name)
        return
    except ClientError as error:
        if not _is_missing(error):
            raise
    properties = resolver.resolve(dict(table.properties), table.logical_id)
    dynamodb.create_table(**table_request(name, properties, simple=table.simple))
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and str(ttl.get("Enabled", "false")).lower() == "true":
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )


def table_request(name: str, properties: Mapping[str, Any], simple: bool = False) -> dict[str, Any]:
    """`CreateTable` arguments from `AWS::DynamoDB::Table` (or SimpleTable) properties."""
    if simple:
        key = properties.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        properties = {
            "AttributeDefinitions": [
                {"AttributeName": key["Name"], "AttributeType": _SIMPLE_TABLE_TYPES[key["Type"]]}
            ],
            "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
            **(
                {"ProvisionedThroughput": properties["ProvisionedThroughput"]}
                if "ProvisionedThroughput" in properties
                else {"BillingMode": "PAY_PER_REQUEST"}
            ),
        }
    billing = properties.get("BillingMode", "PROVISIONED")
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": billing,
    }
    if billing == "PROVISIONED":
        request["ProvisionedThroughput"] = _throughput(properties.get("ProvisionedThroughput"))
    for section in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = [
            {k: v for k, v in index.items() if k in _INDEX_KEYS}
            for index in properties.get(section) or []
        ]
        if section == "GlobalSecondaryIndexes" and billing == "PROVISIONED":
            for index in indexes:
                index["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput"))
        if section == "LocalSecondaryIndexes":
            for index in indexes:
                index.pop("ProvisionedThroughput", None)
        if indexes:
            request[section] = indexes
    stream = properties.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return request


# ---------------------------------------------------------------------- helpers


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _throughput(value: Any) -> dict[str, int]:
    value = value or {}
    return {
        "ReadCapacityUnits": int(value.get("ReadCapacityUnits", 5)),
        "WriteCapacityUnits": int(value.get("WriteCapacityUnits", 5)),
    }


def _cors_rules(cors: Mapping[str, Any]) -> dict[str, Any]:
    renamed = {"ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}
    return {
        "CORSRules": [
            {renamed.get(key, key): value for key, value in rule.items()}
            for rule in cors.get("CorsRules", [])
        ]
    }


def _notification_key(configuration: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    key = []
    for item in configuration.get("QueueConfigurations") or []:
        rules = ((item.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
        key.append(
            (
                item["QueueArn"],
                tuple(sorted(item["Events"])),
                tuple(sorted((r["Name"].lower(), r["Value"]) for r in rules)),
            )
        )
    return sorted(key)


def _is_missing(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in {
        "404",
        "NoSuchBucket",
        "NotFound",
        "ResourceNotFoundException",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    }
