"""The local runtime keeps everything across restarts: a clean stop, and a crash (kill -9).

Each test drives `python -m audiofn_local.cli run` over HTTP as a user does, on a temporary data
directory with fixed keys, stops or kills it, starts it again on the same directory and
checks that what was there is still there.

The crash test runs a list of long-running workloads (`CRASH_WORKLOADS`): a speech job and
a personalisation batch. A new kind of job is a new `Workload`: how to start it, how far it
got, and what a finished one looks like.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from audiofn_local.sqs_poller import WAIT_SECONDS
from audiofn_local.subprocess_runtime import RunningRuntime, free_port, start_runtime

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "<<sectionName::hello>> Hello {{name|friend}}! <<sectionName::bye>> Bye {{name|friend}}."


def fixed_keys() -> dict[str, str]:
    return {
        "AUDIOFN_API_KEY": secrets.token_urlsafe(32),
        "AUDIOFN_ADMIN_KEY": secrets.token_urlsafe(32),
    }


def call(
    runtime: RunningRuntime,
    method: str,
    path: str,
    key: str | None = None,
    expect: int | set[int] = 200,
    **kwargs: Any,
) -> httpx.Response:
    headers = kwargs.pop("headers", {})
    if key is not None:
        headers["x-api-key"] = key
    response = httpx.request(method, runtime.url + path, headers=headers, timeout=60, **kwargs)
    expected = {expect} if isinstance(expect, int) else expect
    assert response.status_code in expected, f"{method} {path}: {response.text}"
    return response


def download_all(urls: dict[str, str]) -> dict[str, bytes]:
    files = {}
    for name, url in urls.items():
        response = httpx.get(url, timeout=60)
        assert response.status_code == 200, f"{name}: {response.status_code}"
        assert response.content[:4] == b"RIFF"
        files[name] = response.content
    return files


_CLIENTS: dict[tuple[str, str], Any] = {}
_RESOURCES: dict[str, dict[str, Any]] = {}


def resources(runtime: RunningRuntime) -> dict[str, Any]:
    """The runtime's buckets, queues and tables (from /health), read once per runtime."""
    if runtime.url not in _RESOURCES:
        _RESOURCES[runtime.url] = call(runtime, "GET", "/health").json()["aws"]
    return _RESOURCES[runtime.url]


def aws_client(runtime: RunningRuntime, service: str) -> Any:
    """A boto3 client of the runtime's moto server (made once: making one takes CPU)."""
    if (runtime.url, service) not in _CLIENTS:
        _CLIENTS[(runtime.url, service)] = boto3.client(
            service,
            endpoint_url=resources(runtime)["endpointUrl"],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    return _CLIENTS[(runtime.url, service)]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# ---------------------------------------------------------------------- a clean restart


def test_a_clean_restart_keeps_orgs_keys_scripts_speech_and_masters(tmp_path: Path) -> None:
    data_dir, keys = tmp_path / "data", fixed_keys()
    # The same gateway port both times; moto gets a new one at each start.
    keys["AUDIOFN_PORT"] = str(free_port())
    audience = [{"name": "Ada"}, {"name": "Grace"}, {"name": "Linus"}]

    # Given a runtime where an organisation, a second key, scripts and speech were made
    with start_runtime(data_dir, cwd=ROOT, **keys) as first:  # type: ignore[arg-type]
        admin = {"Authorization": f"Bearer {first.admin_key}"}
        org = call(first, "POST", "/admin/orgs", headers=admin, json={"name": "Acme"}, expect=201)
        org = org.json()
        org_key = org["apiKey"]
        minted = call(first, "POST", "/keys", org_key, json={"name": "ci"}, expect=201).json()
        scripts = [
            call(first, "POST", "/script", org_key, json={"scriptText": SCRIPT}).json(),
            call(
                first,
                "POST",
                "/script",
                org_key,
                json={"scriptText": "Just one line.", "scriptName": "second"},
            ).json(),
        ]
        speech = call(
            first,
            "POST",
            "/speech",
            org_key,
            json={"scriptId": scripts[0]["scriptId"], "voice": "joe", "audience": audience},
        ).json()
        assert speech["status"] == "done" and speech["files"] == 6
        urls = call(first, "GET", f"/speech?scriptId={scripts[0]['scriptId']}", org_key).json()
        files = download_all(urls)
        mastering = {
            "scriptId": scripts[0]["scriptId"],
            "soundTemplate": "news",
            "endFormat": "wav",
            "audience": [audience[0]],
            "public": True,
        }
        master = call(first, "POST", "/mastering", org_key, json=mastering).json()
        assert master["status"] == "done"
        master_bytes = httpx.get(master["url"], timeout=60).content
        published = call(
            first, "GET", "/mastering", org_key,
            params={"scriptId": scripts[0]["scriptId"], "name": "Ada", "public": "true"},
        ).json()["url"]  # fmt: skip
        assert httpx.get(published, timeout=60).content == master_bytes
        default_org = call(first, "GET", "/org", first.api_key).json()
        listed_keys = call(first, "GET", "/keys", org_key).json()
        listed_scripts = call(first, "GET", "/script", org_key).json()

        # When it is stopped as Ctrl+C or a service manager stops it
        stop_seconds = first.stop()
        assert first.process.returncode == 0
    # promptly: it does not wait out its pollers' long polls (a mechanism, not a timing aim)
    assert stop_seconds < WAIT_SECONDS, f"SIGTERM took {stop_seconds:.1f} s"

    # Then the next start on the same data directory has all of it
    with start_runtime(data_dir, cwd=ROOT, **keys) as second:  # type: ignore[arg-type]
        assert "restored" in second.log_path.read_text()
        # the old organisation key and the minted one authenticate, as the same org
        for key in (org_key, minted["apiKey"]):
            assert call(second, "GET", "/org", key).json()["orgId"] == org["orgId"]
        assert call(second, "GET", "/org", second.api_key).json() == default_org
        assert call(second, "GET", "/keys", org_key).json() == listed_keys
        assert call(second, "GET", "/script", org_key).json() == listed_scripts
        for script in scripts:
            again = call(second, "GET", f"/script/{script['scriptId']}", org_key).json()
            assert again["scriptText"] == script["scriptText"]
        # the speech files are the same bytes, under fresh presigned URLs
        urls_after = call(second, "GET", f"/speech?scriptId={scripts[0]['scriptId']}", org_key)
        assert set(urls_after.json()) == set(urls)
        assert download_all(urls_after.json()) == files
        # and so is the master, with its report
        query = {"scriptId": scripts[0]["scriptId"], "name": "Ada", "endFormat": "wav"}
        master_after = call(second, "GET", "/mastering", org_key, params=query).json()
        assert httpx.get(master_after["url"], timeout=60).content == master_bytes
        assert master_after["report"] == master["report"]
        # a public URL handed out before the restart still serves the master, without a key
        assert httpx.get(published, timeout=60).content == master_bytes
        # and the admin key still creates organisations
        admin = {"Authorization": f"Bearer {second.admin_key}"}
        call(second, "POST", "/admin/orgs", headers=admin, json={"name": "Beta"}, expect=201)


# ---------------------------------------------------------------------- a crash


@dataclass
class Workload:
    """A long-running job that must finish, exactly once per output, across a crash."""

    name: str
    start: Callable[[RunningRuntime, str], dict[str, Any]]  # (runtime, api key) -> handle
    progress: Callable[[RunningRuntime, dict[str, Any]], tuple[int, int]]  # (done, total)
    verify: Callable[[RunningRuntime, str, dict[str, Any]], None]
    env: dict[str, str] = field(default_factory=dict)


LISTENERS = [{"name": f"Listener {index:02d}"} for index in range(12)]
BRIEFING = "Good morning {{name|friend}}, here is your briefing."  # one section: "default"


def start_speech(runtime: RunningRuntime, key: str) -> dict[str, Any]:
    script = call(runtime, "POST", "/script", key, json={"scriptText": BRIEFING}).json()
    created = call(
        runtime,
        "POST",
        "/speech",
        key,
        json={"scriptId": script["scriptId"], "voice": "joe", "audience": LISTENERS},
        expect=202,  # SpeechWaitSeconds=0: the job runs on after the answer
    )
    job = speech_job(runtime, script["scriptId"])
    return {"script_id": script["scriptId"], "job": job, "created": created}


def speech_job(runtime: RunningRuntime, script_id: str) -> dict[str, Any]:
    table = aws_client(runtime, "dynamodb")
    name = resources(runtime)["tables"]["AppTable"]
    items = table.scan(TableName=name)["Items"]
    script = next(i for i in items if i["sk"]["S"] == f"SCRIPT#{script_id}")
    job_id = script["latest_speech_job_id"]["S"]
    job = table.get_item(
        TableName=name, Key={"pk": script["pk"], "sk": {"S": f"JOB#{job_id}"}}, ConsistentRead=True
    )["Item"]
    return {
        "job_id": job_id,
        "total": int(job["total"]["N"]),
        "done": len(job.get("done_tasks", {}).get("NS", [])),
        "status": job["status"]["S"],
    }


def speech_progress(runtime: RunningRuntime, handle: dict[str, Any]) -> tuple[int, int]:
    job = speech_job(runtime, handle["script_id"])
    return job["done"], job["total"]


def verify_speech(runtime: RunningRuntime, key: str, handle: dict[str, Any]) -> None:
    script_id = handle["script_id"]

    def ready() -> httpx.Response | None:
        response = call(runtime, "GET", f"/speech?scriptId={script_id}", key, expect={200, 202})
        return response if response.status_code == 200 else None

    urls = wait_until(ready, 90, "the speech job to finish after the restart").json()
    # every listener's file, once
    expected = {f"default|name={listener['name']}" for listener in LISTENERS}
    assert set(urls) == expected
    download_all(urls)
    job = speech_job(runtime, script_id)
    assert job["status"] == "done"
    assert job["done"] == job["total"] == len(expected)
    # and no file was written twice under another name, or left over
    s3 = aws_client(runtime, "s3")
    listed = s3.list_objects_v2(Bucket=resources(runtime)["buckets"]["MediaBucket"])
    job_keys = [
        item["Key"]
        for item in listed.get("Contents", [])
        if f"/{job['job_id']}/" in item["Key"] and item["Key"].endswith(".wav")
    ]
    assert len(job_keys) == len(set(job_keys)) == len(expected)
    # the queue is drained, nothing went to the dead-letter queue
    sqs = aws_client(runtime, "sqs")
    for logical_id in ("SpeechQueue", "SpeechDLQ"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=resources(runtime)["queues"][logical_id], AttributeNames=["All"]
        )["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0", logical_id
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0", logical_id


BATCH_AUDIENCE = [{"name": f"Listener {index:02d}"} for index in range(24)]


def start_batch(runtime: RunningRuntime, key: str) -> dict[str, Any]:
    body = {"scriptText": SCRIPT, "voice": "joe", "endFormat": "wav", "audience": BATCH_AUDIENCE}
    created = call(runtime, "POST", "/batch", key, json=body, expect=202).json()
    org_id = call(runtime, "GET", "/org", key).json()["orgId"]
    return {"batch_id": created["batchId"], "org_id": org_id}


def batch_progress(runtime: RunningRuntime, handle: dict[str, Any]) -> tuple[int, int]:
    batch = call(runtime, "GET", f"/batch/{handle['batch_id']}", runtime.api_key).json()
    return batch["done"] + batch["failed"], batch["total"] or len(BATCH_AUDIENCE)


def verify_batch(runtime: RunningRuntime, key: str, handle: dict[str, Any]) -> None:
    def finished() -> dict[str, Any] | None:
        batch = call(runtime, "GET", f"/batch/{handle['batch_id']}", key).json()
        return batch if batch["status"] in {"done", "failed"} else None

    batch = wait_until(finished, 180, "the batch to finish after the restart")
    assert (batch["status"], batch["total"], batch["done"], batch["failed"]) == (
        "done",
        len(BATCH_AUDIENCE),
        len(BATCH_AUDIENCE),
        0,
    )
    # the manifest maps every listener to its own master, and each master exists once
    manifest = httpx.get(batch["manifest"]["json"], timeout=60).json()
    assert [entry["parameters"] for entry in manifest] == BATCH_AUDIENCE
    keys = [entry["key"] for entry in manifest]
    assert len(set(keys)) == len(BATCH_AUDIENCE)
    s3 = aws_client(runtime, "s3")
    listed = s3.list_objects_v2(
        Bucket=resources(runtime)["buckets"]["MediaBucket"],
        Prefix=f"orgs/{handle['org_id']}/batches/masters/",
    )
    masters = [i["Key"] for i in listed.get("Contents", []) if i["Key"].endswith(".wav")]
    assert sorted(masters) == sorted(keys)
    response = httpx.get(manifest[0]["url"], timeout=60)
    assert response.status_code == 200 and response.content[:4] == b"RIFF"
    sqs = aws_client(runtime, "sqs")
    for logical_id in ("BatchQueue", "BatchDLQ", "BatchChunkQueue", "BatchChunkDLQ"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=resources(runtime)["queues"][logical_id], AttributeNames=["All"]
        )["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0", logical_id
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0", logical_id


CRASH_WORKLOADS = [
    Workload(
        "speech",
        start=start_speech,
        progress=speech_progress,
        verify=verify_speech,
        env={"AUDIOFN_PARAM_SpeechWaitSeconds": "0"},
    ),
    Workload(
        "batch",
        start=start_batch,
        progress=batch_progress,
        verify=verify_batch,
        env={"AUDIOFN_BATCH_CHUNK_SIZE": "2"},
    ),
]


@pytest.mark.parametrize("workload", CRASH_WORKLOADS, ids=lambda w: w.name)
def test_a_crash_mid_job_loses_only_work_in_progress(tmp_path: Path, workload: Workload) -> None:
    data_dir, keys = tmp_path / "data", fixed_keys()
    env = {**keys, **workload.env}

    # Given a job that has started but not finished
    with start_runtime(data_dir, cwd=ROOT, **env) as first:  # type: ignore[arg-type]
        handle = workload.start(first, first.api_key)
        done, total = wait_until(
            lambda: (p := workload.progress(first, handle))[0] >= 2 and p,
            60,
            f"the {workload.name} job to get going",
        )
        # When the runtime and its workers are killed at once, mid-job
        first.kill()
        assert first.process.returncode == -signal.SIGKILL
        wait_until(lambda: not group_alive(first.process.pid), 5, "the process group to end")
    assert done < total, f"the {workload.name} job finished before the crash; make it longer"

    # Then after a restart the job finishes: every output exactly once
    with start_runtime(data_dir, cwd=ROOT, **env) as second:  # type: ignore[arg-type]
        workload.verify(second, second.api_key, handle)
