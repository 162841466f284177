"""Server-side HMAC keys, one per purpose, kept in the app table and made on first use.

SIGNINGKEY#<purpose>  KEY   the key (hex); never leaves the service

Every function that signs or verifies reads the same item, so a token signed by the API is
verified by any function; the first writer wins (conditional put) and the rest read its key.
"""

from __future__ import annotations

import secrets
import threading

from audiofn.storage.aws import dynamodb_table

_keys: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()


def signing_key(table_name: str, purpose: str) -> bytes:
    """The key for `purpose` (cached per process: keys are never rotated in place)."""
    cached = _keys.get((table_name, purpose))
    if cached is not None:
        return cached
    from botocore.exceptions import ClientError  # on use: botocore is slow to import

    table = dynamodb_table(table_name)
    key = {"pk": f"SIGNINGKEY#{purpose}", "sk": "KEY"}
    with _lock:
        item = table.get_item(Key=key, ConsistentRead=True).get("Item")
        if item is None:
            try:
                table.put_item(
                    Item={**key, "key": secrets.token_hex(32)},
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
            item = table.get_item(Key=key, ConsistentRead=True)["Item"]
        value = bytes.fromhex(str(item["key"]))
        _keys[(table_name, purpose)] = value
    return value


def reset_signing_keys() -> None:
    """Tests start each case with a fresh table."""
    _keys.clear()
