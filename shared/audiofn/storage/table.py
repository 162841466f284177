"""The DynamoDB table: one table, items keyed by (pk, sk), one small method per access pattern.

Layout:
  ORG#<org>        ORG               the organisation
  ORG#<org>        KEY#<keyId>       an API key's public facts (no secret)
  ORG#<org>        SCRIPT#<id>       a script
  ORG#<org>        JOB#<id>          a speech or mastering job and its progress
  ORG#<org>        LEXI#<lang>#<specialization>#<word>   a custom dictionary word
  KEYHASH#<sha256> KEYHASH           key lookup: hash -> org (or admin)
  ADMINKEY         CURRENT           the hash of the one valid admin key
  TRACK#<token>    COUNTS            VAST impression and quartile counts of a public file
  TRACK#<token>    SEEN#<event>#<client>  when a client last sent that beacon (deduplication)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from audiofn.models.records import (
    ApiKeyRecord,
    JobRecord,
    OrgRecord,
    ScriptRecord,
    utc_now,
)
from audiofn.storage.aws import dynamodb_table

ADMIN = "__admin__"


def _org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in {"pk", "sk"}}


@dataclass(frozen=True)
class AppTable:
    name: str

    @property
    def _table(self) -> Any:
        return dynamodb_table(self.name)

    # ------------------------------------------------------------ organisations
    def put_org(self, org: OrgRecord) -> None:
        self._table.put_item(Item={"pk": _org_pk(org.org_id), "sk": "ORG", **org.model_dump()})

    def get_org(self, org_id: str) -> OrgRecord | None:
        item = self._table.get_item(Key={"pk": _org_pk(org_id), "sk": "ORG"}).get("Item")
        return OrgRecord.model_validate(_strip(item)) if item else None

    # ------------------------------------------------------------ keys
    def put_key(self, key_hash: str, record: ApiKeyRecord) -> bool:
        """Store a key; False (nothing stored) when the organisation has a key with its id."""
        if record.org_id != ADMIN:
            from botocore.exceptions import ClientError  # on use: botocore is slow to import

            try:
                self._table.put_item(
                    Item={
                        "pk": _org_pk(record.org_id),
                        "sk": f"KEY#{record.key_id}",
                        "key_hash": key_hash,
                        **record.model_dump(),
                    },
                    ConditionExpression="attribute_not_exists(sk)",
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    return False
                raise
        self._table.put_item(
            Item={
                "pk": f"KEYHASH#{key_hash}",
                "sk": "KEYHASH",
                "org_id": record.org_id,
                "key_id": record.key_id,
            }
        )
        return True

    def replace_admin_key(self, key_hash: str, record: ApiKeyRecord) -> None:
        """The admin key is one key: storing a new one removes the one before it."""
        pointer = {"pk": "ADMINKEY", "sk": "CURRENT"}
        previous = self._table.get_item(Key=pointer, ConsistentRead=True).get("Item")
        self.put_key(key_hash, record)
        self._table.put_item(Item={**pointer, "key_hash": key_hash})
        if previous and previous["key_hash"] != key_hash:
            self._table.delete_item(Key={"pk": f"KEYHASH#{previous['key_hash']}", "sk": "KEYHASH"})

    def find_key(self, key_hash: str) -> tuple[str, str] | None:
        """(org_id, key_id) for a key hash, or None."""
        item = self._table.get_item(Key={"pk": f"KEYHASH#{key_hash}", "sk": "KEYHASH"}).get("Item")
        return (item["org_id"], item["key_id"]) if item else None

    def list_keys(self, org_id: str) -> list[ApiKeyRecord]:
        return [
            ApiKeyRecord.model_validate({k: v for k, v in item.items() if k != "key_hash"})
            for item in self._query(_org_pk(org_id), "KEY#")
        ]

    def get_key(self, org_id: str, key_id: str) -> ApiKeyRecord | None:
        item = self._table.get_item(Key={"pk": _org_pk(org_id), "sk": f"KEY#{key_id}"}).get("Item")
        if not item:
            return None
        return ApiKeyRecord.model_validate(
            {k: v for k, v in _strip(item).items() if k != "key_hash"}
        )

    def delete_key(self, org_id: str, key_id: str) -> bool:
        item = self._table.get_item(Key={"pk": _org_pk(org_id), "sk": f"KEY#{key_id}"}).get("Item")
        if not item:
            return False
        self._table.delete_item(Key={"pk": f"KEYHASH#{item['key_hash']}", "sk": "KEYHASH"})
        self._table.delete_item(Key={"pk": _org_pk(org_id), "sk": f"KEY#{key_id}"})
        return True

    # ------------------------------------------------------------ scripts
    def put_script(self, script: ScriptRecord) -> None:
        self._table.put_item(
            Item={
                "pk": _org_pk(script.org_id),
                "sk": f"SCRIPT#{script.script_id}",
                **script.model_dump(mode="json"),
            }
        )

    def get_script(self, org_id: str, script_id: str) -> ScriptRecord | None:
        item = self._table.get_item(Key={"pk": _org_pk(org_id), "sk": f"SCRIPT#{script_id}"}).get(
            "Item"
        )
        return ScriptRecord.model_validate(_strip(item)) if item else None

    def list_scripts(self, org_id: str) -> Iterator[ScriptRecord]:
        for item in self._query(_org_pk(org_id), "SCRIPT#"):
            yield ScriptRecord.model_validate(_strip(item))

    def delete_script(self, org_id: str, script_id: str) -> bool:
        result = self._table.delete_item(
            Key={"pk": _org_pk(org_id), "sk": f"SCRIPT#{script_id}"}, ReturnValues="ALL_OLD"
        )
        return bool(result.get("Attributes"))

    def set_latest_job(self, org_id: str, script_id: str, job_id: str, kind: str) -> None:
        self._table.update_item(
            Key={"pk": _org_pk(org_id), "sk": f"SCRIPT#{script_id}"},
            UpdateExpression=f"SET latest_{kind}_job_id = :job",
            ExpressionAttributeValues={":job": job_id},
        )

    # ------------------------------------------------------------ tracking (VAST events)
    def create_tracking(self, file_token: str, org_id: str, script_id: str) -> None:
        """The counts of a new public file; beacons for tokens without one are refused."""
        self._table.put_item(
            Item={
                "pk": f"TRACK#{file_token}",
                "sk": "COUNTS",
                "org_id": org_id,
                "script_id": script_id,
            }
        )

    def count_event(self, file_token: str, event: str, client: str, window_seconds: int) -> bool:
        """One more event for a public file, unless this client sent it within the window.
        False when the token has no counts (unknown or deleted): nothing is written then."""
        import time

        from botocore.exceptions import ClientError  # on use: botocore is slow to import

        counts_key = {"pk": f"TRACK#{file_token}", "sk": "COUNTS"}
        if "Item" not in self._table.get_item(Key=counts_key, ProjectionExpression="pk"):
            return False
        now = int(time.time())
        try:
            self._table.put_item(
                Item={
                    "pk": f"TRACK#{file_token}",
                    "sk": f"SEEN#{event}#{client}",
                    "seen_at": now,
                    "expires_at": now + window_seconds,
                },
                ConditionExpression="attribute_not_exists(pk) OR seen_at <= :cutoff",
                ExpressionAttributeValues={":cutoff": now - window_seconds},
            )
            self._table.update_item(
                Key=counts_key,
                UpdateExpression="ADD #event :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#event": event},
                ExpressionAttributeValues={":one": 1},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        return True

    def delete_tracking(self, file_token: str) -> None:
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": f"TRACK#{file_token}"},
            "ProjectionExpression": "pk, sk",
        }
        with self._table.batch_writer() as batch:
            while True:
                page = self._table.query(**query)
                for item in page["Items"]:
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def event_counts(self, file_token: str) -> dict[str, int]:
        item = self._table.get_item(Key={"pk": f"TRACK#{file_token}", "sk": "COUNTS"}).get("Item")
        skip = {"org_id", "script_id"}
        return {k: int(v) for k, v in _strip(item or {}).items() if k not in skip}

    # ------------------------------------------------------------ speech jobs
    def put_job(self, job: JobRecord) -> None:
        self._table.put_item(
            Item={
                "pk": _org_pk(job.org_id),
                "sk": f"JOB#{job.job_id}",
                **job.model_dump(mode="json", exclude_none=True, exclude={"done"}),
            }
        )

    def get_job(self, org_id: str, job_id: str) -> JobRecord | None:
        item = self._table.get_item(
            Key={"pk": _org_pk(org_id), "sk": f"JOB#{job_id}"}, ConsistentRead=True
        ).get("Item")
        return _job_from_item(item) if item else None

    def mark_task_done(self, org_id: str, job_id: str, task_index: int) -> JobRecord:
        """Record one finished task. Idempotent: the set of done indexes ignores repeats."""
        result = self._table.update_item(
            Key={"pk": _org_pk(org_id), "sk": f"JOB#{job_id}"},
            UpdateExpression="ADD done_tasks :task SET updated_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":task": {task_index}, ":now": utc_now()},
            ReturnValues="ALL_NEW",
        )
        job = _job_from_item(result["Attributes"])
        if job.status == "running" and job.done >= job.total:
            self._set_job_status(org_id, job_id, "done")
            job = job.model_copy(update={"status": "done"})
        return job

    def fail_job(self, org_id: str, job_id: str, reason: str, status_code: int) -> None:
        """The first recorded failure wins; a finished job is never turned into a failed one."""
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"pk": _org_pk(org_id), "sk": f"JOB#{job_id}"},
                UpdateExpression="SET #s = :failed, reason = :reason, failure_status = :code, "
                "updated_at = :now",
                ConditionExpression="#s = :running",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":failed": "failed",
                    ":running": "running",
                    ":reason": reason[:2000],
                    ":code": status_code,
                    ":now": utc_now(),
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def _set_job_status(self, org_id: str, job_id: str, status: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"pk": _org_pk(org_id), "sk": f"JOB#{job_id}"},
                UpdateExpression="SET #s = :status, updated_at = :now",
                ConditionExpression="#s = :running",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":status": status,
                    ":running": "running",
                    ":now": utc_now(),
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # ------------------------------------------------------------ dictionaries
    def put_lexicon_entry(self, org_id: str, entry: dict[str, str]) -> None:
        self._table.put_item(Item={"pk": _org_pk(org_id), "sk": _lexi_sk(entry), **entry})

    def list_lexicon_entries(self, org_id: str) -> list[dict[str, str]]:
        return [_strip(item) for item in self._query(_org_pk(org_id), "LEXI#")]

    def delete_lexicon_entry(self, org_id: str, entry: dict[str, str]) -> bool:
        result = self._table.delete_item(
            Key={"pk": _org_pk(org_id), "sk": _lexi_sk(entry)}, ReturnValues="ALL_OLD"
        )
        return bool(result.get("Attributes"))

    # ------------------------------------------------------------ helpers
    def _query(self, pk: str, sk_prefix: str) -> Iterator[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(sk_prefix)
        }
        while True:
            page = self._table.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _lexi_sk(entry: dict[str, str]) -> str:
    return f"LEXI#{entry['language']}#{entry['specialization']}#{entry['word'].lower()}"


def _job_from_item(item: dict[str, Any]) -> JobRecord:
    data = _strip(item)
    done_tasks = data.pop("done_tasks", set())
    data["done"] = len(done_tasks)
    for key in ("total", "failure_status"):
        if key in data and data[key] is not None:
            data[key] = int(data[key])
    return JobRecord.model_validate(data)
