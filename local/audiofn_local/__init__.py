"""The local runtime: the template's functions on one machine, without AWS or Docker.

`python -m audiofn_local.cli run` (or `make run`) starts it. The wiring (routes, queues, buckets,
tables, triggers, environment) is read from `template.yaml`, so local and cloud cannot
drift. Modules, in the order the runtime uses them:

- `cfn_yaml`, `template_model`, `sam_globals`: read the template into a typed model
- `intrinsics`, `resources`, `naming`: resolve `!Ref`/`!GetAtt`/`!Sub` to local values
- `aws_server`, `provisioning`: moto on 127.0.0.1 with every queue, bucket and table
- `durable_moto`, `moto_state`, `state_store`: moto's state kept in the data directory, every
  answered write saved first, restored at the next start
- `environment`, `keys`: the process environment and the bootstrap keys
- `handlers`, `lambda_context`: import handlers and invoke them like Lambda
- `workers`: HTTP-triggered functions in worker processes, one event per process at a time
- `routes`, `http_events`, `gateway`: API Gateway HTTP API (payload 2.0) in front of them
- `sqs_events`, `sqs_poller`: SQS event source mappings with partial batch failures
- `settings`, `runtime`: the knobs and the start/serve/stop life cycle

`LocalRuntime` and `RuntimeSettings` are imported on first use: a worker process imports
`audiofn_local.workers`, and should not pay for moto and uvicorn on every cold start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audiofn_local.runtime import LocalRuntime
    from audiofn_local.settings import RuntimeSettings

__all__ = ["LocalRuntime", "RuntimeSettings"]
_LAZY = {"LocalRuntime": "audiofn_local.runtime", "RuntimeSettings": "audiofn_local.settings"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
