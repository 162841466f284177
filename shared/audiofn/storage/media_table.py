"""Uploaded media records in the app table.

ORG#<org>   MEDIA#<mediaId>   an uploaded file: name, tags, S3 key, and what checking it found
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from audiofn.models.media import MediaRecord
from audiofn.storage.aws import dynamodb_table


def _key(org_id: str, media_id: str) -> dict[str, str]:
    return {"pk": f"ORG#{org_id}", "sk": f"MEDIA#{media_id}"}


def _item(record: MediaRecord) -> dict[str, Any]:
    # DynamoDB numbers are Decimals; None attributes are left out.
    values = json.loads(record.model_dump_json(exclude_none=True), parse_float=Decimal)
    return {**_key(record.org_id, record.media_id), **values}


def _record(item: dict[str, Any]) -> MediaRecord:
    return MediaRecord.model_validate({k: v for k, v in item.items() if k not in {"pk", "sk"}})


@dataclass(frozen=True)
class MediaTable:
    name: str

    @property
    def _table(self) -> Any:
        return dynamodb_table(self.name)

    def put_media(self, record: MediaRecord) -> None:
        self._table.put_item(Item=_item(record))

    def save_check(self, record: MediaRecord) -> bool:
        """Store a checked record; False (and nothing written) when it was deleted meanwhile."""
        from botocore.exceptions import ClientError  # on use: botocore is slow to import

        try:
            self._table.put_item(Item=_item(record), ConditionExpression="attribute_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_media(self, org_id: str, media_id: str) -> MediaRecord | None:
        item = self._table.get_item(Key=_key(org_id, media_id), ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def list_media(self, org_id: str) -> list[MediaRecord]:
        """Every media record of the organisation, oldest first."""
        from boto3.dynamodb.conditions import Key

        records: list[MediaRecord] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(f"ORG#{org_id}")
            & Key("sk").begins_with("MEDIA#")
        }
        while True:
            page = self._table.query(**query)
            records += [_record(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(records, key=lambda r: (r.created_at, r.media_id))

    def delete_media(self, org_id: str, media_id: str) -> bool:
        result = self._table.delete_item(Key=_key(org_id, media_id), ReturnValues="ALL_OLD")
        return bool(result.get("Attributes"))
