"""Property-based fuzzing of the HTTP API from its own OpenAPI document (schemathesis), against
the local runtime: no 5xx, no undocumented status or content type, no body that violates the
documented schema. `make fuzz` runs the same with many more examples."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

CHECKS = (
    "not_a_server_error,response_schema_conformance,status_code_conformance,"
    "content_type_conformance"
)

OTHER_FUNCTIONS_PATHS = r"^/(v1/audio/(speech|transcriptions)|speech/sync|sync_speech/)"


def run_schemathesis(
    url: str, api_key: str, max_examples: int, workdir
) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-c",
        "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
        "run",
        f"{url}/openapi.json",
        "-H",
        f"x-api-key: {api_key}",
        "--checks",
        CHECKS,
        # Audio in and out (synthesis, Whisper, a websocket): the functions' own tests drive
        # these with real clients.
        "--exclude-path-regex",
        OTHER_FUNCTIONS_PATHS,
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        str(max_examples),
        "--seed",
        os.environ.get("AUDIOFN_FUZZ_SEED", "20261121"),
    ]
    return subprocess.run(
        command, check=False, cwd=workdir, capture_output=True, text=True, timeout=900
    )


def test_the_api_survives_schema_driven_fuzzing(runtime, tmp_path):
    examples = int(os.environ.get("AUDIOFN_FUZZ_EXAMPLES", "12"))

    result = run_schemathesis(runtime.url, runtime.api_key, examples, tmp_path)

    summary = result.stdout[-6000:]
    assert result.returncode == 0, summary
    assert "Server error" not in summary
