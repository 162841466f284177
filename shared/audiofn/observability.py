"""The one Logger and Metrics every function imports (settings from the template's Globals).

The Tracer is built on first use: constructing it imports the X-Ray SDK and botocore, which
would double the API function's cold import. Lambda's active tracing records every invocation
without it; functions that want subsegments call `tracer()`.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()


@cache
def tracer() -> Tracer:
    return Tracer()
