"""Loggers of the runtime itself, kept outside the `audiofn` logger hierarchy.

Powertools' `Logger(service="audiofn")` owns the `audiofn` logger and stamps the current
handler's context (function name, cold start) on every record under it; the runtime's own
messages must not look as if a handler wrote them.
"""

from __future__ import annotations

import logging

ROOT_LOGGER = "audiofn_local"


def runtime_logger(module_name: str) -> logging.Logger:
    """`audiofn.local.gateway` -> the `audiofn_local.gateway` logger."""
    return logging.getLogger(f"{ROOT_LOGGER}.{module_name.rsplit('.', 1)[-1]}")
