"""First start: store the admin key and make sure the first organisation owns its key."""

from __future__ import annotations

from audiofn.services.orgs import create_org, hash_key, store_admin_key
from audiofn.storage.table import AppTable

FIRST_ORG_NAME = "default"


def ensure_bootstrap(admin_key: str, api_key: str, *, table_name: str | None = None) -> None:
    """Idempotent: safe on every start, with the same or with new keys."""
    from audiofn.config import api_settings

    table = AppTable(table_name or api_settings().table)
    store_admin_key(table, admin_key)
    if table.find_key(hash_key(api_key)) is None:
        create_org(table, FIRST_ORG_NAME, api_key=api_key)
