"""Loggers of the runtime itself, kept outside the `audiofn` logger hierarchy.

Powertools' `Logger(service="audiofn")` owns the `audiofn` logger and stamps the current
handler's context (function name, cold start) on every record under it; the runtime's own
messages must not look as if a handler wrote them.
"""

from __future__ import annotations

import logging

ROOT_LOGGER = "audiofn_local"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def runtime_logger(module_name: str) -> logging.Logger:
    """`audiofn_local.gateway` -> the `audiofn_local.gateway` logger."""
    return logging.getLogger(f"{ROOT_LOGGER}.{module_name.rsplit('.', 1)[-1]}")


def configure_worker_logging(level: int) -> None:
    """Logging in a worker process as `audiofn run` sets it up in the runtime's process.

    A spawned worker starts with no logging configuration; without this a handler's stdlib
    log records would reach stderr bare (the last-resort handler) and the runtime's at none.
    """
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    runtime_log = logging.getLogger(ROOT_LOGGER)
    if not runtime_log.handlers:
        # Its own handler: Powertools' Logger filters the root handlers (see the CLI).
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        runtime_log.addHandler(handler)
    runtime_log.setLevel(level)
    runtime_log.propagate = False
