"""S3 calls for files that callers upload themselves: presigned PUT and POST, size, removal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audiofn.storage.aws import client


@dataclass(frozen=True)
class UploadStore:
    bucket: str
    presign_seconds: int = 3600

    def presigned_put(self, key: str, expires_seconds: int) -> str:
        """A URL that accepts a PUT of the file's bytes, any Content-Type (the api.audio SDK
        sends audio/mpeg for every file), until it expires."""
        url: str = client("s3").generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=expires_seconds,
        )
        return url

    def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires_seconds: int
    ) -> dict[str, Any]:
        """A form S3 takes only for this key, with this Content-Type and 1..max_bytes bytes:
        `{"url": ..., "fields": {...}}`, the fields sent before the file."""
        form: dict[str, Any] = client("s3").generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_seconds,
        )
        return form

    def presigned_download(self, key: str, filename: str) -> str:
        """A GET URL that saves the file under the name it was uploaded with."""
        safe = filename.replace('"', "")
        url: str = client("s3").generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{safe}"',
            },
            ExpiresIn=self.presign_seconds,
        )
        return url

    def size(self, key: str) -> int | None:
        """Bytes stored under the key, or None when nothing is there (yet)."""
        from botocore.exceptions import ClientError

        try:
            head = client("s3").head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        client("s3").delete_object(Bucket=self.bucket, Key=key)

    def move(self, source: str, destination: str, content_type: str) -> None:
        """Server-side copy (no bytes through the function), then remove the source."""
        s3 = client("s3")
        s3.copy_object(
            Bucket=self.bucket,
            Key=destination,
            CopySource={"Bucket": self.bucket, "Key": source},
            ContentType=content_type,
            MetadataDirective="REPLACE",
        )
        s3.delete_object(Bucket=self.bucket, Key=source)
