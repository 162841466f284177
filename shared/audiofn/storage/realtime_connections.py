"""Realtime transcription connections between messages (the WebSocket API's Lambda side).

REALTIME#<connectionId>  STATE   org_id, model, version, snapshot (JSON), audio_key, expires_at

The open utterance's audio (16 kHz float32) is too big for an item, so it lives in the media
bucket at ``realtime/<connectionId>/<version>.f32``; the item names the current object and is
written with a version condition, so two invocations for one connection cannot both win.
Transcripts go back through the API Gateway management API (:class:`ConnectionPoster`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from botocore.exceptions import ClientError

from audiofn.storage.aws import client, dynamodb_table

CONNECTION_TTL_SECONDS = 3 * 3600  # API Gateway ends a connection after 2 hours


class StaleConnectionState(Exception):
    """Another invocation saved this connection's state first."""


@dataclass(frozen=True)
class ConnectionState:
    connection_id: str
    org_id: str
    model: str
    version: int
    snapshot: dict[str, Any]
    audio: np.ndarray


@dataclass(frozen=True)
class RealtimeConnections:
    table_name: str
    bucket: str

    @property
    def _table(self) -> Any:
        return dynamodb_table(self.table_name)

    @staticmethod
    def _key(connection_id: str) -> dict[str, str]:
        return {"pk": f"REALTIME#{connection_id}", "sk": "STATE"}

    def load(self, connection_id: str) -> ConnectionState | None:
        item = self._table.get_item(Key=self._key(connection_id), ConsistentRead=True).get("Item")
        if not item:
            return None
        audio = np.zeros(0, np.float32)
        if item.get("audio_key"):
            body = client("s3").get_object(Bucket=self.bucket, Key=item["audio_key"])["Body"]
            audio = np.frombuffer(body.read(), dtype="<f4").copy()
        return ConnectionState(
            connection_id=connection_id,
            org_id=str(item["org_id"]),
            model=str(item["model"]),
            version=int(item["version"]),
            snapshot=json.loads(str(item["snapshot"])),
            audio=audio,
        )

    def save(
        self,
        connection_id: str,
        *,
        org_id: str,
        model: str,
        snapshot: dict[str, Any],
        audio: np.ndarray,
        expected_version: int | None,
    ) -> int:
        """Write the next version; StaleConnectionState when another writer got there first."""
        version = (expected_version or 0) + 1
        audio_key = ""
        if audio.size:
            audio_key = f"realtime/{connection_id}/{version}.f32"
            client("s3").put_object(
                Bucket=self.bucket,
                Key=audio_key,
                Body=np.ascontiguousarray(audio, dtype="<f4").tobytes(),
                ContentType="application/octet-stream",
            )
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if expected_version is None
            else {
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": expected_version},
            }
        )
        try:
            self._table.put_item(
                Item={
                    **self._key(connection_id),
                    "org_id": org_id,
                    "model": model,
                    "version": version,
                    "snapshot": json.dumps(snapshot, separators=(",", ":")),
                    "audio_key": audio_key,
                    "expires_at": int(time.time()) + CONNECTION_TTL_SECONDS,
                },
                **condition,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleConnectionState(connection_id) from exc
            raise
        if expected_version:
            self._delete_audio(f"realtime/{connection_id}/{expected_version}.f32")
        return version

    def delete(self, connection_id: str) -> None:
        self._table.delete_item(Key=self._key(connection_id))
        s3 = client("s3")
        listed = s3.list_objects_v2(Bucket=self.bucket, Prefix=f"realtime/{connection_id}/")
        for item in listed.get("Contents", []):
            s3.delete_object(Bucket=self.bucket, Key=item["Key"])

    def _delete_audio(self, key: str) -> None:
        client("s3").delete_object(Bucket=self.bucket, Key=key)


@dataclass(frozen=True)
class ConnectionPoster:
    """Sends messages to (and closes) WebSocket API connections via the management API."""

    endpoint_url: str  # https://{domainName}/{stage}

    @property
    def _client(self) -> Any:
        import boto3

        return boto3.client("apigatewaymanagementapi", endpoint_url=self.endpoint_url)

    def post(self, connection_id: str, messages: list[dict[str, Any]]) -> bool:
        """False when the client has gone (410 Gone)."""
        api = self._client
        for message in messages:
            try:
                api.post_to_connection(
                    ConnectionId=connection_id, Data=json.dumps(message).encode()
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] in {"GoneException", "410"}:
                    return False
                raise
        return True

    def close(self, connection_id: str) -> None:
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in {"GoneException", "410"}:
                raise
