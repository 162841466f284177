"""The context object a handler receives, with the attributes the Lambda Python runtime sets."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from audiofn_local.naming import function_arn


@dataclass
class LambdaContext:
    """What `awslambdaric` passes as `context`; Powertools reads these names."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    log_stream_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if not self._deadline:
            self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the function's Timeout, as Lambda counts from invoke start."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def new_context(
    function_name: str,
    memory_size: int,
    timeout: int,
    log_stream_name: str,
    region: str,
    *,
    aws_request_id: str | None = None,
) -> LambdaContext:
    """A fresh context for one invocation (a new request id unless given; the clock starts now).

    Built where the handler runs: a worker process gets these values, not the object.
    """
    return LambdaContext(
        function_name=function_name,
        memory_limit_in_mb=memory_size,
        invoked_function_arn=function_arn(function_name, region),
        timeout_seconds=timeout,
        log_stream_name=log_stream_name,
        aws_request_id=aws_request_id or str(uuid.uuid4()),
    )
