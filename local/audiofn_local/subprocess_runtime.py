"""Start `python -m audiofn_local.cli run` as a child process and wait until it is ready.

Used by the end-to-end tests and the benchmark, which drive the runtime over HTTP exactly
as a user does after `make run`, and by the restart tests, which stop it (SIGTERM) or crash
it (SIGKILL of its whole process group) and start it again on the same data directory:
pass the same `AUDIOFN_API_KEY`/`AUDIOFN_ADMIN_KEY` as keyword arguments to keep the keys.
"""

from __future__ import annotations

import contextlib
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
    ready_seconds: float = 0.0  # from the spawn to the first 200 of /health
    inbox_dir: Path | None = None
    outbox_dir: Path | None = None

    def stop(self, timeout: float = 20) -> float:
        """SIGTERM, as Ctrl+C or a service manager would; the seconds until it exited."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise
        return time.monotonic() - started

    def kill(self) -> None:
        """SIGKILL the runtime and every process of its group (HTTP workers included)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def start_runtime(
    data_dir: Path, *, cwd: Path, ready_seconds: float = 120, **extra_env: str
) -> Iterator[RunningRuntime]:
    """A runtime on free ports, fresh keys unless given, stopped with SIGTERM at the end.

    The runtime leads its own process group, so `RunningRuntime.kill()` crashes it whole.
    Its output is appended to `data_dir/runtime.log` (restarts add to it).
    """
    port = int(extra_env.get("AUDIOFN_PORT") or free_port())  # a fixed port survives restarts
    env = {
        **os.environ,
        "AUDIOFN_PORT": str(port),
        "AUDIOFN_AWS_PORT": str(free_port()),
        "AUDIOFN_API_KEY": secrets.token_urlsafe(32),
        "AUDIOFN_ADMIN_KEY": secrets.token_urlsafe(32),
        "AUDIOFN_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        "AUDIOFN_INBOX_DIR": str(data_dir / "inbox"),
        "AUDIOFN_OUTBOX_DIR": str(data_dir / "outbox"),
        **extra_env,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "runtime.log"
    with log_path.open("a") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "audiofn_local.cli", "run"],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        running = RunningRuntime(
            url=f"http://127.0.0.1:{port}",
            api_key=env["AUDIOFN_API_KEY"],
            admin_key=env["AUDIOFN_ADMIN_KEY"],
            log_path=log_path,
            process=process,
            inbox_dir=Path(env["AUDIOFN_INBOX_DIR"]),
            outbox_dir=Path(env["AUDIOFN_OUTBOX_DIR"]),
        )
        try:
            _wait_until_ready(running.url, process, log_path, ready_seconds)
            running.ready_seconds = time.monotonic() - started
            yield running
        finally:
            if process.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    running.stop()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # nothing of the group outlives it


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
        time.sleep(0.1)
