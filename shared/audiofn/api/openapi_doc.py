"""The OpenAPI document as clients see it: the resolver's, plus what every route may answer.

Powertools documents each route's 200 and its own 422 validation shape. Validation errors are
mapped to 400 here, and every protected route may also answer 401, 404, 409, 413, 422 or 429
with the service's error body, or 202 while asynchronous work runs; this adds them, so a
client generated from the document (or a schema-driven fuzzer) knows every answer it can get.
"""

from __future__ import annotations

import json
from typing import Any

ERROR_STATUSES = {
    "400": "Bad input; `field` names the offending field.",
    "401": "Missing or unknown API key.",
    "403": "The key may not do this.",
    "404": "No such object (or it belongs to another organisation).",
    "406": "Not acceptable in the object's current state.",
    "409": "Conflicts with the object's current state (for example: create speech first).",
    "413": "Request body too large.",
    "415": "The body's content type (or the uploaded file's type) is not accepted.",
    "422": "The work failed; `message` says why.",
    "429": (
        "Too many requests for this key, or a limit of the organisation (requests, running "
        "jobs, daily characters) reached; retry after the `Retry-After` seconds."
    ),
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "field": {"type": ["string", "null"]},
    },
    "required": ["message"],
}
# The job-based TTS protocol's own error body, on its routes only.
JOBS_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}


def complete_document(document_json: str) -> str:
    from audiofn.api.openapi_extra import add_what_the_resolver_cannot_know

    document = json.loads(document_json)
    add_what_the_resolver_cannot_know(document)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ERROR_SCHEMA
    components["JobsErrorBody"] = JOBS_ERROR_SCHEMA
    for path, operations in document.get("paths", {}).items():
        error_ref: dict[str, Any] = {"$ref": "#/components/schemas/ErrorBody"}
        if path.startswith("/v1/"):
            # OpenAI's body; the gateway's own answers keep API Gateway's {"message"}.
            error_ref = {
                "anyOf": [
                    {"$ref": "#/components/schemas/OpenAIErrorBody"},
                    {"$ref": "#/components/schemas/ErrorBody"},
                ]
            }
        elif path.startswith("/api/v1/jobs"):
            # The protocol's body; the gateway's own answers (an unroutable path) keep
            # API Gateway's {"message"}.
            error_ref = {
                "anyOf": [
                    {"$ref": "#/components/schemas/JobsErrorBody"},
                    {"$ref": "#/components/schemas/ErrorBody"},
                ]
            }
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in ERROR_STATUSES.items():
                responses[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": error_ref}},
                }
            responses.setdefault(
                "202",
                {
                    "description": "Accepted: the work is still running; ask again.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
            )
            if method == "post":
                responses.setdefault(
                    "201",
                    {
                        "description": "Created.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                )
            if path.startswith("/track/") or method == "delete":
                responses.setdefault("204", {"description": "Counted."})
    return json.dumps(document)
