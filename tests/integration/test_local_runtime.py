"""The local runtime end to end, on the fixture template, in a subprocess on free ports.

A subprocess keeps the runtime's process-wide changes (AWS_ENDPOINT_URL, fake credentials)
away from the other tests, and lets SIGTERM be tested for real.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import pytest

from audiofn_local import cli
from audiofn_local.aws_server import LocalAws
from audiofn_local.template_model import load_template

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "local_runtime" / "template.yaml"
START_TIMEOUT = 30.0
HTTP_WORKERS = 4  # AUDIOFN_LOCAL_HTTP_WORKERS's default


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningRuntime:
    process: subprocess.Popen[bytes]
    url: str
    endpoint: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def terminate(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait(5)
        return self.process.returncode


def start_runtime(work_dir: Path) -> RunningRuntime:
    http_port, aws_port = free_port(), free_port()
    env = {
        **os.environ,
        "AUDIOFN_TEMPLATE": str(FIXTURE),
        "AUDIOFN_PORT": str(http_port),
        "AUDIOFN_AWS_PORT": str(aws_port),
        "AUDIOFN_DATA_DIR": str(work_dir / "data"),
        "AUDIOFN_LOCAL_RETRY_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    log = work_dir / "runtime.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "audiofn_local.cli", "run", "--no-bootstrap"],
            cwd=work_dir,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    runtime = RunningRuntime(
        process, f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{aws_port}", log
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the runtime exited with {process.returncode}:\n{runtime.output()}")
        try:
            httpx.get(f"{runtime.url}/", timeout=1)
            return runtime
        except httpx.HTTPError:
            time.sleep(0.1)
    runtime.terminate()
    pytest.fail(f"the runtime did not serve within {START_TIMEOUT} s:\n{runtime.output()}")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory) -> Iterator[RunningRuntime]:
    running = start_runtime(tmp_path_factory.mktemp("local-runtime"))
    yield running
    running.terminate()


def echo(runtime: RunningRuntime, method: str, path: str, **kwargs) -> dict:
    response = httpx.request(method, f"{runtime.url}{path}", timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------------- HTTP


def test_banner_and_ready(runtime):
    output = runtime.output()
    assert "audiofn local runtime ready" in output
    assert runtime.url in output and runtime.endpoint in output
    # Every HTTP worker process imported its handler before the gateway served
    before_ready = output.split("audiofn local runtime ready", 1)[0]
    for index in range(1, HTTP_WORKERS + 1):
        assert f"EchoFunction: worker process {index} (pid" in before_ready
    assert f"({HTTP_WORKERS} worker processes)" in output


def test_routes_and_event_fidelity(runtime):
    # When a request hits the parameterised route with repeated query keys, headers, cookies
    seen = echo(
        runtime,
        "GET",
        "/items/42?a=1&a=2&b=x%20y",
        headers=[("X-Dup", "1"), ("X-Dup", "2"), ("Cookie", "c1=v1; c2=v2")],
    )
    event, context, env = seen["event"], seen["context"], seen["env"]
    # Then the handler got a payload 2.0 event for that route
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42"
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["headers"]["x-dup"] == "1,2"
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["stage"] == "$default"
    # with a Lambda-like context
    assert context["function_name"] == "audiofn-local-EchoFunction"
    assert context["memory_limit_in_mb"] == 128
    assert 0 < context["remaining_ms"] <= 10_000
    # and the template's environment, resolved to the local resources
    assert env["AUDIOFN_LOCAL"] == "1"
    assert env["AWS_ENDPOINT_URL"] == runtime.endpoint
    assert env["FIXTURE_RESULTS_BUCKET"] == "audiofn-local-resultsbucket"
    assert env["FIXTURE_WORK_QUEUE_URL"].startswith(runtime.endpoint)
    assert env["FIXTURE_WORK_QUEUE_ARN"].endswith(":audiofn-local-workqueue")
    assert env["FIXTURE_GREETING"] == "hello-us-east-1"
    resources = json.loads(env["AUDIOFN_LOCAL_RESOURCES"])
    assert resources["queues"]["WorkDLQ"].endswith("/audiofn-local-workdlq")

    # Other methods and paths fall to the catch-all routes
    assert echo(runtime, "GET", "/")["event"]["routeKey"] == "ANY /"
    other = echo(runtime, "POST", "/items/42", json={"k": "v"})["event"]
    assert other["routeKey"] == "ANY /{proxy+}"
    assert other["pathParameters"] == {"proxy": "items/42"}
    assert json.loads(other["body"]) == {"k": "v"} and other["isBase64Encoded"] is False


def test_binary_body_round_trip(runtime):
    payload = bytes(range(256)) * 64
    response = httpx.post(
        f"{runtime.url}/binary",
        content=payload,
        headers={"content-type": "application/octet-stream"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == payload


def test_responses_follow_api_gateway(runtime):
    failed = httpx.get(f"{runtime.url}/boom", timeout=10)
    assert failed.status_code == 500
    assert failed.json() == {"message": "Internal Server Error"}
    assert "the echo handler was asked to fail" in runtime.output()  # traceback logged

    plain = httpx.get(f"{runtime.url}/plain", timeout=10)
    assert (plain.status_code, plain.json()) == (200, {"hello": "world"})
    assert plain.headers["apigw-requestid"]

    cookies = httpx.get(f"{runtime.url}/cookies", timeout=10)
    assert cookies.status_code == 201
    assert cookies.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]
    assert cookies.headers.get_list("x-many") == ["1", "2"]


def slow_echo(runtime: RunningRuntime, tag: str) -> dict:
    """The fixture's Powertools route: sleeps 1 s, then echoes `x-tag` from `current_event`."""
    response = httpx.get(f"{runtime.url}/powertools/slow", headers={"x-tag": tag}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_http_requests_run_concurrently_in_separate_workers(runtime):
    # Powertools keeps the current event in a class attribute, so overlapping requests in one
    # process would mix up; each runs in its own worker process instead, at the same time.
    tags = ["first", "second"]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(tags)) as pool:
        answers = list(pool.map(lambda tag: slow_echo(runtime, tag), tags))
    elapsed = time.monotonic() - started
    # Each request saw its own header, after the other one had been resolved meanwhile
    assert [answer["tag"] for answer in answers] == tags
    assert answers[0]["pid"] != answers[1]["pid"]
    # and they overlapped: two 1 s handlers in well under 2 s
    first, second = sorted(answers, key=lambda answer: answer["started"])
    assert second["started"] < first["ended"]
    assert elapsed < 1.6, f"two concurrent 1 s requests took {elapsed:.2f} s"


def test_a_handler_exception_is_a_500_and_the_next_request_works(runtime):
    for _ in range(2):
        failed = httpx.get(f"{runtime.url}/boom", timeout=10)
        assert (failed.status_code, failed.json()) == (500, {"message": "Internal Server Error"})
        assert echo(runtime, "GET", "/items/7")["event"]["pathParameters"] == {"id": "7"}
    assert "RuntimeError: the echo handler was asked to fail" in runtime.output()


def test_a_crashed_worker_is_a_502_and_is_replaced(runtime):
    # When the worker handling a request dies (the fixture SIGKILLs itself)
    crashed = httpx.get(f"{runtime.url}/crash", timeout=10)
    # Then that request gets a 502 and the crash is logged
    assert (crashed.status_code, crashed.json()) == (502, {"message": "Bad Gateway"})
    assert "was killed by SIGKILL" in runtime.output()
    # and the pool serves every request again at full size, with a fresh worker
    tags = [f"after-crash-{index}" for index in range(HTTP_WORKERS)]
    with ThreadPoolExecutor(max_workers=len(tags)) as pool:
        answers = list(pool.map(lambda tag: slow_echo(runtime, tag), tags))
    assert [answer["tag"] for answer in answers] == tags
    assert len({answer["pid"] for answer in answers}) == HTTP_WORKERS
    assert f"EchoFunction: worker process {HTTP_WORKERS + 1} (pid" in runtime.output()


def test_cors_preflight_is_answered_from_the_template(runtime):
    response = httpx.options(
        f"{runtime.url}/items/1",
        headers={"Origin": "http://example.test", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


def test_create_org_command_calls_the_admin_api(runtime, capsys):
    # The echo function answers every path, so it shows what the command sent.
    code = cli.main(["create-org", "acme", "--url", runtime.url, "--admin-key", "k" * 43])
    assert code == 0
    event = json.loads(capsys.readouterr().out)["event"]
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["rawPath"] == "/admin/orgs"
    assert event["headers"]["authorization"] == "Bearer " + "k" * 43
    assert json.loads(event["body"]) == {"name": "acme"}


# ---------------------------------------------------------------------- SQS


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_partial_batch_failure_then_dead_letter_queue(runtime):
    sqs, s3 = runtime.client("sqs"), runtime.client("s3")
    queue_url = sqs.get_queue_url(QueueName="audiofn-local-workqueue")["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName="audiofn-local-workdlq")["QueueUrl"]
    bucket = "audiofn-local-resultsbucket"
    tag = uuid.uuid4().hex[:8]
    # Given one batch with a message the worker fails
    sent = sqs.send_message_batch(
        QueueUrl=queue_url,
        Entries=[
            {
                "Id": str(i),
                "MessageBody": body,
                "MessageAttributes": {"tag": {"DataType": "String", "StringValue": tag}},
            }
            for i, body in enumerate([f"ok-1-{tag}", "fail", f"ok-2-{tag}"])
        ],
    )
    ids = {entry["Id"]: entry["MessageId"] for entry in sent["Successful"]}
    ok_ids, fail_id = [ids["0"], ids["2"]], ids["1"]

    # When the poller has fed it to the worker until the redrive policy gives up
    dead = wait_for(
        lambda: sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages"),
        timeout=20,
        what="the failed message in the dead-letter queue",
    )

    # Then only the failed message went to the DLQ, after maxReceiveCount (2) deliveries
    assert [(m["MessageId"], m["Body"]) for m in dead] == [(fail_id, "fail")]

    def keys(prefix: str) -> list[str]:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    assert keys(f"seen/{fail_id}/") == [f"seen/{fail_id}/1.json", f"seen/{fail_id}/2.json"]
    # and the others were handled once and deleted (never redelivered)
    for message_id in ok_ids:
        assert keys(f"seen/{message_id}/") == [f"seen/{message_id}/1.json"]
        assert keys(f"done/{message_id}") == [f"done/{message_id}"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"

    # The worker saw a genuine SQS event record
    record = json.loads(s3.get_object(Bucket=bucket, Key=f"seen/{ok_ids[0]}/1.json")["Body"].read())
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:audiofn-local-workqueue"
    assert record["awsRegion"] == "us-east-1"
    assert record["body"] == f"ok-1-{tag}"
    assert record["md5OfBody"]
    assert set(record["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["messageAttributes"]["tag"] == {
        "stringValue": tag,
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }


# ---------------------------------------------------------------------- life cycle


def test_sigterm_stops_within_seconds(tmp_path):
    running = start_runtime(tmp_path)
    workers = child_pids(running.process.pid)
    # Given a request in flight
    with ThreadPoolExecutor(max_workers=1) as pool:
        in_flight = pool.submit(slow_echo, running, "in-flight")
        time.sleep(0.3)
        started = time.monotonic()
        running.process.send_signal(signal.SIGTERM)
        # Then it is still answered
        assert in_flight.result(10)["tag"] == "in-flight"
    try:
        code = running.process.wait(8)
    except subprocess.TimeoutExpired:
        running.process.kill()
        pytest.fail(f"still running 8 s after SIGTERM:\n{running.output()}")
    elapsed = time.monotonic() - started
    assert code == 0, running.output()
    assert elapsed < 5, f"took {elapsed:.1f} s"
    assert "stopped" in running.output()
    # and no worker process outlives the runtime
    assert len(workers) >= HTTP_WORKERS
    wait_for(lambda: not any(map(running_pid, workers)), 2, "the worker processes to end")
    # and the HTTP port is free again
    port = int(running.url.rsplit(":", 1)[1])
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if not children.exists():
        pytest.skip("needs Linux /proc")
    return [int(child) for child in children.read_text().split()]


def running_pid(pid: int) -> bool:
    """True while `pid` runs (a zombie no longer does)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_provisioning_is_idempotent_and_s3_notifies_sqs():
    # Given moto provisioned twice from the fixture template (in this process)
    template = load_template(FIXTURE, environ={})
    aws = LocalAws()
    aws.start()
    try:
        first = aws.provision(template)
        second = aws.provision(template)
        assert first == second
        s3, sqs = aws.client("s3"), aws.client("sqs")
        inbox_url = first.queues["InboxQueue"].url
        # When objects are written inside and outside the notified prefix
        s3.put_object(Bucket=first.buckets["InboxBucket"], Key="incoming/a b.txt", Body=b"x")
        s3.put_object(Bucket=first.buckets["InboxBucket"], Key="elsewhere/b.txt", Body=b"x")
        bodies = [
            json.loads(m["Body"])
            for m in sqs.receive_message(
                QueueUrl=inbox_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
        ]
        # Then S3 announced the configuration once (s3:TestEvent) and the matching object
        assert [b.get("Event") for b in bodies if "Event" in b] == ["s3:TestEvent"]
        records = [r for b in bodies for r in b.get("Records", [])]
        assert len(records) == 1
        assert records[0]["eventName"].startswith("ObjectCreated:")
        # moto URL-encodes the key with quote_plus (AWS too, except that AWS keeps "/")
        assert records[0]["s3"]["object"]["key"] in {"incoming/a+b.txt", "incoming%2Fa+b.txt"}
    finally:
        aws.stop()
