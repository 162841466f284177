"""Start `python -m audiofn.cli run` as a child process and wait until it is ready.

Used by the end-to-end tests and the benchmark, which drive the runtime over HTTP exactly
as a user does after `make run`.
"""

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
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningRuntime:
    url: str
    api_key: str
    admin_key: str
    log_path: Path
    process: subprocess.Popen[bytes]


@contextmanager
def start_runtime(
    data_dir: Path, *, cwd: Path, ready_seconds: float = 120, **extra_env: str
) -> Iterator[RunningRuntime]:
    """A runtime on free ports with fresh keys, stopped with SIGTERM when the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "AUDIOFN_PORT": str(port),
        "AUDIOFN_AWS_PORT": str(free_port()),
        "AUDIOFN_API_KEY": secrets.token_urlsafe(32),
        "AUDIOFN_ADMIN_KEY": secrets.token_urlsafe(32),
        "AUDIOFN_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "runtime.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "audiofn.cli", "run"],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_ready(url, process, log_path, ready_seconds)
            yield RunningRuntime(
                url=url,
                api_key=env["AUDIOFN_API_KEY"],
                admin_key=env["AUDIOFN_ADMIN_KEY"],
                log_path=log_path,
                process=process,
            )
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_ready(
    url: str, process: subprocess.Popen[bytes], log_path: Path, seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the runtime exited early:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the runtime was not ready in {seconds:.0f} s")
        time.sleep(0.25)
