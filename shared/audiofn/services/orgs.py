"""Organisations and API keys. Keys are stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping

from audiofn.errors import Conflict, InvalidInput, NotFound, Unauthorized
from audiofn.models.records import ApiKeyRecord, ConsentAttestation, OrgRecord
from audiofn.naming import new_id
from audiofn.storage.table import ADMIN, AppTable

MIN_KEY_LENGTH = 32  # the api.audio SDK refuses shorter keys
KEY_ID_ATTEMPTS = 5  # key ids are 64 random bits, checked unique within the organisation
_PREFIX = re.compile(r"^[A-Za-z0-9]{1,16}_?$")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key(prefix: str = "") -> str:
    return f"{prefix}{secrets.token_urlsafe(32)}"


def create_org(table: AppTable, name: str, *, api_key: str | None = None) -> tuple[OrgRecord, str]:
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        raise InvalidInput("name must be 1 to 200 characters", field="name")
    org = OrgRecord(org_id=new_id(), name=name)
    table.put_org(org)
    _, secret = mint_key(table, org.org_id, key=api_key)
    return org, secret


def mint_key(
    table: AppTable,
    org_id: str,
    *,
    prefix: str = "",
    name: str = "",
    key: str | None = None,
    voice_consent: ConsentAttestation | None = None,
) -> tuple[ApiKeyRecord, str]:
    """Store a new key for the organisation; its secret is returned once and never stored.
    ``voice_consent`` is a standing attestation for the custom voices the key creates."""
    if prefix and not _PREFIX.match(prefix):
        raise InvalidInput(
            "prefix must be 1-16 letters or digits, optionally ending in '_'", field="prefix"
        )
    secret = key or generate_key(prefix)
    if len(secret) < MIN_KEY_LENGTH:
        raise InvalidInput(f"an API key must be at least {MIN_KEY_LENGTH} characters", field="key")
    for _ in range(KEY_ID_ATTEMPTS):
        record = ApiKeyRecord(
            key_id=secrets.token_hex(8),
            org_id=org_id,
            prefix=prefix,
            last4=secret[-4:],
            name=name[:100],
            voice_consent=voice_consent,
        )
        if table.put_key(hash_key(secret), record):
            return record, secret
    raise RuntimeError("could not find an unused key id")  # 64-bit ids: never in practice


def store_admin_key(table: AppTable, key: str) -> None:
    if len(key) < MIN_KEY_LENGTH:
        raise InvalidInput(
            f"the admin key must be at least {MIN_KEY_LENGTH} characters", field="AUDIOFN_ADMIN_KEY"
        )
    table.replace_admin_key(
        hash_key(key), ApiKeyRecord(key_id="admin", org_id=ADMIN, last4=key[-4:])
    )


def revoke_key(table: AppTable, org_id: str, key_id: str) -> None:
    """Revoke one key; the last one stays (without a key, nothing could make another)."""
    keys = table.list_keys(org_id)
    if [k.key_id for k in keys] == [key_id]:
        raise Conflict(
            "this is the organisation's last key: create another key before revoking it",
            field="keyId",
        )
    if not table.delete_key(org_id, key_id):
        raise NotFound(f"key '{key_id}' not found", field="keyId")


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    """The key as each supported client sends it: x-api-key, or Authorization Bearer/Token."""
    lowered = {k.lower(): v for k, v in headers.items()}
    direct = lowered.get("x-api-key", "").strip()
    if direct:
        return direct
    scheme, _, value = lowered.get("authorization", "").strip().partition(" ")
    if scheme.lower() in {"bearer", "token"} and value.strip():
        return value.strip()
    return None


def authenticate(table: AppTable, key: str | None) -> str:
    """The organisation id a key belongs to; admin keys are not organisation keys."""
    if not key:
        raise Unauthorized("missing API key: send it as x-api-key or Authorization: Bearer")
    found = table.find_key(hash_key(key))
    if found is None or found[0] == ADMIN:
        raise Unauthorized("invalid API key")
    return found[0]


def caller_key(table: AppTable, headers: Mapping[str, str]) -> ApiKeyRecord | None:
    """The record of the organisation key a request carries (None for none or an unknown one)."""
    key = key_from_headers(headers)
    found = table.find_key(hash_key(key)) if key else None
    if found is None or found[0] == ADMIN:
        return None
    return table.get_key(*found)


def authenticate_admin(table: AppTable, key: str | None) -> None:
    if not key:
        raise Unauthorized("missing admin key: send it as Authorization: Bearer")
    found = table.find_key(hash_key(key))
    if found is None or not hmac.compare_digest(found[0], ADMIN):
        raise Unauthorized("invalid admin key")
