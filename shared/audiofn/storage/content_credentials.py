"""Each organisation's content-credentials (C2PA) signing identity, kept in the app table and
made on first use (its first master).

C2PA#<org>  IDENTITY   certificate chain and private key (PEM); never leaves the service

The first writer wins (conditional put) and every other function reads its identity, so all
of an organisation's masters are signed by one certificate.
"""

from __future__ import annotations

import threading

from audiofn.provenance import SigningIdentity, new_signing_identity
from audiofn.storage.aws import dynamodb_table

_identities: dict[tuple[str, str], SigningIdentity] = {}
_lock = threading.Lock()


def org_signing_identity(table_name: str, org_id: str, org_name: str) -> SigningIdentity:
    """The organisation's identity (cached per process: it is never rotated in place)."""
    cached = _identities.get((table_name, org_id))
    if cached is not None:
        return cached
    from botocore.exceptions import ClientError  # on use: botocore is slow to import

    table = dynamodb_table(table_name)
    key = {"pk": f"C2PA#{org_id}", "sk": "IDENTITY"}
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
