"""The admin and API keys of a local deployment, and the bootstrap that registers them.

Keys come from `AUDIOFN_ADMIN_KEY` / `AUDIOFN_API_KEY`. Unset, they are generated once and
kept in the data directory, so a restart prints the same keys and a configured SDK client
keeps working.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from audiofn_local.logs import runtime_logger

LOG = runtime_logger(__name__)
KEYS_FILE = "local-keys.json"
SDK_MIN_KEY_LENGTH = 32  # the api.audio SDK refuses shorter keys
ADMIN_ENV, API_ENV = "AUDIOFN_ADMIN_KEY", "AUDIOFN_API_KEY"


class BootstrapError(RuntimeError):
    """`audiofn.bootstrap.ensure_bootstrap` is missing or failed."""


@dataclass(frozen=True)
class LocalKeys:
    admin_key: str
    api_key: str
    admin_source: str  # "AUDIOFN_ADMIN_KEY", "generated" or "saved"
    api_source: str


def new_key() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


def resolve_keys(data_dir: Path, environ: Mapping[str, str] | None = None) -> LocalKeys:
    """Keys from the environment, else the ones saved in `data_dir`, else new ones (saved)."""
    env = os.environ if environ is None else environ
    path = data_dir / KEYS_FILE
    saved: dict[str, str] = {}
    if path.is_file():
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            LOG.warning("ignoring unreadable %s", path)
    chosen: dict[str, tuple[str, str]] = {}
    for field, env_name in (("adminKey", ADMIN_ENV), ("apiKey", API_ENV)):
        if env.get(env_name):
            chosen[field] = (env[env_name], env_name)
        elif saved.get(field):
            chosen[field] = (saved[field], "saved")
        else:
            chosen[field] = (new_key(), "generated")
        if len(chosen[field][0]) < SDK_MIN_KEY_LENGTH:
            LOG.warning(
                "%s is shorter than %d characters; SDK clients will refuse it",
                env_name,
                SDK_MIN_KEY_LENGTH,
            )
    if any(source == "generated" for _, source in chosen.values()):
        # Only keys this module made are written down; keys from the environment stay there.
        made = {
            key: value
            for key, (value, source) in chosen.items()
            if source not in {ADMIN_ENV, API_ENV}
        }
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(json.dumps({**saved, **made}, indent=2))
    return LocalKeys(
        admin_key=chosen["adminKey"][0],
        api_key=chosen["apiKey"][0],
        admin_source=chosen["adminKey"][1],
        api_source=chosen["apiKey"][1],
    )


def run_bootstrap(keys: LocalKeys) -> None:
    """Call `audiofn.bootstrap.ensure_bootstrap(admin_key, api_key)` (idempotent)."""
    try:
        module = importlib.import_module("audiofn.bootstrap")
        ensure_bootstrap = module.ensure_bootstrap
    except (ImportError, AttributeError) as error:
        raise BootstrapError(
            f"audiofn.bootstrap.ensure_bootstrap is not available ({error}); it stores the "
            "admin key and the default organisation. Run with --no-bootstrap for a template "
            "that does not use them."
        ) from error
    try:
        ensure_bootstrap(keys.admin_key, keys.api_key)
    except Exception as error:
        raise BootstrapError(f"ensure_bootstrap failed: {error!r}") from error
