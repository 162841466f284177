"""Webhook registrations and delivered-event markers in the app table.

ORG#<org>         WEBHOOK          the organisation's webhook: url, secret, created
WEBHOOKEVENT#<id> DELIVERED        an event that reached its receiver (delivery idempotency)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audiofn.models.records import WebhookRecord
from audiofn.storage.aws import dynamodb_table


@dataclass(frozen=True)
class WebhooksTable:
    name: str

    @property
    def _table(self) -> Any:
        return dynamodb_table(self.name)

    def put_webhook(self, org_id: str, webhook: WebhookRecord) -> None:
        self._table.put_item(Item={"pk": f"ORG#{org_id}", "sk": "WEBHOOK", **webhook.model_dump()})

    def get_webhook(self, org_id: str) -> WebhookRecord | None:
        item = self._table.get_item(Key={"pk": f"ORG#{org_id}", "sk": "WEBHOOK"}).get("Item")
        if not item:
            return None
        return WebhookRecord.model_validate(
            {k: v for k, v in item.items() if k not in {"pk", "sk"}}
        )

    def delete_webhook(self, org_id: str) -> bool:
        result = self._table.delete_item(
            Key={"pk": f"ORG#{org_id}", "sk": "WEBHOOK"}, ReturnValues="ALL_OLD"
        )
        return bool(result.get("Attributes"))

    def mark_delivered(self, event_id: str) -> bool:
        """True the first time an event is marked; False when it was already delivered."""
        from botocore.exceptions import ClientError  # on use: botocore is slow to import

        try:
            self._table.put_item(
                Item={"pk": f"WEBHOOKEVENT#{event_id}", "sk": "DELIVERED"},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def was_delivered(self, event_id: str) -> bool:
        key = {"pk": f"WEBHOOKEVENT#{event_id}", "sk": "DELIVERED"}
        return "Item" in self._table.get_item(Key=key)
