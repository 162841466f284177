"""First start: store the admin key and make sure the first organisation owns its key."""

from __future__ import annotations

import threading

from audiofn.observability import logger
from audiofn.services.orgs import create_org, hash_key, store_admin_key
from audiofn.storage.table import AppTable

FIRST_ORG_NAME = "default"


def ensure_bootstrap(admin_key: str, api_key: str, *, table_name: str | None = None) -> None:
    """Idempotent: safe on every start, with the same or with new keys."""
    from audiofn.config import api_settings

    settings = api_settings()
    table = AppTable(table_name or settings.table)
    store_admin_key(table, admin_key)
    if table.find_key(hash_key(api_key)) is None:
        create_org(table, FIRST_ORG_NAME, api_key=api_key)
    # Render the sound library in the background: it is not needed to answer requests
    # (mastering renders a missing template itself), only for listings' snippets.
    threading.Thread(target=_render_library, name="sound-library", daemon=True).start()


def _render_library() -> None:
    _yield_the_cpu()
    try:
        rendered = ensure_sound_library()
    except Exception:  # a failed render is retried by mastering on first use
        logger.exception("rendering the sound library failed")
        return
    if rendered:
        logger.info("sound library rendered", extra={"templates": rendered})


def _yield_the_cpu() -> None:
    """Run the calling thread at the lowest priority: rendering the library takes seconds of
    CPU on a first start, which requests being answered meanwhile should not wait for."""
    import contextlib
    import os

    # Linux schedules threads as tasks, so only this thread is made nicer; elsewhere (or
    # where it is not permitted) the library renders at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def ensure_sound_library() -> list[str]:
    """Render the sound templates into the media bucket once (the first start)."""
    from audiofn.config import api_settings
    from audiofn.services.sound_library import ensure_library
    from audiofn.storage.media import MediaStore

    return ensure_library(MediaStore(api_settings().media_bucket))
