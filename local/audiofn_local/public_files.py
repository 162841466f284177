"""Publicly readable buckets, served by the local gateway at a stable path, as a CDN would.

In AWS the template's `AWS::S3::BucketPolicy` lets anyone read the public bucket (`Allow`,
`Principal: "*"`, `s3:GetObject`), and `PublicDomain` may put a CDN in front of it. Locally
moto neither applies that policy to unsigned requests (they get 403) nor keeps its port from
one start to the next, so the runtime serves every such bucket through the gateway instead:
`GET`/`HEAD` `/public/<key>` reads the object with the runtime's own credentials and answers
it as S3 would to an anonymous reader (`Content-Type`, `ETag`, `Last-Modified`, byte ranges
for players that seek, 304 for a matching `If-None-Match`). Only keys the policy's resources
cover are served; the handlers build their public URLs on the same path
(`audiofn.config.LOCAL_PUBLIC_PATH`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from audiofn.config import LOCAL_PUBLIC_PATH
from audiofn_local.cfn_yaml import load_template_file
from audiofn_local.logs import runtime_logger

LOG = runtime_logger(__name__)
_CHUNK_BYTES = 1 << 16
_PASSED_HEADERS = {
    "ContentType": "content-type",
    "ETag": "etag",
    "CacheControl": "cache-control",
    "ContentDisposition": "content-disposition",
    "ContentEncoding": "content-encoding",
    "ContentRange": "content-range",
}


@dataclass(frozen=True)
class PublicBucket:
    """A bucket the template lets anyone read, and the key patterns its policy covers."""

    logical_id: str
    key_patterns: tuple[str, ...]

    def allows(self, key: str) -> bool:
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.key_patterns)


def public_read_buckets(template_path: Path) -> list[PublicBucket]:
    """Buckets whose `AWS::S3::BucketPolicy` allows `s3:GetObject` to everyone."""
    resources: Mapping[str, Any] = load_template_file(template_path).get("Resources") or {}
    found: dict[str, list[str]] = {}
    for resource in resources.values():
        if resource.get("Type") != "AWS::S3::BucketPolicy":
            continue
        properties = resource.get("Properties") or {}
        bucket_id = _ref(properties.get("Bucket"))
        if bucket_id is None:
            continue
        for statement in (properties.get("PolicyDocument") or {}).get("Statement") or []:
            if _grants_public_read(statement):
                found.setdefault(bucket_id, []).extend(
                    _key_patterns(statement.get("Resource"), bucket_id)
                )
    return [PublicBucket(bucket, tuple(patterns)) for bucket, patterns in found.items() if patterns]


def public_file_routes(
    bucket_name: str, bucket: PublicBucket, s3_client: Callable[[], Any]
) -> list[Route]:
    """`GET`/`HEAD` `LOCAL_PUBLIC_PATH/<key>` for one bucket."""

    async def endpoint(request: Request) -> Response:
        key = request.path_params["key"]
        if not key or not bucket.allows(key):
            return _error(403, "Access Denied: this key is not public")
        arguments: dict[str, Any] = {"Bucket": bucket_name, "Key": key}
        if "range" in request.headers:
            arguments["Range"] = request.headers["range"]
        if "if-none-match" in request.headers:
            arguments["IfNoneMatch"] = request.headers["if-none-match"]
        head = request.method == "HEAD"
        call = s3_client().head_object if head else s3_client().get_object
        try:
            found = await run_in_threadpool(lambda: call(**arguments))
        except ClientError as error:
            return _client_error(error, key)
        headers = {
            name: str(found[field]) for field, name in _PASSED_HEADERS.items() if found.get(field)
        }
        headers["content-length"] = str(found["ContentLength"])
        headers["accept-ranges"] = "bytes"
        if found.get("LastModified") is not None:
            headers["last-modified"] = found["LastModified"].strftime("%a, %d %b %Y %H:%M:%S GMT")
        status = 206 if "ContentRange" in found else 200
        if head:
            return Response(status_code=status, headers=headers)
        body: Iterator[bytes] = found["Body"].iter_chunks(_CHUNK_BYTES)
        return StreamingResponse(iterate_in_threadpool(body), status_code=status, headers=headers)

    return [Route(f"{LOCAL_PUBLIC_PATH}/{{key:path}}", endpoint, methods=["GET", "HEAD"])]


def _client_error(error: ClientError, key: str) -> Response:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500))
    if status == 304 or code == "304":
        return Response(status_code=304)
    if code in {"NoSuchKey", "404", "NotFound"}:
        return _error(404, f"no public file at '{key}'")
    if code in {"InvalidRange", "416"}:
        return _error(416, "the requested range is outside the file")
    LOG.error("public file %s: %s", key, error)
    return _error(502, "the file store did not answer")


def _error(status: int, message: str) -> Response:
    return JSONResponse({"message": message}, status_code=status)


def _ref(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    return None


def _grants_public_read(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    everyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else list(actions or [])
    reads = any(action in {"s3:GetObject", "s3:*", "*"} for action in actions)
    return (
        statement.get("Effect") == "Allow" and everyone and reads and not statement.get("Condition")
    )


def _key_patterns(resources: Any, bucket_id: str) -> list[str]:
    """`!Sub "${Bucket.Arn}/<pattern>"` (or the `Fn::Join`-free literal forms) -> patterns."""
    items = resources if isinstance(resources, list) else [resources]
    patterns = []
    for item in items:
        text = item.get("Fn::Sub") if isinstance(item, dict) else item
        if not isinstance(text, str):
            continue
        for prefix in (f"${{{bucket_id}.Arn}}/", f"arn:aws:s3:::${{{bucket_id}}}/"):
            if text.startswith(prefix):
                patterns.append(text.removeprefix(prefix))
    return patterns
