"""HTTP API function: every route of the HTTP API, resolved by audiofn.api."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.api.app import build_resolver
from audiofn.observability import logger

app = build_resolver()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
