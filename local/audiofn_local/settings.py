"""The local runtime's knobs, read from the environment (what `make run` passes through)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE_NAME = "template.yaml"
DEFAULT_PORT = 3000
DEFAULT_DATA_DIR = ".audiofn-data"
DEFAULT_RETRY_SECONDS = 5
DEFAULT_HTTP_WORKERS = 4
CONCURRENCY_PREFIX = "AUDIOFN_LOCAL_CONCURRENCY_"


@dataclass(frozen=True)
class RuntimeSettings:
    """Everything `LocalRuntime` needs besides the template itself.

    `concurrency` is the number of poller threads per SQS event source; an entry in
    `function_concurrency` (from `AUDIOFN_LOCAL_CONCURRENCY_<LogicalId>`) overrides it for one
    function. `http_workers` (`AUDIOFN_LOCAL_HTTP_WORKERS`) is the number of worker processes
    per HTTP-triggered function, so the number of its requests handled at once (see
    `workers.ProcessFunctionPool`).
    """

    template_path: Path
    port: int = DEFAULT_PORT
    aws_port: int = 0
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    retry_seconds: int = DEFAULT_RETRY_SECONDS
    concurrency: int = 1
    function_concurrency: Mapping[str, int] = field(default_factory=dict)
    http_workers: int = DEFAULT_HTTP_WORKERS
    shutdown_seconds: float = 10.0
    bootstrap: bool = True
    # Mirrored to and from the inbox bucket; None: not mirrored. From the environment the
    # defaults are ./inbox and ./outbox (AUDIOFN_INBOX_DIR=off turns it off).
    inbox_dir: Path | None = None
    outbox_dir: Path | None = None
    # Requests a second per API key, and the burst allowed (0 turns the limit off).
    rate_limit: float = 50.0
    rate_burst: float = 100.0

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        template_path: Path | None = None,
        bootstrap: bool = True,
    ) -> RuntimeSettings:
        env = os.environ if environ is None else environ
        template = template_path or (
            Path(env["AUDIOFN_TEMPLATE"]) if env.get("AUDIOFN_TEMPLATE") else find_template()
        )
        return cls(
            template_path=template.resolve(),
            port=_int(env, "AUDIOFN_PORT", DEFAULT_PORT),
            aws_port=_int(env, "AUDIOFN_AWS_PORT", 0),
            data_dir=Path(env.get("AUDIOFN_DATA_DIR") or DEFAULT_DATA_DIR).resolve(),
            retry_seconds=_int(env, "AUDIOFN_LOCAL_RETRY_SECONDS", DEFAULT_RETRY_SECONDS),
            concurrency=max(1, _int(env, "AUDIOFN_LOCAL_CONCURRENCY", 1)),
            function_concurrency={
                name[len(CONCURRENCY_PREFIX) :]: max(1, _int(env, name, 1))
                for name in env
                if name.startswith(CONCURRENCY_PREFIX)
            },
            http_workers=max(1, _int(env, "AUDIOFN_LOCAL_HTTP_WORKERS", DEFAULT_HTTP_WORKERS)),
            shutdown_seconds=float(env.get("AUDIOFN_LOCAL_SHUTDOWN_SECONDS") or 10.0),
            bootstrap=bootstrap,
            rate_limit=float(env.get("AUDIOFN_LOCAL_RATE_LIMIT") or 50),
            rate_burst=float(env.get("AUDIOFN_LOCAL_RATE_BURST") or 100),
            inbox_dir=_folder(env, "AUDIOFN_INBOX_DIR", "inbox"),
            outbox_dir=_folder(env, "AUDIOFN_OUTBOX_DIR", "outbox"),
        )

    def pollers_per_event(self, function_id: str) -> int:
        return self.function_concurrency.get(function_id, self.concurrency)


def find_template(start: Path | None = None) -> Path:
    """`template.yaml` in the working directory or the nearest parent that has one."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / TEMPLATE_NAME
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no {TEMPLATE_NAME} in {here} or its parents; run from the repository or set "
        "AUDIOFN_TEMPLATE"
    )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ValueError(f"{name}={value!r} is not a whole number") from error


def _folder(env: Mapping[str, str], name: str, default: str) -> Path | None:
    value = env.get(name, default).strip()
    return None if value.lower() in {"", "off", "none"} else Path(value).resolve()
