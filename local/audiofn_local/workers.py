"""HTTP-triggered functions in worker processes, each one a Lambda execution environment.

Why processes: Powertools' `APIGatewayHttpResolver` keeps the request it is resolving on class
attributes (`BaseRouter.current_event`, `BaseRouter.lambda_context`) shared by every resolver
in a process. Lambda runs one event per process at a time, so that is safe there; two requests
resolved at once in threads of one process would read each other's event, API key included.
Each worker here is a process that imports the function's `app.py` once when it starts (the
cold start) and then handles one event at a time, which is Lambda's model exactly. HTTP
requests therefore run concurrently (up to `AUDIOFN_LOCAL_HTTP_WORKERS` per function) without
sharing anything, and a long `POST /speech` wait holds only its own worker.

Workers are started with `spawn` after the runtime has written the template's environment into
`os.environ`, so they inherit it (AWS_ENDPOINT_URL, fake credentials, ...) and none of the
runtime's threads (moto, uvicorn, pollers) that `fork` would copy in mid-flight. A worker is a
plain process on a pipe rather than a slot of a shared `ProcessPoolExecutor`: when a worker of
an executor dies (a segfault in native code), the executor fails every request in flight and
stops its other workers; here only the request being handled fails (502) and the next one gets
a fresh worker, as Lambda replaces a crashed environment. A worker ignores Ctrl+C (the terminal
signals the whole process group) and exits when the runtime tells it to, or when the runtime's
process is gone.

SQS-triggered functions stay on threads of the runtime's process (`handlers.FunctionPool`):
their Powertools batch processor keeps its state per instance, each poller thread has its own
import of the handler module, and models load once per process.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, NoReturn

from audiofn_local.handlers import HandlerLoadError, load_handler, warn_if_over_timeout
from audiofn_local.lambda_context import new_context
from audiofn_local.logs import ROOT_LOGGER, configure_worker_logging, runtime_logger
from audiofn_local.naming import REGION
from audiofn_local.process_memory import return_large_blocks_to_the_system
from audiofn_local.template_model import FunctionSpec

LOG = runtime_logger(__name__)
SPAWN = multiprocessing.get_context("spawn")
DEFAULT_WORKERS = 4
START_SECONDS = 120.0  # how long a worker may take to start and import its handler
_KILL_AFTER_SECONDS = 1.0  # between terminate() and kill() when stopping


class WorkerDied(RuntimeError):
    """The worker process ended while it handled the event; the gateway answers 502."""


class PoolClosed(RuntimeError):
    """The runtime is stopping and starts no more HTTP invocations; the gateway answers 503."""


class HandlerFailed(RuntimeError):
    """The handler raised in its worker (the traceback is logged); the gateway answers 500."""


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs to become an execution environment (the context is built there)."""

    logical_id: str
    code_dir: Path
    handler: str
    function_name: str
    memory_size: int
    timeout: int
    region: str
    index: int
    log_level: int

    @property
    def module_name(self) -> str:
        safe_id = re.sub(r"\W", "_", self.logical_id)
        return f"_audiofn_local_{safe_id}_{self.index}"


# ---------------------------------------------------------------------- in the worker


def worker_main(conn: Connection, config: WorkerConfig) -> None:
    """The execution environment: import the handler once, then one event at a time.

    Replies on `conn`: ("ready", init_ms) or ("load-error", message, traceback) once, then
    ("ok", result, seconds) or ("error", traceback, seconds) per event; None asks it to exit.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runtime decides when workers stop
    return_large_blocks_to_the_system()
    configure_worker_logging(config.log_level)
    _exit_with_parent()
    started = time.perf_counter()
    try:
        handler = load_handler(config.code_dir, config.handler, config.module_name)
    except Exception as error:
        conn.send(("load-error", str(error), "".join(traceback.format_exception(error)).rstrip()))
        return
    conn.send(("ready", (time.perf_counter() - started) * 1000))
    log_stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
    while True:
        try:
            request = conn.recv()
        except EOFError:
            _exit_at_once()
        if request is None:
            _exit_at_once()
        request_id, event = request
        context = new_context(
            config.function_name,
            config.memory_size,
            config.timeout,
            log_stream,
            config.region,
            aws_request_id=request_id,
        )
        started = time.perf_counter()
        reply: tuple[Any, ...]
        try:
            result = handler(event, context)
        except Exception as error:
            # The handler's own frames, as Lambda's stackTrace shows them.
            frames = error.__traceback__.tb_next if error.__traceback__ else None
            text = "".join(traceback.format_exception(type(error), error, frames)).rstrip()
            reply = ("error", text, time.perf_counter() - started)
        else:
            reply = ("ok", result, time.perf_counter() - started)
        try:
            conn.send(reply)  # pickled whole before anything is written
        except Exception as error:
            conn.send(("error", f"the result could not be returned: {error!r}", reply[2]))


def _exit_at_once() -> NoReturn:
    """End an idle worker without tearing its interpreter down: unloading the model runtimes
    of a dozen workers took seconds of a stop, and an idle worker has nothing to finish."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _exit_with_parent() -> None:
    """End this worker, even mid-event, as soon as the runtime's process is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="audiofn-parent-watch", daemon=True).start()


# ---------------------------------------------------------------------- in the runtime


class _Worker:
    """The runtime's end of one worker process."""

    def __init__(self, config: WorkerConfig):
        self.config = config
        self.conn, child_conn = SPAWN.Pipe()
        self.process = SPAWN.Process(
            target=worker_main,
            args=(child_conn, config),
            name=f"audiofn-{config.logical_id}-{config.index}",
            daemon=True,  # never outlives the runtime, even if it skips stop()
        )
        self.process.start()
        child_conn.close()  # so a dead worker reads as EOF here

    @property
    def index(self) -> int:
        return self.config.index

    def wait_ready(self, timeout: float) -> float:
        """The worker's init duration (ms) once it has imported the handler."""
        where = f"{self.config.logical_id} (worker {self.index})"
        if not self.conn.poll(timeout):
            raise HandlerLoadError(f"{where} did not import its handler within {timeout:.0f} s")
        try:
            reply = self.conn.recv()
        except (EOFError, OSError) as error:
            raise HandlerLoadError(f"{where} {self.exit_description()} while starting") from error
        if reply[0] == "load-error":
            LOG.error("%s could not import its handler\n%s", where, reply[2])
            raise HandlerLoadError(reply[1])
        return float(reply[1])

    def call(self, request_id: str, event: Any) -> tuple[Any, ...]:
        try:
            self.conn.send((request_id, event))
            reply: tuple[Any, ...] = self.conn.recv()
        except (EOFError, OSError) as error:
            raise WorkerDied(self.exit_description()) from error
        return reply

    def ask_to_exit(self) -> None:
        with contextlib.suppress(OSError):  # already gone
            self.conn.send(None)

    def exit_description(self) -> str:
        self.process.join(1.0)
        code = self.process.exitcode
        if code is None:
            return "stopped answering"
        if code < 0:
            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with code {code}"


class ProcessFunctionPool:
    """Up to `workers` processes for one HTTP-triggered function; `invoke` uses a free one.

    `start()` spawns them all (they import in parallel), `wait_ready()` waits for every cold
    start; `warm_up()` does both. `close()` then `join()` stop them within a budget.
    """

    def __init__(
        self,
        spec: FunctionSpec,
        function_name: str,
        workers: int = DEFAULT_WORKERS,
        region: str = REGION,
        log_level: int | None = None,
    ):
        self.spec = spec
        self.function_name = function_name
        self.max_workers = max(1, workers)
        self.region = region
        self.log_level = (
            logging.getLogger(ROOT_LOGGER).getEffectiveLevel() if log_level is None else log_level
        )
        self._workers: list[_Worker] = []  # every live process: idle, busy or starting
        self._idle: list[_Worker] = []
        self._starting: list[_Worker] = []  # spawned by start(), not yet ready
        self._reserved = 0  # slots taken by live workers and workers being spawned
        self._last_index = 0
        self._closed = False
        self._available = threading.Condition()

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Spawn every worker now; they import the handler while the caller does other work."""
        while True:
            with self._available:
                if self._closed or self._reserved >= self.max_workers:
                    return
                index = self._reserve_locked()
            self._starting.append(self._spawn(index))

    def wait_ready(self, timeout: float = START_SECONDS) -> None:
        """Wait until every worker `start()` spawned has imported its handler."""
        deadline = time.monotonic() + timeout
        starting, self._starting = self._starting, []
        failure: HandlerLoadError | None = None
        for worker in starting:
            try:
                init_ms = worker.wait_ready(max(0.0, deadline - time.monotonic()))
            except HandlerLoadError as error:
                failure = failure or error
                self._discard(worker)
                continue
            self._log_ready(worker, init_ms)
            self._checkin(worker)
        if failure is not None:
            raise failure

    def warm_up(self) -> None:
        self.start()
        self.wait_ready()

    def close(self) -> None:
        """Start no more invocations: idle workers exit now, busy ones after their event."""
        with self._available:
            self._closed = True
            idle, self._idle = self._idle, []
            self._available.notify_all()
        for worker in idle:
            worker.ask_to_exit()

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the workers to exit, then stop the rest; True if none was."""
        self.close()
        deadline = time.monotonic() + timeout
        with self._available:
            workers = list(self._workers)
        for worker in workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
        stuck = [worker for worker in workers if worker.process.is_alive()]
        for worker in stuck:
            worker.process.terminate()
        for worker in stuck:
            worker.process.join(_KILL_AFTER_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(_KILL_AFTER_SECONDS)
        return not stuck

    # ------------------------------------------------------------------ invocations

    def invoke(self, event: Any) -> Any:
        """Run the handler on `event` in a free worker and return its result.

        Raises HandlerFailed (the handler raised), WorkerDied (the process ended) or
        PoolClosed (the runtime is stopping); the first two are logged here.
        """
        request_id = str(uuid.uuid4())
        worker = self._checkout()
        try:
            reply = worker.call(request_id, event)
        except WorkerDied as died:
            self._discard(worker)
            if self._closed:
                LOG.warning(
                    "%s: stopped during RequestId %s (shutdown)", self.spec.logical_id, request_id
                )
                raise PoolClosed("the runtime is stopping") from died
            LOG.error(
                "%s: worker %d %s during RequestId %s; the next request gets a new worker",
                self.spec.logical_id,
                worker.index,
                died,
                request_id,
            )
            raise
        self._checkin(worker)
        status, payload, elapsed = reply
        warn_if_over_timeout(self.spec, elapsed)
        LOG.debug(
            "REPORT %s RequestId: %s Duration: %.1f ms (worker %d)",
            self.spec.logical_id,
            request_id,
            elapsed * 1000,
            worker.index,
        )
        if status == "error":
            LOG.error("%s raised (RequestId: %s)\n%s", self.spec.logical_id, request_id, payload)
            raise HandlerFailed(payload.rsplit("\n", 1)[-1])
        return payload

    def _checkout(self) -> _Worker:
        with self._available:
            while True:
                if self._closed:
                    raise PoolClosed("the runtime is stopping")
                while self._idle:
                    worker = self._idle.pop()  # the most recently used: the warmest
                    if worker.process.is_alive():
                        return worker
                    LOG.warning(
                        "%s: idle worker %d %s; starting another",
                        self.spec.logical_id,
                        worker.index,
                        worker.exit_description(),
                    )
                    self._forget_locked(worker)
                if self._reserved < self.max_workers:
                    index = self._reserve_locked()
                    break
                self._available.wait()
        # A cold start, on the request that needs it (as in Lambda after a crash).
        worker = self._spawn(index)
        try:
            init_ms = worker.wait_ready(START_SECONDS)
        except BaseException as error:
            self._discard(worker)
            LOG.error("%s: a new worker could not start: %s", self.spec.logical_id, error)
            raise
        self._log_ready(worker, init_ms)
        return worker

    def _checkin(self, worker: _Worker) -> None:
        with self._available:
            if not self._closed:
                self._idle.append(worker)
                self._available.notify()
                return
        worker.ask_to_exit()

    # ------------------------------------------------------------------ bookkeeping

    def _reserve_locked(self) -> int:
        self._reserved += 1
        self._last_index += 1
        return self._last_index

    def _spawn(self, index: int) -> _Worker:
        config = WorkerConfig(
            logical_id=self.spec.logical_id,
            code_dir=self.spec.code_dir,
            handler=self.spec.handler,
            function_name=self.function_name,
            memory_size=self.spec.memory_size,
            timeout=self.spec.timeout,
            region=self.region,
            index=index,
            log_level=self.log_level,
        )
        try:
            worker = _Worker(config)
        except BaseException:
            with self._available:
                self._reserved -= 1
                self._available.notify()
            raise
        with self._available:
            self._workers.append(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        """Forget a worker that failed or died (and make sure it is gone)."""
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(_KILL_AFTER_SECONDS)
        with self._available:
            self._forget_locked(worker)

    def _forget_locked(self, worker: _Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
            self._reserved -= 1
        worker.process.join(0)
        worker.conn.close()
        self._available.notify()

    def _log_ready(self, worker: _Worker, init_ms: float) -> None:
        LOG.info(
            "%s: worker process %d (pid %s) initialised in %.0f ms",
            self.spec.logical_id,
            worker.index,
            worker.process.pid,
            init_ms,
        )
