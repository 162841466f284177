"""Batches and their listeners' failures in the app table.

ORG#<org>  BATCH#<id>                   the batch: status, total, chunks, plan and manifest
                                        keys, reason; done_listeners / failed_listeners are
                                        number sets of listener indexes (ADD is idempotent:
                                        a redelivered chunk counts nothing twice)
ORG#<org>  BATCHFAIL#<id>#<index:07d>   one listener's failure: parameters, reason
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from audiofn.models.batches import BatchRecord, ListenerResult
from audiofn.models.records import utc_now
from audiofn.storage.aws import dynamodb_table

_COUNTED = {"done_listeners", "failed_listeners"}


def _pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def _record(item: dict[str, Any]) -> BatchRecord:
    data = {k: v for k, v in item.items() if k not in {"pk", "sk", *_COUNTED}}
    for key in ("total", "chunks"):
        if key in data:
            data[key] = int(data[key])
    data["done"] = len(item.get("done_listeners", ()))
    data["failed"] = len(item.get("failed_listeners", ()))
    return BatchRecord.model_validate(data)


@dataclass(frozen=True)
class BatchesTable:
    name: str

    @property
    def _table(self) -> Any:
        return dynamodb_table(self.name)

    def create_batch(self, batch: BatchRecord) -> bool:
        """True when it was created; False when a batch with this id already exists."""
        from botocore.exceptions import ClientError  # on use: botocore is slow to import

        item = batch.model_dump(mode="json", exclude_none=True, exclude={"done", "failed"})
        try:
            self._table.put_item(
                Item={"pk": _pk(batch.org_id), "sk": f"BATCH#{batch.batch_id}", **item},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_batch(self, org_id: str, batch_id: str) -> BatchRecord | None:
        item = self._table.get_item(
            Key={"pk": _pk(org_id), "sk": f"BATCH#{batch_id}"}, ConsistentRead=True
        ).get("Item")
        return _record(item) if item else None

    def set_planned(
        self, org_id: str, batch_id: str, total: int, chunks: int, plan_key: str
    ) -> None:
        """Record the plan; a batch that already finished or failed keeps its status."""
        self._table.update_item(
            Key={"pk": _pk(org_id), "sk": f"BATCH#{batch_id}"},
            UpdateExpression="SET #total = :total, chunks = :chunks, plan_key = :plan, "
            "updated_at = :now",
            ExpressionAttributeNames={"#total": "total"},
            ExpressionAttributeValues={
                ":total": total,
                ":chunks": chunks,
                ":plan": plan_key,
                ":now": utc_now(),
            },
        )
        self._set_status(org_id, batch_id, "running", only_from="queued")

    def record_listeners(
        self, org_id: str, batch_id: str, done: Iterable[int], failed: Iterable[int]
    ) -> BatchRecord:
        """Add listener indexes to the done and failed sets; the record after the update."""
        done_set, failed_set = set(done), set(failed)
        parts, values = ["updated_at = :now"], {":now": utc_now()}
        adds = []
        if done_set:
            adds.append("done_listeners :done")
            values[":done"] = done_set  # type: ignore[assignment]
        if failed_set:
            adds.append("failed_listeners :failed")
            values[":failed"] = failed_set  # type: ignore[assignment]
        expression = "SET " + ", ".join(parts) + (" ADD " + ", ".join(adds) if adds else "")
        result = self._table.update_item(
            Key={"pk": _pk(org_id), "sk": f"BATCH#{batch_id}"},
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return _record(result["Attributes"])

    def put_failures(self, org_id: str, batch_id: str, failures: Iterable[ListenerResult]) -> None:
        with self._table.batch_writer() as writer:
            for failure in failures:
                writer.put_item(
                    Item={
                        "pk": _pk(org_id),
                        "sk": f"BATCHFAIL#{batch_id}#{failure.index:07d}",
                        "index": failure.index,
                        "parameters": json.dumps(failure.parameters, ensure_ascii=False),
                        "reason": (failure.error or "")[:1000],
                    }
                )

    def list_failures(self, org_id: str, batch_id: str, limit: int) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        condition = Key("pk").eq(_pk(org_id)) & Key("sk").begins_with(f"BATCHFAIL#{batch_id}#")
        kwargs: dict[str, Any] = {"KeyConditionExpression": condition}
        found: list[dict[str, Any]] = []
        while len(found) < limit:
            page = self._table.query(**kwargs)
            for item in page.get("Items", []):
                found.append(
                    {
                        "index": int(item["index"]),
                        "parameters": json.loads(item["parameters"]),
                        "reason": item["reason"],
                    }
                )
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]

    def finish(
        self, org_id: str, batch_id: str, status: str, manifest_json: str, manifest_csv: str
    ) -> bool:
        """Link the manifest and end the batch; True only for the call that ended it."""
        self._table.update_item(
            Key={"pk": _pk(org_id), "sk": f"BATCH#{batch_id}"},
            UpdateExpression="SET manifest_json_key = :json, manifest_csv_key = :csv, "
            "updated_at = :now",
            ExpressionAttributeValues={
                ":json": manifest_json,
                ":csv": manifest_csv,
                ":now": utc_now(),
            },
        )
        return self._set_status(org_id, batch_id, status, only_from="running")

    def fail_batch(self, org_id: str, batch_id: str, reason: str) -> None:
        """Mark the batch failed with the first reason given (a finished batch stays done)."""
        from botocore.exceptions import ClientError  # on use: botocore is slow to import

        try:
            self._table.update_item(
                Key={"pk": _pk(org_id), "sk": f"BATCH#{batch_id}"},
                UpdateExpression="SET #s = :failed, reason = :reason, updated_at = :now",
                ConditionExpression="attribute_exists(pk) AND #s <> :failed AND #s <> :done",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":failed": "failed",
                    ":done": "done",
                    ":reason": reason[:2000],
                    ":now": utc_now(),
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def note_reason(self, org_id: str, batch_id: str, reason: str) -> None:
        """Keep the first reason a part of the batch gave up (the batch ends as failed)."""
        self._table.update_item(
            Key={"pk": _pk(org_id), "sk": f"BATCH#{batch_id}"},
            UpdateExpression="SET reason = if_not_exists(reason, :reason), updated_at = :now",
            ExpressionAttributeValues={":reason": reason[:2000], ":now": utc_now()},
        )

    def _set_status(self, org_id: str, batch_id: str, status: str, *, only_from: str) -> bool:
        from botocore.exceptions import ClientError  # on use: botocore is slow to import

        try:
            self._table.update_item(
                Key={"pk": _pk(org_id), "sk": f"BATCH#{batch_id}"},
                UpdateExpression="SET #s = :status, updated_at = :now",
                ConditionExpression="#s = :from",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":status": status,
                    ":from": only_from,
                    ":now": utc_now(),
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
