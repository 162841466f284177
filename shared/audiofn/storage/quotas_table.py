"""Per-organisation counters in the app table, each one item updated with a condition, so
concurrent API functions agree without a lock: the request window, today's characters, and
the running jobs. Items live under ``QUOTA#<org>`` apart from the organisation's data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audiofn.models.quotas import OrgLimits
from audiofn.storage.aws import dynamodb_table


def _pk(org_id: str) -> str:
    return f"QUOTA#{org_id}"


def _refused(error: Exception) -> bool:
    from botocore.exceptions import ClientError

    return (
        isinstance(error, ClientError)
        and error.response["Error"]["Code"] == "ConditionalCheckFailedException"
    )


@dataclass(frozen=True)
class QuotasTable:
    name: str

    @property
    def _table(self) -> Any:
        return dynamodb_table(self.name)

    def get_limits(self, org_id: str) -> OrgLimits:
        item = self._table.get_item(Key={"pk": _pk(org_id), "sk": "LIMITS"}).get("Item") or {}
        return OrgLimits.model_validate(
            {k: v for k, v in item.items() if k in OrgLimits.model_fields}
        )

    def put_limits(self, org_id: str, limits: OrgLimits) -> None:
        item = {"pk": _pk(org_id), "sk": "LIMITS", **limits.model_dump(exclude_none=True)}
        self._table.put_item(Item=_decimals(item))

    def take(self, org_id: str, counter: str, period: str, amount: int, most: int) -> bool:
        """Add ``amount`` to the counter of ``period`` (a window or a day) unless that would
        pass ``most``; a later period starts the counter afresh. False when refused."""
        if amount > most:
            return False
        if self._add(org_id, counter, period, amount, most) or self._start(
            org_id, counter, period, amount
        ):
            return True
        # A concurrent request started this period between the two updates: count against it.
        return self._add(org_id, counter, period, amount, most)

    def _add(self, org_id: str, counter: str, period: str, amount: int, most: int) -> bool:
        try:
            self._table.update_item(
                Key={"pk": _pk(org_id), "sk": counter},
                UpdateExpression="SET #n = #n + :amount",
                ConditionExpression="#p = :period AND #n <= :room",
                ExpressionAttributeNames={"#p": "period", "#n": "used"},
                ExpressionAttributeValues={
                    ":amount": amount,
                    ":period": period,
                    ":room": most - amount,
                },
            )
            return True
        except Exception as error:
            if not _refused(error):
                raise
            return False

    def _start(self, org_id: str, counter: str, period: str, amount: int) -> bool:
        """Start counting a new period (or the first ever) at ``amount``."""
        try:
            self._table.update_item(
                Key={"pk": _pk(org_id), "sk": counter},
                UpdateExpression="SET #p = :period, #n = :amount",
                ConditionExpression="attribute_not_exists(#p) OR #p < :period",
                ExpressionAttributeNames={"#p": "period", "#n": "used"},
                ExpressionAttributeValues={":amount": amount, ":period": period},
            )
            return True
        except Exception as error:
            if not _refused(error):
                raise
            return False

    def used(self, org_id: str, counter: str, period: str) -> int:
        item = self._table.get_item(Key={"pk": _pk(org_id), "sk": counter}).get("Item") or {}
        return int(item.get("used", 0)) if item.get("period") == period else 0

    def running(self, org_id: str) -> dict[str, str]:
        """Job id -> when it claimed its slot, of the jobs holding a slot."""
        item = self._table.get_item(
            Key={"pk": _pk(org_id), "sk": "RUNNING"}, ConsistentRead=True
        ).get("Item")
        return dict((item or {}).get("jobs", {}))

    def claim(self, org_id: str, job_id: str, at: str, most: int) -> bool:
        """Hold one of ``most`` slots for the job; False when all are held."""
        key = {"pk": _pk(org_id), "sk": "RUNNING"}
        try:
            self._table.update_item(
                Key=key,
                UpdateExpression="SET jobs.#job = :at",
                ConditionExpression="attribute_exists(jobs) AND size(jobs) < :most",
                ExpressionAttributeNames={"#job": job_id},
                ExpressionAttributeValues={":at": at, ":most": most},
            )
            return True
        except Exception as error:
            if not _refused(error):
                raise
        try:  # the first job ever: the map does not exist yet
            self._table.update_item(
                Key=key,
                UpdateExpression="SET jobs = :jobs",
                ConditionExpression="attribute_not_exists(jobs)",
                ExpressionAttributeValues={":jobs": {job_id: at}},
            )
            return True
        except Exception as error:
            if not _refused(error):
                raise
        return False

    def release(self, org_id: str, job_ids: list[str]) -> None:
        if not job_ids:
            return
        names = {f"#j{i}": job_id for i, job_id in enumerate(job_ids)}
        self._table.update_item(
            Key={"pk": _pk(org_id), "sk": "RUNNING"},
            UpdateExpression="REMOVE " + ", ".join(f"jobs.{name}" for name in names),
            ExpressionAttributeNames=names,
        )


def _decimals(item: dict[str, Any]) -> dict[str, Any]:
    from decimal import Decimal

    return {k: Decimal(str(v)) if isinstance(v, float) else v for k, v in item.items()}
