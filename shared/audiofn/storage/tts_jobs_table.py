"""Job-based TTS jobs in the app table.

ORG#<org>  TTSJOBSEQ               last: the organisation's last job id (an atomic counter)
ORG#<org>  TTSJOB#<id, 12 digits>  a job: status, voice, language, counts, S3 keys, reason

Ids are per organisation and consecutive: a job and its counter are written in one
transaction that expects the counter's previous value, so an id is taken only by a job that
exists, and a retried write (botocore repeats a call whose answer was lost) finds its own job
instead of taking another id. The zero-padded sort key lists newest first when read
backwards. Status changes are conditional updates, so a redelivered message or a
concurrent delete can never move a job backwards or bring a deleted one back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from audiofn.models.tts_jobs import TtsJobRecord, TtsJobStatus, created_now
from audiofn.storage.aws import dynamodb_table

_JOB_PREFIX = "TTSJOB#"
MAX_ID_ATTEMPTS = 50  # each lost race means another request got an id: progress was made


def _pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def _sk(job_id: int) -> str:
    return f"{_JOB_PREFIX}{job_id:012d}"


def _record(item: dict[str, Any]) -> TtsJobRecord:
    return TtsJobRecord.model_validate({k: v for k, v in item.items() if k not in {"pk", "sk"}})


def _condition_failed(error: Exception) -> bool:
    """A failed ConditionExpression (botocore is imported lazily: the API starts cold fast)."""
    from botocore.exceptions import ClientError

    return (
        isinstance(error, ClientError)
        and error.response["Error"]["Code"] == "ConditionalCheckFailedException"
    )


@dataclass(frozen=True)
class TtsJobsTable:
    name: str

    @property
    def _table(self) -> Any:
        return dynamodb_table(self.name)

    def next_job_id(self, org_id: str) -> int:
        result = self._table.update_item(
            Key={"pk": _pk(org_id), "sk": "TTSJOBSEQ"},
            UpdateExpression="ADD #last :one",
            ExpressionAttributeNames={"#last": "last"},
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )
        return int(result["Attributes"]["last"])

    def create_job(self, org_id: str, make: Callable[[int], TtsJobRecord]) -> TtsJobRecord:
        """Record `make(id)` under the organisation's next id (see the module's note).

        The record's ``request_token`` tells this call's job from a concurrent one's.
        """
        counter = {"pk": _pk(org_id), "sk": "TTSJOBSEQ"}
        for _ in range(MAX_ID_ATTEMPTS):
            found = self._table.get_item(Key=counter, ConsistentRead=True).get("Item")
            last = int(found["last"]) if found else 0
            job = make(last + 1)
            item = {"pk": _pk(org_id), "sk": _sk(job.job_id), **job.model_dump()}
            # The counter is put whole (moto's transactions mishandle an Update's expressions).
            advance: dict[str, Any] = {
                "TableName": self.name,
                "Item": {**counter, "last": job.job_id},
                "ConditionExpression": "#last = :last" if found else "attribute_not_exists(pk)",
            }
            if found:
                advance["ExpressionAttributeNames"] = {"#last": "last"}
                advance["ExpressionAttributeValues"] = {":last": last}
            try:  # the resource's client takes and gives plain values, as the resource does
                self._table.meta.client.transact_write_items(
                    TransactItems=[
                        {"Put": advance},
                        {
                            "Put": {
                                "TableName": self.name,
                                "Item": item,
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
                return job
            except Exception as error:
                if type(error).__name__ != "TransactionCanceledException":
                    raise
            taken = self.get_job(org_id, job.job_id)
            if taken is not None and taken.request_token == job.request_token:
                return taken  # our own write, answered to a try whose answer was lost
        raise RuntimeError(f"no job id after {MAX_ID_ATTEMPTS} tries (constant contention)")

    def set_progress(self, org_id: str, job_id: int, done: int, total: int) -> None:
        """How many of the job's chunks are spoken; only while it is synthesizing."""
        try:
            self._table.update_item(
                Key={"pk": _pk(org_id), "sk": _sk(job_id)},
                UpdateExpression="SET progress = :progress",
                ConditionExpression="#status = :synthesizing",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":progress": {"chunks_done": done, "chunks_total": total},
                    ":synthesizing": "synthesizing",
                },
            )
        except Exception as error:
            if not _condition_failed(error):
                raise

    def put_job(self, job: TtsJobRecord) -> None:
        self._table.put_item(
            Item={"pk": _pk(job.org_id), "sk": _sk(job.job_id), **job.model_dump()},
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_job(self, org_id: str, job_id: int) -> TtsJobRecord | None:
        item = self._table.get_item(Key={"pk": _pk(org_id), "sk": _sk(job_id)}).get("Item")
        return _record(item) if item else None

    def count_jobs(self, org_id: str) -> int:
        count = 0
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": _pk(org_id), ":prefix": _JOB_PREFIX},
            "Select": "COUNT",
        }
        while True:
            page = self._table.query(**kwargs)
            count += int(page["Count"])
            if "LastEvaluatedKey" not in page:
                return count
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def list_jobs(self, org_id: str, limit: int, offset: int) -> list[TtsJobRecord]:
        """Newest first. DynamoDB has no offset: the first `offset` items are read, then skipped."""
        wanted = offset + limit
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": _pk(org_id), ":prefix": _JOB_PREFIX},
            "ScanIndexForward": False,
            "Limit": min(wanted, 1000),
        }
        while len(items) < wanted:
            page = self._table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [_record(item) for item in items[offset:wanted]]

    def move_job(
        self,
        org_id: str,
        job_id: int,
        status: TtsJobStatus,
        *,
        unless: Iterable[TtsJobStatus] = ("ready", "failed"),
        reason: str | None = None,
    ) -> bool:
        """Set the status of an existing job whose status is not in `unless`; False when the
        job is gone or already there (a redelivery, or a delete that won the race)."""
        blocked = list(unless)
        names = {"#status": "status"}
        values: dict[str, Any] = {":status": status, ":updated": created_now()}
        update = "SET #status = :status, updated = :updated"
        if reason is not None:
            update += ", reason = :reason"
            values[":reason"] = reason
        condition = "attribute_exists(pk)"
        if blocked:
            placeholders = []
            for index, value in enumerate(blocked):
                values[f":blocked{index}"] = value
                placeholders.append(f":blocked{index}")
            condition += f" AND NOT #status IN ({', '.join(placeholders)})"
        try:
            self._table.update_item(
                Key={"pk": _pk(org_id), "sk": _sk(job_id)},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except Exception as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def delete_job(self, org_id: str, job_id: int, allowed: Iterable[TtsJobStatus]) -> bool:
        """Delete the job if its status is one of `allowed`; False when it is not (any more)."""
        values: dict[str, Any] = {}
        for index, value in enumerate(allowed):
            values[f":allowed{index}"] = value
        try:
            self._table.delete_item(
                Key={"pk": _pk(org_id), "sk": _sk(job_id)},
                ConditionExpression=f"#status IN ({', '.join(values)})",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except Exception as error:
            if _condition_failed(error):
                return False
            raise
        return True
