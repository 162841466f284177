"""The media bucket: speech, masters, samples. Keys always start with the organisation's prefix."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from audiofn.storage.aws import client


def org_prefix(org_id: str) -> str:
    return f"orgs/{org_id}/"


@dataclass(frozen=True)
class MediaStore:
    bucket: str
    presign_seconds: int = 3600

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        client("s3").put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def put_json(self, key: str, value: Any) -> None:
        self.put_bytes(key, json.dumps(value, separators=(",", ":")).encode(), "application/json")

    def get_bytes(self, key: str) -> bytes:
        body = client("s3").get_object(Bucket=self.bucket, Key=key)["Body"]
        data: bytes = body.read()
        return data

    def get_bytes_if_exists(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""
        from botocore.exceptions import ClientError

        try:
            return self.get_bytes(key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def size(self, key: str) -> int:
        """The object's length in bytes (read from its head, not its body)."""
        return int(client("s3").head_object(Bucket=self.bucket, Key=key)["ContentLength"])

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            client("s3").head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def presigned_get(self, key: str) -> str:
        url: str = client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=self.presign_seconds,
        )
        return url

    def list_keys(self, prefix: str) -> list[str]:
        pages = (
            client("s3")
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def list_folders(self, prefix: str) -> list[str]:
        """The names of the "folders" directly under ``prefix`` (S3 common prefixes)."""
        names: list[str] = []
        pages = client("s3").get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.append(common["Prefix"][len(prefix) :].rstrip("/"))
        return names

    def delete_prefix(self, prefix: str) -> int:
        s3 = client("s3")
        deleted = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if objects:
                s3.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
                deleted += len(objects)
        return deleted
