"""The API through curl, as the README shows it."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def curl(*args: str) -> tuple[int, dict]:
    result = subprocess.run(
        ["curl", "-sS", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body or "null")


@pytest.fixture(autouse=True)
def _needs_curl():
    if shutil.which("curl") is None:
        pytest.fail("curl is not installed")


def test_health_reports_local_resources(runtime):
    status, body = curl(f"{runtime.url}/health")

    assert status == 200
    assert body["mode"] == "local"
    assert body["aws"]["endpointUrl"].startswith("http://127.0.0.1:")
    assert body["aws"]["buckets"] and body["aws"]["queues"] and body["aws"]["tables"]


def test_script_and_speech_with_curl(runtime, tmp_path):
    key = ("-H", f"x-api-key: {runtime.api_key}", "-H", "Content-Type: application/json")
    status, script = curl(
        *key, "-d", '{"scriptText": "Good morning from curl"}', f"{runtime.url}/script"
    )
    assert status == 200

    status, speech = curl(
        *key,
        "-d",
        json.dumps({"scriptId": script["scriptId"], "voice": "joe"}),
        f"{runtime.url}/speech",
    )
    assert status == 200 and speech["status"] == "done"

    status, urls = curl(*key, f"{runtime.url}/speech?scriptId={script['scriptId']}")
    assert status == 200
    target = tmp_path / "speech.wav"
    subprocess.run(["curl", "-sSf", "-o", str(target), urls["default"]], check=True, timeout=60)
    assert target.read_bytes()[:4] == b"RIFF"


def test_errors_are_json_with_the_field(runtime):
    status, body = curl(f"{runtime.url}/script")
    assert status == 401 and "API key" in body["message"]

    status, body = curl(
        "-H",
        f"Authorization: Bearer {runtime.api_key}",
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"scriptText": "Hello", "projectName": "../../etc"}',
        f"{runtime.url}/script",
    )
    assert status == 400 and body["field"] == "projectName"


def test_admin_cli_creates_an_organisation(runtime):
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "audiofn_local.cli",
            "create-org",
            "Radio Two",
            "--url",
            runtime.url,
            "--admin-key",
            runtime.admin_key,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    status, org = curl("-H", f"Authorization: Token {created['apiKey']}", f"{runtime.url}/org")
    assert status == 200 and org["orgName"] == "Radio Two"
