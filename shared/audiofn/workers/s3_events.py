"""S3 event notifications delivered through SQS: the one parser every bucket-fed function uses.

Real S3 (and moto) send an `s3:TestEvent` when a bucket's notifications are set: it names no
object. Keys arrive URL-encoded (spaces as '+'), as S3 encodes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class ObjectCreated:
    bucket: str
    key: str
    etag: str
    size: int


def objects_created(body: str | dict[str, Any]) -> list[ObjectCreated]:
    """The ObjectCreated records of an S3 notification (none for a test event)."""
    message: dict[str, Any] = json.loads(body) if isinstance(body, str) else body
    found = []
    for record in message.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record.get("s3") or {}
        obj = s3.get("object") or {}
        found.append(
            ObjectCreated(
                bucket=str((s3.get("bucket") or {}).get("name", "")),
                key=unquote_plus(str(obj.get("key", ""))),
                etag=str(obj.get("eTag") or obj.get("etag") or "").strip('"'),
                size=int(obj.get("size") or 0),
            )
        )
    return found
