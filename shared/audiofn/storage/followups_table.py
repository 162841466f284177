"""Follow-ups: a message to send when a job ends, whatever the outcome.

  ORG#<org>  FOLLOWUP#<jobId>  queue_url, body (the message), created_at

The inbox uses them to chain speech -> mastering -> publishing without anyone waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audiofn.models.records import utc_now
from audiofn.storage.aws import dynamodb_table


@dataclass(frozen=True)
class FollowUp:
    queue_url: str
    body: str


@dataclass(frozen=True)
class FollowUpsTable:
    name: str

    @property
    def _table(self) -> Any:
        return dynamodb_table(self.name)

    def put_followup(self, org_id: str, job_id: str, followup: FollowUp) -> None:
        self._table.put_item(
            Item={
                "pk": f"ORG#{org_id}",
                "sk": f"FOLLOWUP#{job_id}",
                "queue_url": followup.queue_url,
                "body": followup.body,
                "created_at": utc_now(),
            }
        )

    def get_followup(self, org_id: str, job_id: str) -> FollowUp | None:
        item = self._table.get_item(
            Key={"pk": f"ORG#{org_id}", "sk": f"FOLLOWUP#{job_id}"}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return FollowUp(queue_url=str(item["queue_url"]), body=str(item["body"]))
