"""Custom voices, voice collections and voice usage counters in the app table.

ORG#<org>               VOICE#<uuid>        a custom voice profile (VoiceProfileRecord)
VOICEID#<id>            VOICE               numeric id -> {org_id, uuid}
VOICEUUID#<uuid>        VOICE               uuid -> {org_id, id}
PUBLICVOICE             VOICE#<uuid>        a public custom voice -> {org_id}
COUNTER                 VOICEID             the last numeric voice id handed out (atomic ADD)
ORG#<org>               VCOLLECTION#<id>    a voice collection (VoiceCollectionRecord)
VOICEUSAGE#<org>#<vid>  DAY#<yyyy-mm-dd>    generations, characters, seconds (atomic ADD);
                                            <vid> is '*' for the organisation's total
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from audiofn.models.voices import VoiceCollectionRecord, VoiceProfileRecord, VoiceUsageDay
from audiofn.storage.aws import dynamodb_table

# Numeric ids start high, clear of the small ids other protocols map to built-in voices.
FIRST_VOICE_ID = 1_000_000
ALL_VOICES = "*"
USAGE_TOTAL = "ALL"  # a voice's all-time counters; sorts before "DAY#", so day queries skip it


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the models want int and float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dynamo(value: Any) -> Any:
    """Floats become Decimal for boto3's resource layer."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dynamo(v) for v in value]
    return value


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in item.items() if k not in {"pk", "sk"}}


@dataclass(frozen=True)
class VoicesTable:
    name: str

    @property
    def _table(self) -> Any:
        return dynamodb_table(self.name)

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

    # ------------------------------------------------------------ profiles
    def next_voice_id(self) -> int:
        result = self._table.update_item(
            Key={"pk": "COUNTER", "sk": "VOICEID"},
            UpdateExpression="ADD last_id :one",
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )
        return FIRST_VOICE_ID + int(result["Attributes"]["last_id"])

    def put_profile(self, profile: VoiceProfileRecord) -> None:
        item = _dynamo(profile.model_dump(mode="json"))
        self._table.put_item(
            Item={"pk": f"ORG#{profile.org_id}", "sk": f"VOICE#{profile.uuid}", **item}
        )
        self._table.put_item(
            Item={
                "pk": f"VOICEID#{profile.id}",
                "sk": "VOICE",
                "org_id": profile.org_id,
                "uuid": profile.uuid,
            }
        )
        self._table.put_item(
            Item={
                "pk": f"VOICEUUID#{profile.uuid}",
                "sk": "VOICE",
                "org_id": profile.org_id,
                "id": profile.id,
            }
        )
        self._set_public(profile)

    def set_progress(self, org_id: str, uuid: str, percent: int) -> None:
        """A PROCESSING profile's progress, alone (a rename made meanwhile stays); a profile
        deleted or finished meanwhile is left as it is."""
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"pk": f"ORG#{org_id}", "sk": f"VOICE#{uuid}"},
                UpdateExpression="SET progress = :percent",
                ConditionExpression="#status = :processing",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":percent": percent, ":processing": "PROCESSING"},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def _set_public(self, profile: VoiceProfileRecord) -> None:
        key = {"pk": "PUBLICVOICE", "sk": f"VOICE#{profile.uuid}"}
        if profile.is_public:
            self._table.put_item(Item={**key, "org_id": profile.org_id})
        else:
            self._table.delete_item(Key=key)

    def get_profile(self, org_id: str, uuid: str) -> VoiceProfileRecord | None:
        item = self._table.get_item(
            Key={"pk": f"ORG#{org_id}", "sk": f"VOICE#{uuid}"}, ConsistentRead=True
        ).get("Item")
        return VoiceProfileRecord.model_validate(_strip(item)) if item else None

    def locate(self, identifier: str) -> tuple[str, str] | None:
        """(org_id, uuid) of a voice by its numeric id or uuid, whoever owns it."""
        if identifier.isdigit():
            key = {"pk": f"VOICEID#{int(identifier)}", "sk": "VOICE"}
            item = self._table.get_item(Key=key).get("Item")
            return (str(item["org_id"]), str(item["uuid"])) if item else None
        item = self._table.get_item(
            Key={"pk": f"VOICEUUID#{identifier.lower()}", "sk": "VOICE"}
        ).get("Item")
        return (str(item["org_id"]), identifier.lower()) if item else None

    def list_profiles(self, org_id: str) -> list[VoiceProfileRecord]:
        return [
            VoiceProfileRecord.model_validate(_strip(item))
            for item in self._query(f"ORG#{org_id}", "VOICE#")
        ]

    def list_public_profiles(self) -> list[VoiceProfileRecord]:
        found = []
        for pointer in self._query("PUBLICVOICE", "VOICE#"):
            profile = self.get_profile(str(pointer["org_id"]), str(pointer["sk"])[len("VOICE#") :])
            if profile is not None and profile.is_public:
                found.append(profile)
        return found

    def delete_profile(self, profile: VoiceProfileRecord) -> None:
        self._table.delete_item(Key={"pk": f"ORG#{profile.org_id}", "sk": f"VOICE#{profile.uuid}"})
        self._table.delete_item(Key={"pk": f"VOICEID#{profile.id}", "sk": "VOICE"})
        self._table.delete_item(Key={"pk": f"VOICEUUID#{profile.uuid}", "sk": "VOICE"})
        self._table.delete_item(Key={"pk": "PUBLICVOICE", "sk": f"VOICE#{profile.uuid}"})

    # ------------------------------------------------------------ collections
    def put_collection(self, collection: VoiceCollectionRecord) -> None:
        self._table.put_item(
            Item={
                "pk": f"ORG#{collection.org_id}",
                "sk": f"VCOLLECTION#{collection.collection_id}",
                **_dynamo(collection.model_dump(mode="json")),
            }
        )

    def get_collection(self, org_id: str, collection_id: str) -> VoiceCollectionRecord | None:
        item = self._table.get_item(
            Key={"pk": f"ORG#{org_id}", "sk": f"VCOLLECTION#{collection_id}"}, ConsistentRead=True
        ).get("Item")
        return VoiceCollectionRecord.model_validate(_strip(item)) if item else None

    def list_collections(self, org_id: str) -> list[VoiceCollectionRecord]:
        return [
            VoiceCollectionRecord.model_validate(_strip(item))
            for item in self._query(f"ORG#{org_id}", "VCOLLECTION#")
        ]

    # ------------------------------------------------------------ usage
    def add_usage(
        self, org_id: str, voice_id: str, day: str, characters: int, seconds: float
    ) -> None:
        """Atomic ADD on the voice's day, its all-time total, and the organisation's day."""
        for vid, sk in {
            (voice_id, f"DAY#{day}"),
            (voice_id, USAGE_TOTAL),
            (ALL_VOICES, f"DAY#{day}"),
        }:
            self._table.update_item(
                Key={"pk": f"VOICEUSAGE#{org_id}#{vid}", "sk": sk},
                UpdateExpression="ADD generations :one, characters :chars, seconds :secs",
                ExpressionAttributeValues={
                    ":one": 1,
                    ":chars": int(characters),
                    ":secs": Decimal(str(round(seconds, 3))),
                },
            )

    def usage_totals(self, org_id: str, voice_ids: list[str]) -> dict[str, int]:
        """All-time generations per voice (at most 100 voices: one BatchGetItem)."""
        wanted = list(dict.fromkeys(voice_ids))[:100]
        if not wanted:
            return {}
        prefix = f"VOICEUSAGE#{org_id}#"
        request: dict[str, Any] = {
            self.name: {
                "Keys": [{"pk": prefix + vid, "sk": USAGE_TOTAL} for vid in wanted],
                "ProjectionExpression": "pk, generations",
            }
        }
        totals: dict[str, int] = {}
        while request:  # the resource's client takes and gives plain values
            answer = self._table.meta.client.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(self.name, []):
                totals[str(item["pk"])[len(prefix) :]] = int(item.get("generations", 0))
            request = answer.get("UnprocessedKeys") or {}
        return totals

    def preview_token(self, org_id: str) -> str:
        """The organisation's token in keyless preview URLs, made on first use (both ways
        round: organisation to token, token to organisation, in one transaction)."""
        import secrets

        key = {"pk": f"VOICEPREVIEWTOKEN#{org_id}", "sk": "TOKEN"}
        found = self._table.get_item(Key=key).get("Item")
        if found:
            return str(found["token"])
        token = secrets.token_urlsafe(18)
        reverse = {"pk": f"VOICEPREVIEWORG#{token}", "sk": "ORG", "org_id": org_id}
        try:  # the resource's client takes plain values
            self._table.meta.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.name,
                            "Item": {**key, "token": token},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self.name, "Item": reverse}},
                ]
            )
        except Exception as error:
            if type(error).__name__ != "TransactionCanceledException":
                raise
            return str(self._table.get_item(Key=key, ConsistentRead=True)["Item"]["token"])
        return token

    def org_of_preview_token(self, token: str) -> str | None:
        item = self._table.get_item(Key={"pk": f"VOICEPREVIEWORG#{token}", "sk": "ORG"}).get("Item")
        return str(item["org_id"]) if item else None

    def usage_days(self, org_id: str, voice_id: str, first_day: str) -> list[VoiceUsageDay]:
        from boto3.dynamodb.conditions import Key

        pk = f"VOICEUSAGE#{org_id}#{voice_id}"
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").gte(f"DAY#{first_day}")
        }
        days = []
        while True:
            page = self._table.query(**kwargs)
            for item in page.get("Items", []):
                days.append(
                    VoiceUsageDay(
                        date=str(item["sk"])[len("DAY#") :],
                        generations=int(item.get("generations", 0)),
                        characters=int(item.get("characters", 0)),
                        seconds=float(item.get("seconds", 0)),
                    )
                )
            if "LastEvaluatedKey" not in page:
                return days
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
