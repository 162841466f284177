"""Inbox files in progress and the organisation's inbox defaults.

ORG#<org>  INBOX#<hash of input key>  one inbox file: etag, status, stage, job ids, reason
ORG#<org>  INBOXDEFAULTS              settings every inbox file starts from
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from audiofn.models.records import utc_now
from audiofn.naming import short_hash
from audiofn.storage.aws import dynamodb_table

InboxStatus = Literal["processing", "done", "failed"]


class InboxRecord(BaseModel):
    input_key: str
    etag: str
    status: InboxStatus = "processing"
    stage: str = "speech"
    script_id: str | None = None
    speech_job_id: str | None = None
    mastering_job_id: str | None = None
    reason: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)


def _sk(input_key: str) -> str:
    return f"INBOX#{short_hash(input_key, length=24)}"


@dataclass(frozen=True)
class InboxTable:
    name: str

    @property
    def _table(self) -> Any:
        return dynamodb_table(self.name)

    def get(self, org_id: str, input_key: str) -> InboxRecord | None:
        item = self._table.get_item(
            Key={"pk": f"ORG#{org_id}", "sk": _sk(input_key)}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        values = {k: v for k, v in item.items() if k not in {"pk", "sk"}}
        values["options"] = json.loads(values.pop("options_json", "{}"))
        return InboxRecord.model_validate(values)

    def put(self, org_id: str, record: InboxRecord) -> None:
        record = record.model_copy(update={"updated_at": utc_now()})
        self._table.put_item(
            Item={
                "pk": f"ORG#{org_id}",
                "sk": _sk(record.input_key),
                **record.model_dump(exclude_none=True, exclude={"options"}),
                # JSON text: DynamoDB refuses Python floats (speed) in documents.
                "options_json": json.dumps(record.options),
            }
        )

    def get_defaults(self, org_id: str) -> dict[str, Any]:
        item = self._table.get_item(Key={"pk": f"ORG#{org_id}", "sk": "INBOXDEFAULTS"}).get("Item")
        return dict(json.loads(item["settings_json"])) if item else {}

    def put_defaults(self, org_id: str, settings: dict[str, Any]) -> None:
        self._table.put_item(
            Item={
                "pk": f"ORG#{org_id}",
                "sk": "INBOXDEFAULTS",
                "settings_json": json.dumps(settings),
            }
        )
