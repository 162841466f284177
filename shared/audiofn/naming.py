"""Identifiers and the names that end up inside S3 keys.

Every user-supplied name that becomes part of a key passes through `check_name`, so no
value can leave its organisation's prefix (no slashes, no `..`, no control characters).
"""

from __future__ import annotations

import hashlib
import re
import uuid

from audiofn.errors import InvalidInput

MAX_NAME_LENGTH = 100
# Letters and digits of any script, space, underscore, dot, hyphen; must start with a word char.
_NAME = re.compile(r"\A\w[\w .\-]*\Z", re.UNICODE)  # \Z: "$" would let a final newline in
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def new_id() -> str:
    return str(uuid.uuid4())


def check_name(value: str, field: str) -> str:
    """Return `value` if it is safe inside an S3 key, else raise InvalidInput naming `field`."""
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{field} must be a non-empty string", field=field)
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidInput(f"{field} is longer than {MAX_NAME_LENGTH} characters", field=field)
    if ".." in value or not _NAME.match(value):
        raise InvalidInput(
            f"{field} may contain only letters, digits, spaces, '_', '.' and '-' "
            "(no slashes, '..' or control characters)",
            field=field,
        )
    return value


def slug(value: str, max_length: int = 40) -> str:
    """An ASCII, URL-safe rendering of a value for readable file names."""
    cleaned = _SLUG_UNSAFE.sub("-", value).strip("-.")
    return cleaned[:max_length] or "x"


def short_hash(*parts: str, length: int = 8) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return digest[:length]
