"""The local runtime's pure parts: template reading, resolution, routing, event shapes."""

from __future__ import annotations

import base64
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2, SQSEvent
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model, SqsModel
from starlette.testclient import TestClient

from audiofn_local.cfn_yaml import load_template_text
from audiofn_local.environment import (
    apply_environment,
    build_process_environment,
    function_environment,
    merged_function_environment,
)
from audiofn_local.gateway import HttpApiGateway, build_gateway_app
from audiofn_local.handlers import FunctionPool, HandlerLoadError
from audiofn_local.http_events import (
    MAX_RESPONSE_BYTES,
    HttpRequestData,
    InvalidHandlerResponse,
    build_http_api_event,
    request_time,
    response_from_result,
)
from audiofn_local.intrinsics import NO_VALUE, Resolver, TemplateError
from audiofn_local.keys import resolve_keys
from audiofn_local.lambda_context import new_context
from audiofn_local.provisioning import queue_attributes, queue_creation_order, table_request
from audiofn_local.resources import LocalQueue, LocalResources, build_resolver
from audiofn_local.routes import Route, RouteTable
from audiofn_local.sam_globals import apply_globals, merge_globals
from audiofn_local.settings import RuntimeSettings, find_template
from audiofn_local.sqs_events import InvalidBatchResponse, build_sqs_event, failed_message_ids
from audiofn_local.template_model import (
    FunctionSpec,
    load_template,
    parse_template,
)
from audiofn_local.workers import HandlerFailed, PoolClosed, ProcessFunctionPool, WorkerDied

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "local_runtime" / "template.yaml"
ENDPOINT = "http://127.0.0.1:5999"


def fixture_resources(template) -> LocalResources:
    """What provisioning would return for the fixture template (no server needed)."""
    resources = LocalResources(endpoint_url=ENDPOINT)
    for logical in template.queues:
        name = f"audiofn-local-{logical.lower()}"
        resources.queues[logical] = LocalQueue(
            name, f"{ENDPOINT}/123456789012/{name}", f"arn:aws:sqs:us-east-1:123456789012:{name}"
        )
    resources.buckets = {
        logical: f"audiofn-local-{logical.lower()}" for logical in template.buckets
    }
    resources.tables = {logical: f"audiofn-local-{logical.lower()}" for logical in template.tables}
    return resources


# ---------------------------------------------------------------------- YAML tags


def test_short_tags_become_long_form():
    # Given a template using every short tag
    text = """
AWSTemplateFormatVersion: 2010-09-09
Values:
  ref: !Ref Bucket
  getatt_dotted: !GetAtt Queue.Arn
  getatt_nested: !GetAtt Api.Endpoint.Url
  getatt_list: !GetAtt [Queue, QueueName]
  sub: !Sub "${AWS::Region}-${Bucket}"
  sub_list: !Sub ["${X}", {X: !Ref Bucket}]
  join: !Join ["-", [a, b]]
  if: !If [Cond, yes-value, no-value]
  select: !Select [0, !GetAZs ""]
  split: !Split [",", "a,b"]
  import: !ImportValue Other
  equals: !Equals [a, b]
  not: !Not [!Condition Cond]
  and: !And [!Condition A, !Condition B]
  or: !Or [!Condition A, !Condition B]
  find: !FindInMap [M, K, V]
  b64: !Base64 text
"""
    # When it is loaded
    values = load_template_text(text)["Values"]
    # Then each tag is in its Fn:: form and the date stays text
    assert load_template_text(text)["AWSTemplateFormatVersion"] == "2010-09-09"
    assert values["ref"] == {"Ref": "Bucket"}
    assert values["getatt_dotted"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert values["getatt_nested"] == {"Fn::GetAtt": ["Api", "Endpoint.Url"]}
    assert values["getatt_list"] == {"Fn::GetAtt": ["Queue", "QueueName"]}
    assert values["sub"] == {"Fn::Sub": "${AWS::Region}-${Bucket}"}
    assert values["sub_list"] == {"Fn::Sub": ["${X}", {"X": {"Ref": "Bucket"}}]}
    assert values["join"] == {"Fn::Join": ["-", ["a", "b"]]}
    assert values["if"] == {"Fn::If": ["Cond", "yes-value", "no-value"]}
    assert values["select"] == {"Fn::Select": [0, {"Fn::GetAZs": ""}]}
    assert values["split"] == {"Fn::Split": [",", "a,b"]}
    assert values["import"] == {"Fn::ImportValue": "Other"}
    assert values["equals"] == {"Fn::Equals": ["a", "b"]}
    assert values["not"] == {"Fn::Not": [{"Condition": "Cond"}]}
    assert values["and"] == {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}
    assert values["or"] == {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}
    assert values["find"] == {"Fn::FindInMap": ["M", "K", "V"]}
    assert values["b64"] == {"Fn::Base64": "text"}


def test_loader_does_not_change_the_global_safe_loader():
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load("a: !Ref B")


# ---------------------------------------------------------------------- Globals


def test_globals_merge_like_sam():
    # Given globals and a function that overrides some of them
    globals_section = {
        "Function": {
            "Timeout": 30,
            "Layers": ["L1"],
            "Architectures": ["x86_64"],
            "Environment": {"Variables": {"A": "global", "B": {"Ref": "P"}}},
        }
    }
    own = {
        "Timeout": 5,
        "Layers": ["L2"],
        "Architectures": ["arm64"],
        "Environment": {"Variables": {"B": "mine", "C": "c"}},
    }
    # When merged
    merged = apply_globals("AWS::Serverless::Function", own, globals_section)
    # Then primitives are replaced, maps merged, lists added (except Architectures)
    assert merged["Timeout"] == 5
    assert merged["Layers"] == ["L1", "L2"]
    assert merged["Architectures"] == ["arm64"]
    assert merged["Environment"]["Variables"] == {"A": "global", "B": "mine", "C": "c"}
    # and an intrinsic counts as a primitive, not a map to merge into
    assert merge_globals({"Ref": "X"}, {"Ref": "Y"}) == {"Ref": "Y"}
    assert apply_globals("AWS::SQS::Queue", {"X": 1}, globals_section) == {"X": 1}


def test_fixture_template_model():
    # When the fixture template is read
    template = load_template(FIXTURE, environ={})
    # Then functions carry merged Globals, triggers and code locations
    echo = template.functions["EchoFunction"]
    worker = template.functions["WorkerFunction"]
    assert echo.code_dir == FIXTURE.parent / "echo"
    assert (echo.timeout, echo.memory_size, worker.memory_size) == (10, 128, 256)
    assert set(echo.environment) >= {"FIXTURE_RESULTS_BUCKET", "FIXTURE_WORK_QUEUE_URL"}
    assert [(e.method, e.path, e.api_id) for e in echo.http_events] == [
        ("ANY", "/", "FixtureApi"),
        ("ANY", "/{proxy+}", "FixtureApi"),
        ("GET", "/items/{id}", "FixtureApi"),
    ]
    (sqs,) = worker.sqs_events
    assert (sqs.queue_id, sqs.batch_size, sqs.batching_window_seconds) == ("WorkQueue", 10, 1)
    assert sqs.report_batch_item_failures
    assert template.queues["WorkQueue"].dead_letter_queue_id == "WorkDLQ"
    assert template.http_apis["FixtureApi"].cors == {
        "AllowOrigins": ["*"],
        "AllowHeaders": ["content-type"],
        "AllowMethods": ["GET", "POST"],
    }
    assert set(template.tables) == {"ResultsTable"}


def test_repository_template_model():
    path = REPO / "template.yaml"
    if not path.is_file():
        pytest.skip("no template.yaml in the repository")
    template = load_template(path, environ={})
    # Every HTTP route and queue trigger points at a function and resource in the template.
    assert RouteTable.from_template(template).routes
    for function in template.functions.values():
        for sqs in function.sqs_events:
            assert sqs.queue_id in template.queues
    for queue in template.queues.values():
        assert queue.dead_letter_queue_id is None or queue.dead_letter_queue_id in template.queues


def test_lambda_defaults_and_image_functions(tmp_path):
    document = load_template_text(
        """
Resources:
  Plain:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: fn/, Handler: app.handler}
  Image:
    Type: AWS::Serverless::Function
    Metadata: {DockerContext: ./img, Dockerfile: Dockerfile}
    Properties:
      PackageType: Image
      ImageConfig: {Command: ["main.handler"]}
      FunctionUrlConfig: {AuthType: NONE, InvokeMode: RESPONSE_STREAM}
"""
    )
    template = parse_template(document, tmp_path / "template.yaml", {})
    plain, image = template.functions["Plain"], template.functions["Image"]
    assert (plain.timeout, plain.memory_size) == (3, 128)
    assert (image.code_dir, image.handler) == (tmp_path / "img", "main.handler")
    assert image.url is not None and image.url.invoke_mode == "RESPONSE_STREAM"


def test_image_function_code_is_beside_its_dockerfile(tmp_path):
    """A context at the repository root (to copy shared code in) still finds the handler."""
    document = load_template_text(
        """
Resources:
  Image:
    Type: AWS::Serverless::Function
    Metadata: {DockerContext: ., Dockerfile: functions/speech/Dockerfile}
    Properties:
      PackageType: Image
      ImageConfig: {Command: ["app.lambda_handler"]}
"""
    )
    image = parse_template(document, tmp_path / "template.yaml", {}).functions["Image"]
    assert (image.code_dir, image.handler) == (
        tmp_path / "functions" / "speech",
        "app.lambda_handler",
    )


def test_repository_image_functions_resolve_to_their_handlers():
    template = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
    for function in template.functions.values():
        module = function.handler.rsplit(".", 1)[0]
        assert (function.code_dir / f"{module}.py").is_file(), function.logical_id


def test_conditional_resources_are_skipped(tmp_path):
    document = load_template_text(
        """
Parameters:
  WithExtra: {Type: String, Default: "no"}
Conditions:
  Extra: !Equals [!Ref WithExtra, "yes"]
Resources:
  ExtraQueue:
    Type: AWS::SQS::Queue
    Condition: Extra
"""
    )
    path = tmp_path / "template.yaml"
    assert parse_template(document, path, {}).queues == {}
    assert set(parse_template(document, path, {"AUDIOFN_PARAM_WithExtra": "yes"}).queues) == {
        "ExtraQueue"
    }


# ---------------------------------------------------------------------- resolution


def test_function_environment_resolves_like_cloudformation():
    # Given the fixture template and its local resources
    template = load_template(FIXTURE, environ={})
    resources = fixture_resources(template)
    resolver = build_resolver(template, resources)
    # When the echo function's environment is resolved
    env = function_environment(template.functions["EchoFunction"], resolver)
    # Then every Ref/GetAtt/Sub/If has its local value
    assert env == {
        "FIXTURE_RESULTS_BUCKET": "audiofn-local-resultsbucket",
        "FIXTURE_GREETING": "hello-us-east-1",
        "FIXTURE_WORK_QUEUE_URL": f"{ENDPOINT}/123456789012/audiofn-local-workqueue",
        "FIXTURE_WORK_QUEUE_ARN": "arn:aws:sqs:us-east-1:123456789012:audiofn-local-workqueue",
        "FIXTURE_TABLE": "audiofn-local-resultstable",
        "FIXTURE_MODE": "friendly",
    }


def test_parameter_override_from_environment():
    template = load_template(FIXTURE, environ={"AUDIOFN_PARAM_Greeting": "hi"})
    resolver = build_resolver(template, fixture_resources(template))
    env = function_environment(template.functions["EchoFunction"], resolver)
    assert env["FIXTURE_GREETING"] == "hi-us-east-1"
    assert env["FIXTURE_MODE"] == "formal"


def test_intrinsic_functions():
    resolver = Resolver(
        refs={"AWS::Region": "us-east-1", "Name": "x", "AWS::NoValue": NO_VALUE},
        attributes={("Q", "Arn"): "arn:q"},
        conditions={"On": {"Fn::Equals": [{"Ref": "Name"}, "x"]}},
        mappings={"M": {"k": {"v": 42}}},
    )
    assert resolver.resolve({"Fn::Sub": "${Name}/${Q.Arn}/${!Literal}"}) == "x/arn:q/${Literal}"
    assert resolver.resolve({"Fn::Sub": ["${A}-${Name}", {"A": "a"}]}) == "a-x"
    assert resolver.resolve({"Fn::Join": [":", ["a", {"Ref": "Name"}, 3]]}) == "a:x:3"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert resolver.resolve({"Fn::If": ["On", "yes", "no"]}) == "yes"
    assert resolver.resolve({"Fn::Not": [{"Condition": "On"}]}) is False
    assert resolver.resolve({"Fn::FindInMap": ["M", "k", "v"]}) == 42
    assert resolver.resolve({"Fn::Base64": "hi"}) == "aGk="
    assert resolver.resolve({"Fn::GetAZs": ""})[0] == "us-east-1a"
    # AWS::NoValue removes the property
    assert resolver.resolve({"a": {"Ref": "AWS::NoValue"}, "b": 1}) == {"b": 1}
    with pytest.raises(TemplateError, match="Missing"):
        resolver.resolve({"Ref": "Missing"}, "Here")
    with pytest.raises(TemplateError, match="another stack"):
        resolver.resolve({"Fn::ImportValue": "X"})


def test_conflicting_environment_values_fail_loudly():
    # Given two functions that want different values for one variable
    template = load_template(FIXTURE, environ={})
    clash = FunctionSpec(
        logical_id="Other",
        code_dir=FIXTURE.parent,
        handler="app.handler",
        timeout=3,
        memory_size=128,
        environment={"FIXTURE_GREETING": "something else"},
    )
    functions = {**template.functions, "Other": clash}
    clashing = type(template)(**{**template.__dict__, "functions": functions})
    resolver = build_resolver(template, fixture_resources(template))
    # Then merging them refuses
    with pytest.raises(TemplateError, match="FIXTURE_GREETING"):
        merged_function_environment(clashing, resolver)


def test_process_environment_points_boto3_at_the_local_server():
    template = load_template(FIXTURE, environ={})
    resources = fixture_resources(template)
    values = build_process_environment(template, build_resolver(template, resources), resources)
    environ = {"AWS_PROFILE": "real", "AWS_ENDPOINT_URL_S3": "https://s3.example", "X": "1"}
    apply_environment(values, environ)
    assert environ["AWS_ENDPOINT_URL"] == ENDPOINT
    assert environ["AUDIOFN_LOCAL"] == "1"
    assert environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert "AWS_PROFILE" not in environ and "AWS_ENDPOINT_URL_S3" not in environ
    published = json.loads(environ["AUDIOFN_LOCAL_RESOURCES"])
    assert published["endpointUrl"] == ENDPOINT
    assert published["buckets"]["ResultsBucket"] == "audiofn-local-resultsbucket"
    assert published["queues"]["WorkQueue"].endswith("/audiofn-local-workqueue")
    assert published["tables"] == {"ResultsTable": "audiofn-local-resultstable"}


def test_queue_provisioning_plan():
    template = load_template(FIXTURE, environ={})
    order = queue_creation_order(template.queues)
    assert order.index("WorkDLQ") < order.index("WorkQueue")
    attributes = queue_attributes(
        template.queues["WorkQueue"], build_resolver(template, fixture_resources(template))
    )
    assert attributes["VisibilityTimeout"] == "60"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:audiofn-local-workdlq",
        "maxReceiveCount": 2,
    }


def test_table_request_keeps_indexes():
    template = load_template(FIXTURE, environ={})
    request = table_request("t", template.tables["ResultsTable"].properties)
    assert request["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in request
    assert request["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"
    simple = table_request("s", {"PrimaryKey": {"Name": "id", "Type": "Number"}}, simple=True)
    assert simple["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "N"}]


# ---------------------------------------------------------------------- routes


def routes(*specs: str) -> RouteTable:
    table = []
    for spec in specs:
        method, _, path = spec.partition(" ")
        table.append(Route(method, path, function_id=spec, api_id="Api"))
    return RouteTable(table)


@pytest.mark.parametrize(
    ("method", "path", "expected", "parameters"),
    [
        ("GET", "/", "ANY /", {}),
        ("GET", "/items/special", "GET /items/special", {}),
        ("GET", "/items/7", "GET /items/{id}", {"id": "7"}),
        ("POST", "/items/7", "ANY /items/{id}", {"id": "7"}),
        ("GET", "/items/7/parts", "ANY /items/{proxy+}", {"proxy": "7/parts"}),
        ("DELETE", "/other/x/y", "ANY /{proxy+}", {"proxy": "other/x/y"}),
        ("GET", "/items/a%20b", "GET /items/{id}", {"id": "a b"}),
        ("GET", "/items/a%2Fb", "GET /items/{id}", {"id": "a/b"}),
    ],
)
def test_route_precedence(method, path, expected, parameters):
    table = routes(
        "ANY /",
        "ANY /{proxy+}",
        "ANY /items/{proxy+}",
        "ANY /items/{id}",
        "GET /items/{id}",
        "GET /items/special",
    )
    match = table.match(method, path)
    assert match is not None
    assert match.route.function_id == expected
    assert match.path_parameters == parameters


def test_no_route_and_default_route():
    assert routes("GET /a").match("GET", "/b") is None
    assert routes("GET /a").match("POST", "/a") is None
    # {proxy+} needs at least one character, so "/" is not matched by it
    assert routes("ANY /{proxy+}").match("GET", "/") is None
    fallback = routes("GET /a", "ANY $default").match("POST", "/b")
    assert fallback is not None and fallback.route.route_key == "$default"


def test_duplicate_routes_are_refused():
    with pytest.raises(TemplateError, match="GET /a"):
        routes("GET /a", "GET /a")


# ---------------------------------------------------------------------- HTTP events


def http_request(**changes) -> HttpRequestData:
    values: dict[str, Any] = {
        "method": "POST",
        "raw_path": "/items/7",
        "raw_query_string": "a=1&a=2&b=x%20y&empty=",
        "headers": [
            ("Host", "127.0.0.1:3000"),
            ("User-Agent", "pytest"),
            ("X-Dup", "1"),
            ("x-dup", "2"),
            ("Cookie", "c1=v1; c2=v2"),
            ("Content-Type", "application/json"),
        ],
        "body": b'{"k": "v"}',
        "source_ip": "127.0.0.1",
        "port": 3000,
    }
    values.update(changes)
    return HttpRequestData(**values)


def test_http_api_v2_event_shape():
    # Given a request matched to a parameterised route
    match = routes("POST /items/{id}").match("POST", "/items/7")
    assert match is not None
    now = datetime(2020, 3, 12, 19, 3, 58, 123000, tzinfo=UTC)
    # When the event is built
    event = build_http_api_event(http_request(), match, request_id="req-1", now=now)
    # Then it has API Gateway's payload 2.0 shape
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /items/{id}"
    assert event["rawPath"] == "/items/7"
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y&empty="
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-dup"] == "1,2"
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-forwarded-port"] == "3000"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y", "empty": ""}
    assert event["pathParameters"] == {"id": "7"}
    assert event["stageVariables"] is None
    assert event["body"] == '{"k": "v"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/items/7",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "pytest",
    }
    assert context["stage"] == "$default"
    assert context["requestId"] == "req-1"
    assert context["routeKey"] == "POST /items/{id}"
    assert context["time"] == "12/Mar/2020:19:03:58 +0000"
    assert context["timeEpoch"] == 1584039838123
    assert context["accountId"] == "123456789012" and context["apiId"] == "api"
    # and Powertools reads it as an HTTP API event
    APIGatewayProxyEventV2Model.model_validate(event)
    wrapped = APIGatewayProxyEventV2(event)
    assert wrapped.json_body == {"k": "v"}
    assert wrapped.cookies == ["c1=v1", "c2=v2"]
    assert wrapped.path_parameters == {"id": "7"}


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ("application/json; charset=utf-8", False),
        ("text/plain", False),
        ("application/xml", False),
        ("application/octet-stream", True),
        ("audio/wav", True),
        ("application/x-www-form-urlencoded", True),
        (None, True),
    ],
)
def test_body_encoding_follows_http_api(content_type, encoded):
    headers = [("Host", "h")] + ([("Content-Type", content_type)] if content_type else [])
    body = b"a=1&b=2"
    match = routes("ANY /{proxy+}").match("POST", "/x")
    assert match is not None
    event = build_http_api_event(http_request(headers=headers, body=body, raw_path="/x"), match)
    assert event["isBase64Encoded"] is encoded
    decoded = base64.b64decode(event["body"]) if encoded else event["body"].encode()
    assert decoded == body


def test_event_without_body_or_query_omits_them():
    match = routes("GET /").match("GET", "/")
    assert match is not None
    event = build_http_api_event(
        http_request(method="GET", raw_path="/", raw_query_string="", body=b"", headers=[]), match
    )
    assert "body" not in event and event["isBase64Encoded"] is False
    assert "queryStringParameters" not in event and "pathParameters" not in event
    assert "cookies" not in event
    APIGatewayProxyEventV2Model.model_validate(event)


def test_request_time_is_locale_independent():
    assert request_time(datetime(2021, 12, 1, 0, 0, 0, tzinfo=UTC)) == "01/Dec/2021:00:00:00 +0000"


def test_structured_response():
    response = response_from_result(
        {
            "statusCode": 201,
            "headers": {"content-type": "text/plain", "x-n": 3},
            "multiValueHeaders": {"x-many": ["1", "2"]},
            "cookies": ["a=1", "b=2"],
            "body": "created",
        }
    )
    assert response.status == 201
    assert response.body == b"created"
    assert ("x-n", "3") in response.headers
    assert [v for k, v in response.headers if k == "x-many"] == ["1", "2"]
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1", "b=2"]


def test_binary_and_plain_responses():
    binary = response_from_result(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True}
    )
    assert binary.body == b"\x00\xff"
    plain = response_from_result({"hello": "world"})
    assert (plain.status, json.loads(plain.body)) == (200, {"hello": "world"})
    assert ("content-type", "application/json") in plain.headers
    text = response_from_result("hi")
    assert text.body == b'"hi"'


def test_invalid_responses_are_rejected():
    with pytest.raises(InvalidHandlerResponse):
        response_from_result({"statusCode": "abc"})
    with pytest.raises(InvalidHandlerResponse):
        response_from_result({"statusCode": 200, "body": "***", "isBase64Encoded": True})
    with pytest.raises(InvalidHandlerResponse, match="limit"):
        response_from_result({"statusCode": 200, "body": "x" * (MAX_RESPONSE_BYTES + 1)})
    with pytest.raises(InvalidHandlerResponse):
        response_from_result({"statusCode": 200, "body": object()})


# ---------------------------------------------------------------------- SQS events


def sqs_message(message_id: str, body: str = "hello") -> dict:
    """A message as boto3's ReceiveMessage returns it with All attributes."""
    return {
        "MessageId": message_id,
        "ReceiptHandle": f"handle-{message_id}",
        "MD5OfBody": "5d41402abc4b2a76b9719d911017c592",
        "Body": body,
        "Attributes": {
            "SenderId": "AIDAIT2UOQQY3AUEKVGXU",
            "SentTimestamp": "1700000000000",
            "ApproximateReceiveCount": "1",
            "ApproximateFirstReceiveTimestamp": "1700000000001",
            "SqsManagedSseEnabled": "true",
        },
        "MD5OfMessageAttributes": "0123456789abcdef0123456789abcdef",
        "MessageAttributes": {
            "kind": {"StringValue": "speech", "DataType": "String"},
            "blob": {"BinaryValue": b"\x01\x02", "DataType": "Binary"},
        },
    }


def test_sqs_event_shape():
    # When a batch event is built from received messages
    arn = "arn:aws:sqs:us-east-1:123456789012:q"
    event = build_sqs_event([sqs_message("m1"), sqs_message("m2")], arn, "us-east-1")
    # Then each record has Lambda's field names and attribute shapes
    record = event["Records"][0]
    assert record["messageId"] == "m1"
    assert record["receiptHandle"] == "handle-m1"
    assert record["body"] == "hello"
    assert record["md5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"] == {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": "1700000000000",
        "SenderId": "AIDAIT2UOQQY3AUEKVGXU",
        "ApproximateFirstReceiveTimestamp": "1700000000001",
    }
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "speech",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "blob": {
            "binaryValue": "AQI=",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    # and Powertools accepts it
    SqsModel.model_validate(event)
    assert [r.message_id for r in SQSEvent(event).records] == ["m1", "m2"]


def test_batch_response_rules():
    ids = ["a", "b", "c"]
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids, True) == {"b"}
    assert failed_message_ids({"batchItemFailures": []}, ids, True) == set()
    assert failed_message_ids(None, ids, True) == set()
    assert failed_message_ids({}, ids, True) == set()
    # without ReportBatchItemFailures the answer is ignored
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids, False) == set()
    # an identifier Lambda cannot match fails the whole batch
    for bad in ([{"itemIdentifier": ""}], [{"itemIdentifier": "zzz"}], [{"id": "a"}]):
        with pytest.raises(InvalidBatchResponse):
            failed_message_ids({"batchItemFailures": bad}, ids, True)


# ---------------------------------------------------------------------- handlers


def test_context_counts_down_from_the_timeout():
    context = new_context("fn", 256, timeout=30, log_stream_name="s", region="us-east-1")
    assert 29_000 < context.get_remaining_time_in_millis() <= 30_000
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert context.log_group_name == "/aws/lambda/fn"
    assert context.memory_limit_in_mb == 256


def test_each_execution_environment_has_its_own_module(tmp_path):
    # Given a handler that keeps state at module level (as a Powertools resolver does)
    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text(
        "STATE = {'calls': 0}\n"
        "def handler(event, context):\n"
        "    STATE['calls'] += 1\n"
        "    if 'gate' in event:\n"
        "        event['gate'].wait()\n"
        "    return {'module': __name__, 'calls': STATE['calls']}\n"
    )
    spec = FunctionSpec("Fn", code, "app.handler", timeout=3, memory_size=128, environment={})
    pool = FunctionPool(spec, "fn", max_environments=2)
    # When two invocations overlap (each waits for the other)
    gate = threading.Barrier(2, timeout=5)
    results: list[dict] = []
    threads = [
        threading.Thread(target=lambda: results.append(pool.invoke({"gate": gate})))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # Then they ran in two separately imported environments
    assert len(results) == 2
    assert {r["module"] for r in results} == {"_audiofn_local_Fn_1", "_audiofn_local_Fn_2"}
    # and a later call reuses a warm one
    assert pool.invoke({})["calls"] == 2


def test_http_workers_are_separate_lambda_environments(tmp_path, monkeypatch):
    # Given an HTTP handler that keeps state at module level, in a pool of two processes
    code = tmp_path / "web"
    code.mkdir()
    (code / "app.py").write_text(
        "import os, signal, time\n"
        "CALLS = []\n"
        "def handler(event, context):\n"
        "    if event.get('fail'):\n"
        "        raise ValueError('asked to fail')\n"
        "    if event.get('crash'):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    CALLS.append(context.aws_request_id)\n"
        "    time.sleep(event.get('sleep', 0))\n"
        "    return {\n"
        "        'pid': os.getpid(), 'calls': len(CALLS), 'module': __name__,\n"
        "        'function': context.function_name, 'request_id': context.aws_request_id,\n"
        "        'remaining_ms': context.get_remaining_time_in_millis(),\n"
        "        'mark': os.environ.get('AUDIOFN_UNIT_MARK'),\n"
        "    }\n"
    )
    monkeypatch.setenv("AUDIOFN_UNIT_MARK", "set before the workers start")
    spec = FunctionSpec("Web", code, "app.handler", timeout=3, memory_size=128, environment={})
    pool = ProcessFunctionPool(spec, "web", workers=2)
    try:
        pool.warm_up()
        # When two invocations overlap
        with ThreadPoolExecutor(max_workers=2) as threads:
            results = list(threads.map(pool.invoke, [{"sleep": 0.5}, {"sleep": 0.5}]))
        # Then they ran in two processes, each with the environment and a Lambda context
        pids = {result["pid"] for result in results}
        assert len(pids) == 2 and os.getpid() not in pids
        assert {result["module"] for result in results} == {
            "_audiofn_local_Web_1",
            "_audiofn_local_Web_2",
        }
        for result in results:
            assert result["function"] == "web" and result["request_id"]
            assert 2_000 < result["remaining_ms"] <= 3_000
            assert result["mark"] == "set before the workers start"
        # A handler exception is reported, and its worker stays warm
        with pytest.raises(HandlerFailed, match="ValueError: asked to fail"):
            pool.invoke({"fail": True})
        again = pool.invoke({})
        assert again["pid"] in pids and again["calls"] == 2
        # A worker that dies fails only its own invocation, and a new one takes its place
        with pytest.raises(WorkerDied, match="SIGKILL"):
            pool.invoke({"crash": True})
        with ThreadPoolExecutor(max_workers=2) as threads:
            after = list(threads.map(pool.invoke, [{"sleep": 0.5}, {"sleep": 0.5}]))
        assert len({result["pid"] for result in after}) == 2
        assert {result["pid"] for result in after} != pids
    finally:
        assert pool.join(5)
    # Once stopped, no new invocation starts
    with pytest.raises(PoolClosed):
        pool.invoke({})


def test_an_http_handler_that_cannot_import_stops_the_warm_up(tmp_path):
    code = tmp_path / "broken"
    code.mkdir()
    (code / "app.py").write_text("raise ImportError('no such model')\n")
    spec = FunctionSpec("Broken", code, "app.handler", timeout=3, memory_size=128, environment={})
    pool = ProcessFunctionPool(spec, "broken", workers=2)
    try:
        with pytest.raises(HandlerLoadError, match="no such model"):
            pool.warm_up()
    finally:
        assert pool.join(5)


# ---------------------------------------------------------------------- settings and keys


def test_settings_from_environment(tmp_path):
    settings = RuntimeSettings.from_env(
        {
            "AUDIOFN_TEMPLATE": str(FIXTURE),
            "AUDIOFN_PORT": "0",
            "AUDIOFN_LOCAL_RETRY_SECONDS": "1",
            "AUDIOFN_LOCAL_CONCURRENCY": "2",
            "AUDIOFN_LOCAL_CONCURRENCY_WorkerFunction": "3",
            "AUDIOFN_LOCAL_HTTP_WORKERS": "2",
            "AUDIOFN_DATA_DIR": str(tmp_path),
        }
    )
    assert settings.http_workers == 2
    assert RuntimeSettings.from_env({"AUDIOFN_TEMPLATE": str(FIXTURE)}).http_workers == 4
    assert settings.template_path == FIXTURE
    assert (settings.port, settings.retry_seconds, settings.data_dir) == (0, 1, tmp_path)
    assert settings.pollers_per_event("WorkerFunction") == 3
    assert settings.pollers_per_event("Other") == 2
    assert find_template(FIXTURE.parent / "echo") == FIXTURE


def test_keys_are_generated_once_and_reused(tmp_path):
    first = resolve_keys(tmp_path, environ={})
    assert len(first.admin_key) >= 40 and len(first.api_key) >= 40
    assert first.admin_source == first.api_source == "generated"
    again = resolve_keys(tmp_path, environ={})
    assert (again.admin_key, again.api_key) == (first.admin_key, first.api_key)
    assert again.api_source == "saved"
    given = resolve_keys(tmp_path, environ={"AUDIOFN_API_KEY": "k" * 40})
    assert (given.api_key, given.api_source) == ("k" * 40, "AUDIOFN_API_KEY")
    assert (tmp_path / "local-keys.json").stat().st_mode & 0o077 == 0


# ---------------------------------------------------------------------- gateway


def test_gateway_routes_and_answers_like_api_gateway(tmp_path):
    # Given a gateway with one route to a handler that echoes, or fails on request
    code = tmp_path / "gw"
    code.mkdir()
    (code / "app.py").write_text(
        "def handler(event, context):\n"
        "    if event['rawQueryString'] == 'fail':\n"
        "        raise ValueError('asked to fail')\n"
        "    return {'statusCode': 200, 'body': event['requestContext']['requestId']}\n"
    )
    spec = FunctionSpec("Gw", code, "app.handler", timeout=3, memory_size=128, environment={})
    gateway = HttpApiGateway(
        RouteTable([Route("GET", "/only", "Gw", "Api")]), {"Gw": FunctionPool(spec, "gw", 1)}
    )
    client = TestClient(build_gateway_app(gateway))
    # Then the matched route reaches the handler with the id API Gateway also returns
    ok = client.get("/only")
    assert ok.status_code == 200 and ok.text == ok.headers["apigw-requestid"]
    # an unknown route or method is API Gateway's 404
    for method, path in (("GET", "/other"), ("POST", "/only")):
        missing = client.request(method, path)
        assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})
    # and a handler exception is API Gateway's 500
    failed = client.get("/only?fail")
    assert (failed.status_code, failed.json()) == (500, {"message": "Internal Server Error"})
