"""The local runtime, started once per session as `make run` starts it, on free ports."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def start_runtime(data_dir: Path, **extra_env: str) -> Iterator[SimpleNamespace]:
    """`python -m audiofn.cli run` as `make run` starts it; stopped with SIGTERM afterwards."""
    port = free_port()
    env = {
        **os.environ,
        **extra_env,
        "AUDIOFN_PORT": str(port),
        "AUDIOFN_AWS_PORT": str(free_port()),
        "AUDIOFN_API_KEY": secrets.token_urlsafe(32),
        "AUDIOFN_ADMIN_KEY": secrets.token_urlsafe(32),
        "AUDIOFN_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = data_dir / "runtime.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "audiofn.cli", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"runtime exited early:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"runtime not ready in 120 s:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.25)
    try:
        yield SimpleNamespace(
            url=url,
            api_key=env["AUDIOFN_API_KEY"],
            admin_key=env["AUDIOFN_ADMIN_KEY"],
            log_path=log_path,
            process=process,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    with start_runtime(tmp_path_factory.mktemp("audiofn-data")) as started:
        yield started


@pytest.fixture(scope="session")
def transcriber():
    from audiofn.stt.whisper import get_transcriber

    return get_transcriber()
