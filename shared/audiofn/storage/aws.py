"""boto3 clients, created on first use and reused for the life of the process.

boto3 is imported here, lazily, so the API function's cold import stays small; the
endpoint comes from the environment (AWS_ENDPOINT_URL), which the local runtime sets.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    with _lock:
        if service not in _clients:
            import boto3
            from botocore.config import Config

            config = Config(
                retries={"max_attempts": 5, "mode": "standard"},
                s3={"addressing_style": "path"},
                signature_version="s3v4" if service == "s3" else None,
            )
            _clients[service] = boto3.session.Session().client(service, config=config)
        return _clients[service]


def dynamodb_table(name: str) -> Any:
    key = f"dynamodb-table:{name}"
    with _lock:
        if key not in _clients:
            import boto3

            _clients[key] = boto3.session.Session().resource("dynamodb").Table(name)
        return _clients[key]


def reset_clients() -> None:
    """Tests switch endpoints and credentials between cases."""
    with _lock:
        _clients.clear()
