"""Each organisation's content-credentials (C2PA) signing identity.

C2PA#<org>  IDENTITY   the default: a certificate chain and private key (PEM) made on first
                       use (its first master); never leaves the service
C2PA#<org>  SOURCE     where the organisation's own certificate and key are kept instead: a
                       Secrets Manager secret or an SSM SecureString parameter, by name (the
                       key itself is never stored here)

The first writer of the default wins (conditional put) and every other function reads its
identity, so all of an organisation's masters are signed by one certificate. An own
certificate is read through Powertools' cache (5 minutes), so a rotated secret is taken up
without a redeploy; removing the source returns the organisation to its default identity.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from audiofn.provenance import SigningIdentity, identity_from_pem, new_signing_identity
from audiofn.storage.aws import dynamodb_table

_identities: dict[tuple[str, str], SigningIdentity] = {}
_lock = threading.Lock()


class SigningSource(BaseModel):
    """An organisation's own certificate and key, kept in AWS as a JSON string
    ``{"certificateChain": "<PEM, leaf first>", "privateKey": "<PEM>"}``."""

    model_config = ConfigDict(frozen=True)

    store: Literal["secretsmanager", "ssm"]
    name: str


def _key(org_id: str, sk: str) -> dict[str, str]:
    return {"pk": f"C2PA#{org_id}", "sk": sk}


def org_signing_identity(table_name: str, org_id: str, org_name: str) -> SigningIdentity:
    """The organisation's own certificate when it has named one, else its default identity
    (cached per process: the default is never rotated in place)."""
    source = signing_source(table_name, org_id)
    if source is not None:
        return read_signing_source(source)
    return default_signing_identity(table_name, org_id, org_name)


def signing_source(table_name: str, org_id: str) -> SigningSource | None:
    item = dynamodb_table(table_name).get_item(Key=_key(org_id, "SOURCE")).get("Item")
    return SigningSource(store=item["store"], name=item["name"]) if item else None


def set_signing_source(table_name: str, org_id: str, source: SigningSource | None) -> None:
    """Name the organisation's own certificate (None: back to its default identity)."""
    table = dynamodb_table(table_name)
    if source is None:
        table.delete_item(Key=_key(org_id, "SOURCE"))
    else:
        table.put_item(Item={**_key(org_id, "SOURCE"), **source.model_dump()})


def read_signing_source(source: SigningSource) -> SigningIdentity:
    """The certificate and key the source holds, checked (``UnusableCertificate`` says why
    not; ``ConfigError`` when it cannot be read)."""
    from audiofn.provenance import UnusableCertificate
    from audiofn.storage.secrets import parameter_value, secret_value

    raw = (
        secret_value(source.name)
        if source.store == "secretsmanager"
        else parameter_value(source.name)
    )
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(k), str) for k in ("certificateChain", "privateKey")
    ):
        raise UnusableCertificate(
            f"{source.name} must hold a JSON object with certificateChain and privateKey (PEM)"
        )
    return identity_from_pem(value["certificateChain"], value["privateKey"])


def default_signing_identity(table_name: str, org_id: str, org_name: str) -> SigningIdentity:
    """The organisation's own root and signing certificate, made on first use."""
    cached = _identities.get((table_name, org_id))
    if cached is not None:
        return cached
    from botocore.exceptions import ClientError  # on use: botocore is slow to import

    table = dynamodb_table(table_name)
    key = _key(org_id, "IDENTITY")
    with _lock:
        item = table.get_item(Key=key, ConsistentRead=True).get("Item")
        if item is None:
            made = new_signing_identity(org_name)
            try:
                table.put_item(
                    Item={
                        **key,
                        "certificateChain": made.certificate_chain_pem,
                        "privateKey": made.private_key_pem,
                    },
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
            item = table.get_item(Key=key, ConsistentRead=True)["Item"]
        identity = SigningIdentity(str(item["certificateChain"]), str(item["privateKey"]))
        _identities[(table_name, org_id)] = identity
    return identity


def reset_signing_identities() -> None:
    """Tests start each case with a fresh table."""
    _identities.clear()
