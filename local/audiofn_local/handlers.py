"""Load handler modules and invoke them the way Lambda does, one event per environment.

`load_handler` imports a handler file; every execution environment uses it, in this process
or in a worker process (`workers`, where HTTP-triggered functions run).

`FunctionPool` serves the SQS-triggered functions (and checks that the others import) with
a small pool of execution environments in this process, one per poller thread. Each
environment is its own import of `app.py` (a unique module name, since every handler file is
called `app`), used by one invocation at a time, like a warm Lambda container. Module-level
objects in the handler file (a Powertools `BatchProcessor` keeps the batch on itself) are
then never shared by two concurrent pollers, and cold starts show where AWS would have them.
Modules the handler imports (`audiofn.*`) are shared by every environment, as one process has
one copy, so models load once. Separate imports are not enough for HTTP handlers: Powertools'
resolver keeps the current request on a class attribute (`BaseRouter.current_event`), one per
process however many copies of `app.py` there are, so each of their environments is a
process of its own.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audiofn_local.lambda_context import LambdaContext, new_context
from audiofn_local.logs import runtime_logger
from audiofn_local.naming import REGION
from audiofn_local.template_model import FunctionSpec

LOG = runtime_logger(__name__)
Handler = Callable[[Any, Any], Any]

# Imports run one at a time: module import and boto3's default session are not thread-safe.
_LOAD_LOCK = threading.Lock()
# Top-level sibling modules in a code directory -> the directory that owns the name.
_SIBLING_OWNERS: dict[str, Path] = {}


class HandlerLoadError(RuntimeError):
    """A handler could not be imported; the message names the function and the file."""


@dataclass
class ExecutionEnvironment:
    index: int
    handler: Handler
    log_stream_name: str
    init_ms: float
    invocations: int = 0


def load_handler(code_dir: Path, handler: str, module_name: str) -> Handler:
    """Import `handler` ("module.function") from `code_dir` as module `module_name`."""
    module_path, _, attribute = handler.rpartition(".")
    if not module_path or not attribute:
        raise HandlerLoadError(f"Handler {handler!r} must look like 'app.lambda_handler'")
    file = code_dir / Path(*module_path.split(".")).with_suffix(".py")
    if not file.is_file():
        package = code_dir / Path(*module_path.split(".")) / "__init__.py"
        if not package.is_file():
            raise HandlerLoadError(f"no {file} for Handler {handler!r}")
        file = package
    _claim_sibling_modules(code_dir, exclude=module_path.split(".")[0])
    if str(code_dir) not in sys.path:
        # Lambda puts the code directory on sys.path; appended here so the shared installed
        # packages keep precedence in the one process all functions share.
        sys.path.append(str(code_dir))
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise HandlerLoadError(f"cannot import {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(module_name, None)
        raise HandlerLoadError(f"importing {file} failed: {error!r}") from error
    function = getattr(module, attribute, None)
    if not callable(function):
        raise HandlerLoadError(f"{file} has no callable {attribute!r}")
    return function


def _claim_sibling_modules(code_dir: Path, exclude: str) -> None:
    """Refuse two functions that ship a top-level module of the same name.

    In Lambda each has its own /var/task; here both would get whichever loaded first.
    """
    names = {path.stem for path in code_dir.glob("*.py")}
    names |= {path.parent.name for path in code_dir.glob("*/__init__.py")}
    for name in sorted(names - {exclude}):
        owner = _SIBLING_OWNERS.setdefault(name, code_dir)
        if owner != code_dir:
            raise HandlerLoadError(
                f"{code_dir} and {owner} both have a top-level module {name!r}; the local "
                "runtime runs every function in one process, so move one into a package "
                "(or into audiofn)"
            )


class FunctionPool:
    """One function's execution environments; `invoke` runs an event in a free one."""

    def __init__(
        self,
        spec: FunctionSpec,
        function_name: str,
        max_environments: int,
        region: str = REGION,
    ):
        self.spec = spec
        self.function_name = function_name
        self.max_environments = max(1, max_environments)
        self.region = region
        self._idle: list[ExecutionEnvironment] = []
        self._created = 0
        self._available = threading.Condition()

    def warm_up(self) -> None:
        """Initialise one environment now, so import errors surface before serving."""
        self._checkin(self._checkout())

    def invoke(self, event: Any, context: LambdaContext | None = None) -> Any:
        """Run the handler on `event` and return its result; its exception propagates."""
        environment = self._checkout()
        context = context or new_context(
            self.function_name,
            self.spec.memory_size,
            self.spec.timeout,
            environment.log_stream_name,
            self.region,
        )
        started = time.perf_counter()
        try:
            return environment.handler(event, context)
        except Exception as error:
            # Log the handler's own frames, as Lambda's stackTrace shows them.
            handler_frames = error.__traceback__.tb_next if error.__traceback__ else None
            LOG.error(
                "%s raised (RequestId: %s)\n%s",
                self.spec.logical_id,
                context.aws_request_id,
                "".join(traceback.format_exception(type(error), error, handler_frames)).rstrip(),
            )
            raise
        finally:
            environment.invocations += 1
            elapsed = time.perf_counter() - started
            self._checkin(environment)
            warn_if_over_timeout(self.spec, elapsed)
            LOG.debug(
                "REPORT %s RequestId: %s Duration: %.1f ms",
                self.spec.logical_id,
                context.aws_request_id,
                elapsed * 1000,
            )

    def _checkout(self) -> ExecutionEnvironment:
        with self._available:
            while not self._idle and self._created >= self.max_environments:
                self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._created += 1
            index = self._created
        try:
            return self._create(index)
        except BaseException:
            with self._available:
                self._created -= 1
                self._available.notify()
            raise

    def _checkin(self, environment: ExecutionEnvironment) -> None:
        with self._available:
            self._idle.append(environment)
            self._available.notify()

    def _create(self, index: int) -> ExecutionEnvironment:
        safe_id = re.sub(r"\W", "_", self.spec.logical_id)
        module_name = f"_audiofn_local_{safe_id}_{index}"
        started = time.perf_counter()
        with _LOAD_LOCK:
            handler = load_handler(self.spec.code_dir, self.spec.handler, module_name)
        init_ms = (time.perf_counter() - started) * 1000
        LOG.info("%s: environment %d initialised in %.0f ms", self.spec.logical_id, index, init_ms)
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        return ExecutionEnvironment(index, handler, stream, init_ms)


def warn_if_over_timeout(spec: FunctionSpec, elapsed: float) -> None:
    """Timeouts are reported, not enforced: a Python thread cannot be stopped from outside."""
    if elapsed > spec.timeout:
        LOG.warning(
            "%s ran %.1f s, longer than its Timeout of %d s: Lambda would stop it",
            spec.logical_id,
            elapsed,
            spec.timeout,
        )
