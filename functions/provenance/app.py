"""Provenance function: verify a file's content credentials (GET/POST /mastering/provenance)."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.api.provenance import build_provenance_resolver
from audiofn.observability import logger

app = build_provenance_resolver()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
