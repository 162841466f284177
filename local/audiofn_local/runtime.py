"""The whole system on one machine: moto, the template's resources, handlers, pollers, HTTP.

Start order matters: the HTTP port is claimed first (fail fast), then moto is started and
provisioned, the environment set, keys bootstrapped, every handler imported and the pollers
started; only then does the gateway accept connections, so the first request (often
`/health`) sees a ready system.

HTTP-triggered functions run in worker processes (`workers.ProcessFunctionPool`), spawned
once `os.environ` holds the template's environment so they inherit it, and all warm (handler
imported) before the gateway serves. Powertools' HTTP resolver keeps the current request on a
class attribute, so only one request per process at a time is safe, which is Lambda's model;
processes let requests run concurrently all the same. SQS-triggered functions run on poller
threads here, each with its own import of the handler (`handlers.FunctionPool`). On SIGINT or
SIGTERM the gateway stops taking requests, in-flight work finishes within the shutdown budget,
and the workers exit (or are stopped when the budget is spent).

State is durable (see `aws_server`, `durable_moto`): moto restores the data directory before
provisioning, and every write is saved before it is answered, so stopping has nothing left
to flush. Queue messages still in flight when the budget is spent (or at a crash) are
delivered again after the next start; the handlers are idempotent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import boto3
import uvicorn
from starlette.middleware import Middleware

from audiofn.config import LOCAL_PUBLIC_PATH
from audiofn_local.aws_server import LOOPBACK, LocalAws
from audiofn_local.environment import apply_environment, build_process_environment
from audiofn_local.folder_mirror import FolderMirror
from audiofn_local.function_urls import is_streamed_url, load_url_app, url_routes
from audiofn_local.gateway import HttpApiGateway, build_gateway_app, cors_middleware
from audiofn_local.handlers import FunctionPool
from audiofn_local.keys import LocalKeys, resolve_keys, run_bootstrap
from audiofn_local.limits import RequestLimits
from audiofn_local.logs import runtime_logger
from audiofn_local.moto_state import RestoreSummary
from audiofn_local.process_memory import return_large_blocks_to_the_system
from audiofn_local.resources import LocalResources, build_resolver, function_name
from audiofn_local.routes import RouteTable
from audiofn_local.settings import RuntimeSettings
from audiofn_local.sqs_poller import SqsPoller
from audiofn_local.template_model import Template, load_template
from audiofn_local.workers import ProcessFunctionPool

LOG = runtime_logger(__name__)
_HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_TICKS_PER_WAKE = 5  # of uvicorn's 0.1 s ticks


class _GatewayServer(uvicorn.Server):
    """uvicorn, telling the runtime when it listens and when a signal asks it to stop."""

    def __init__(
        self, config: uvicorn.Config, on_started: Callable[[], None], on_exit: Callable[[], None]
    ):
        super().__init__(config)
        self._on_started = on_started
        self._on_exit = on_exit

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_exit()
        super().handle_exit(sig, frame)

    async def main_loop(self) -> None:
        """uvicorn's, waking twice a second instead of ten times (the largest share of what
        the idle runtime spent once the pollers waited); the Date header still changes every
        second (`on_tick` refreshes it when the count reaches a multiple of ten)."""
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + _TICKS_PER_WAKE) % 864000
            await asyncio.sleep(_TICKS_PER_WAKE / 10)
            should_exit = await self.on_tick(counter)


class LocalRuntime:
    """Build with settings, then `run()` (or `start()`, `serve()`, `stop()`)."""

    def __init__(self, settings: RuntimeSettings):
        self.settings = settings
        self.template: Template | None = None
        self.aws = LocalAws(port=settings.aws_port, data_dir=settings.data_dir)
        self.resources: LocalResources | None = None
        self.keys: LocalKeys | None = None
        self.functions: dict[str, FunctionPool] = {}  # in this process: SQS and the rest
        self.http_functions: dict[str, ProcessFunctionPool] = {}  # in worker processes
        self.url_apps: dict[str, Any] = {}  # streamed Function URLs: ASGI apps, this process
        self.pollers: list[SqsPoller] = []
        self.app: Any = None
        self.ready = threading.Event()
        self._socket: socket.socket | None = None
        self._server: _GatewayServer | None = None
        self._stopping = threading.Event()
        self.mirror: FolderMirror | None = None

    @property
    def url(self) -> str:
        if self._socket is None:
            raise RuntimeError("the runtime is not started")
        return f"http://{LOOPBACK}:{self._socket.getsockname()[1]}"

    # ------------------------------------------------------------------ life cycle

    def run(self) -> None:
        """Start everything, serve until SIGINT/SIGTERM, then stop cleanly."""
        try:
            self.start()
            self.serve()
        finally:
            self.stop()

    def start(self) -> None:
        return_large_blocks_to_the_system()
        self.template = template = load_template(self.settings.template_path)
        self._socket = _bind(LOOPBACK, self.settings.port)
        self.aws.start()
        self.resources = resources = self.aws.provision(template)
        resolver = build_resolver(template, resources)
        changed = apply_environment(build_process_environment(template, resolver, resources))
        for name in changed:
            LOG.warning(
                "%s was set before start; the template's value replaces it "
                "(override a parameter with AUDIOFN_PARAM_<Name>)",
                name,
            )
        _warm_boto3()
        if self.settings.bootstrap:
            self.keys = resolve_keys(self.settings.data_dir)
            run_bootstrap(self.keys)
        self._load_functions(template)
        self._start_pollers(template, resources)
        self._start_folder_mirror()
        _warn_about_unserved_triggers(template)
        gateway = HttpApiGateway(RouteTable.from_template(template), self.http_functions)
        limits = Middleware(
            RequestLimits, rate=self.settings.rate_limit, burst=self.settings.rate_burst
        )
        streamed = [route for app in self.url_apps.values() for route in url_routes(app)]
        self.app = build_gateway_app(
            gateway,
            middleware=[*cors_middleware(template), limits],
            extra_routes=[*_realtime_routes(template), *self._public_routes(), *streamed],
        )

    def serve(self) -> None:
        """Serve HTTP until asked to stop; blocks. Signals are handled in the main thread."""
        if self._socket is None or self.app is None:
            raise RuntimeError("call start() first")
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        self._server = _GatewayServer(config, self._announce, self.begin_shutdown)
        if self._stopping.is_set():
            return
        previous = {}
        if threading.current_thread() is threading.main_thread():
            previous = {sig: signal.signal(sig, self._on_signal) for sig in _HANDLED_SIGNALS}
        try:
            # uvicorn swaps in its own handlers while it runs and re-raises a caught signal
            # when it returns; ours (restored by then) just confirm the shutdown.
            self._server.run(sockets=[self._socket])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def begin_shutdown(self) -> None:
        """Stop taking new work: the pollers stop polling, the gateway stops serving."""
        if not self._stopping.is_set() and self.ready.is_set():
            LOG.info("stopping: no new batches; in-flight work finishes")
        self._stopping.set()
        for poller in self.pollers:
            poller.request_stop()
        if self._server is not None:
            self._server.should_exit = True

    def stop(self) -> None:
        """Wait (bounded) for in-flight batches and HTTP workers, then stop moto.

        Safe to call twice.
        """
        self.begin_shutdown()
        deadline = time.monotonic() + self.settings.shutdown_seconds
        for pool in self.http_functions.values():
            pool.close()  # idle workers exit now, busy ones after their request
        for poller in self.pollers:
            if not poller.join(max(0.0, deadline - time.monotonic())):
                LOG.warning(
                    "%s did not finish in %.0f s; its messages return after their "
                    "visibility timeout",
                    poller.name,
                    self.settings.shutdown_seconds,
                )
        self.pollers = []
        if self.mirror is not None:
            self.mirror.stop()
        for logical_id, pool in self.http_functions.items():
            if not pool.join(max(0.0, deadline - time.monotonic())):
                LOG.warning(
                    "%s: HTTP workers still busy after %.0f s were stopped",
                    logical_id,
                    self.settings.shutdown_seconds,
                )
        self.aws.stop()
        if self._socket is not None:
            self._socket.close()
        if self.ready.is_set():
            LOG.info("stopped")
        self.ready.clear()

    # ------------------------------------------------------------------ pieces

    def _load_functions(self, template: Template) -> None:
        # HTTP functions: worker processes, spawned first so their imports (cold starts) run
        # while this process imports the others.
        for logical_id, spec in template.functions.items():
            if spec.http_events:
                http_pool = ProcessFunctionPool(
                    spec,
                    function_name(template, logical_id),
                    workers=self.settings.http_workers,
                    region=self.aws.region,
                )
                self.http_functions[logical_id] = http_pool
                http_pool.start()
        # The others in this process: one environment per poller thread (an unserved
        # function gets one too, so a broken import still stops the start).
        for logical_id, spec in template.functions.items():
            if is_streamed_url(spec) and not spec.sqs_events:
                self.url_apps[logical_id] = load_url_app(spec, f"audiofn_url_{logical_id}")
                continue
            if spec.http_events and not spec.sqs_events:
                continue
            pollers = sum(self.settings.pollers_per_event(logical_id) for _ in spec.sqs_events)
            pool = FunctionPool(
                spec,
                function_name(template, logical_id),
                max_environments=max(1, pollers),
                region=self.aws.region,
            )
            pool.warm_up()
            self.functions[logical_id] = pool
        for http_pool in self.http_functions.values():
            http_pool.wait_ready()

    def _start_pollers(self, template: Template, resources: LocalResources) -> None:
        for logical_id, spec in template.functions.items():
            for event in spec.sqs_events:
                if not event.enabled:
                    continue
                poller = SqsPoller(
                    self.functions[logical_id],
                    event,
                    queue=resources.queues[event.queue_id],
                    client_factory=lambda: self.aws.client("sqs"),
                    region=self.aws.region,
                    retry_seconds=self.settings.retry_seconds,
                    threads=self.settings.pollers_per_event(logical_id),
                )
                poller.start()
                self.pollers.append(poller)

    def _public_routes(self) -> list[Any]:
        """The template's publicly readable bucket, at the gateway's stable public path."""
        from audiofn_local.public_files import public_file_routes, public_read_buckets

        assert self.template is not None and self.resources is not None
        public = public_read_buckets(self.template.path)
        for extra in public[1:]:
            LOG.warning(
                "%s is public too; locally only %s is served",
                extra.logical_id,
                public[0].logical_id,
            )
        if not public:
            return []
        name = self.resources.buckets[public[0].logical_id]
        return public_file_routes(name, public[0], lambda: self.aws.client("s3"))

    def _start_folder_mirror(self) -> None:
        """./inbox -> the first organisation's inbox prefix; its outbox -> ./outbox."""
        settings = self.settings
        bucket = os.environ.get("AUDIOFN_INBOX_BUCKET", "")
        if self.keys is None or not bucket or not settings.inbox_dir or not settings.outbox_dir:
            return
        from audiofn.services.orgs import hash_key
        from audiofn.storage.table import AppTable

        found = AppTable(os.environ["AUDIOFN_TABLE"]).find_key(hash_key(self.keys.api_key))
        if found is None:
            return
        self.mirror = FolderMirror(
            inbox_dir=settings.inbox_dir,
            outbox_dir=settings.outbox_dir,
            bucket=bucket,
            org_id=found[0],
            state_path=settings.data_dir / "folder-mirror.json",
            s3_factory=lambda: self.aws.client("s3"),
        )
        self.mirror.watched = self.aws.watch_objects(self.mirror.object_changed)
        self.mirror.start()

    def _announce(self) -> None:
        print(self.banner(), flush=True)
        self.ready.set()

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        self.begin_shutdown()

    def _state_line(self) -> str:
        return _restored_line(self.aws.restored if self.aws.state_path else None)

    def banner(self) -> str:
        """What a developer needs to use the running system, printed once at start."""
        template, resources = self.template, self.resources
        assert template is not None and resources is not None
        lines = [
            "",
            "audiofn local runtime ready",
            f"  url           {self.url}",
        ]
        if self.keys is not None:
            lines.append(f"  admin key     {_shown(self.keys.admin_key, self.keys.admin_source)}")
            lines.append(f"  api key       {_shown(self.keys.api_key, self.keys.api_source)}")
        else:
            lines.append("  keys          none (bootstrap skipped)")
        lines += [
            f"  docs          {self.url}/docs  (and {self.url}/ for every protocol)",
            f"  public files  {self.url}{LOCAL_PUBLIC_PATH}/…  (no key, as a CDN serves them)",
            f"  aws endpoint  {resources.endpoint_url}  (moto: S3, SQS, DynamoDB)",
            f"  data dir      {self.settings.data_dir}  ({self._state_line()})",
            f"  template      {template.path}",
        ]
        if self.mirror is not None:
            lines.append(
                f"  inbox folder  {self.mirror.inbox_dir}  (drop .txt/.md/.ssml files here)"
            )
            lines.append(f"  outbox folder {self.mirror.outbox_dir}  (masters and status.json)")
        for logical_id, spec in template.functions.items():
            triggers = [f"{e.method} {e.path}" for e in spec.http_events]
            triggers += [f"SQS {e.queue_id}" for e in spec.sqs_events]
            served = ", ".join(triggers) or "no trigger"
            if logical_id in self.http_functions:
                served += f" ({self.http_functions[logical_id].max_workers} worker processes)"
            if logical_id in self.url_apps:
                paths = sorted({getattr(r, "path", "") for r in self.url_apps[logical_id].routes})
                served = "Function URL (streamed): " + ", ".join(paths)
            lines.append(f"  function      {logical_id}: {served}")
        lines.append("  stop with Ctrl+C")
        return "\n".join(lines)


def _restored_line(restored: RestoreSummary | None) -> str:
    if restored is None:
        return "state in memory only"
    if restored.empty:
        return "new: S3, SQS and DynamoDB state is kept here across restarts"
    return f"restored {restored.describe()} in {restored.seconds:.1f} s"


def _warn_about_unserved_triggers(template: Template) -> None:
    """Say which triggers in the template nothing feeds locally (yet)."""
    for logical_id, spec in template.functions.items():
        unserved = [f"{name} ({kind})" for name, kind in spec.other_events]
        unserved += [f"{event.name} (S3, direct)" for event in spec.s3_events]
        if spec.url is not None and not is_streamed_url(spec):
            unserved.append(f"FunctionUrlConfig ({spec.url.invoke_mode})")
        if unserved:
            LOG.warning("%s: not served locally: %s", logical_id, ", ".join(unserved))


def _realtime_routes(template: Template) -> list[Any]:
    """The realtime transcription websocket, when the template declares a WebSocket API."""
    from audiofn_local.realtime_ws import RealtimeOptions, realtime_routes, websocket_api_ids

    if not websocket_api_ids(template.path):
        return []
    from audiofn.config import RealtimeSettings, load_settings

    settings = load_settings(RealtimeSettings)
    return realtime_routes(
        RealtimeOptions(idle_seconds=settings.idle_seconds, endpoint_ms=settings.endpoint_ms)
    )


def _shown(key: str, source: str) -> str:
    if source in {"generated", "saved"}:
        return f"{key}  ({source})"
    return f"from {source}"


def _bind(host: str, port: int) -> socket.socket:
    """Claim the HTTP port now; connections are accepted only once uvicorn listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise OSError(f"cannot use {host}:{port} ({error.strerror}); set AUDIOFN_PORT") from error
    return sock


def _warm_boto3() -> None:
    """Create boto3's default session once, before handler threads race to create it."""
    for service in ("s3", "sqs", "dynamodb"):
        boto3.client(service)
