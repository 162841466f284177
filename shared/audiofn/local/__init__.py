"""The local runtime: the template's functions on one machine, without AWS or Docker.

`python -m audiofn.cli run` (or `make run`) starts it. The wiring (routes, queues, buckets,
tables, triggers, environment) is read from `template.yaml`, so local and cloud cannot
drift. Modules, in the order the runtime uses them:

- `cfn_yaml`, `template_model`, `sam_globals`: read the template into a typed model
- `intrinsics`, `resources`, `naming`: resolve `!Ref`/`!GetAtt`/`!Sub` to local values
- `aws_server`, `provisioning`: moto on 127.0.0.1 with every queue, bucket and table
- `environment`, `keys`: the process environment and the bootstrap keys
- `handlers`, `lambda_context`: import handlers and invoke them like Lambda
- `routes`, `http_events`, `gateway`: API Gateway HTTP API (payload 2.0) in front of them
- `sqs_events`, `sqs_poller`: SQS event source mappings with partial batch failures
- `settings`, `runtime`: the knobs and the start/serve/stop life cycle
"""

from audiofn.local.runtime import LocalRuntime
from audiofn.local.settings import RuntimeSettings

__all__ = ["LocalRuntime", "RuntimeSettings"]
