"""VAST tracking tokens: signed, short, and counted once per event per client per window.

A token is `<random>.<mac>`: 16 random URL-safe characters and the first 16 bytes of an
HMAC-SHA256 of them under a server key (`storage.signing_keys`), base64url. A beacon whose
token is too long or not signed by us is a 404 before any table access, so made-up tokens
create nothing and cost one HMAC. Ad players fire the same beacon more than once (retries,
reloads): one client (source address and user agent, hashed: no address is stored) counts
once per event within DEDUP_WINDOW_SECONDS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

MAX_TOKEN_LENGTH = 64
DEDUP_WINDOW_SECONDS = 600
SIGNING_PURPOSE = "tracking"


def _mac(key: bytes, nonce: str) -> str:
    digest = hmac.new(key, nonce.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_tracking_token(key: bytes) -> str:
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_mac(key, nonce)}"


def is_signed_token(key: bytes, token: str) -> bool:
    """True only for a token this service made (length checked before any work)."""
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        return False
    nonce, mac = token.split(".")
    return bool(nonce) and hmac.compare_digest(mac, _mac(key, nonce))


def client_fingerprint(source_ip: str, user_agent: str) -> str:
    """Who sent a beacon, as a hash (the address itself is never stored)."""
    return hashlib.sha256(f"{source_ip}\x1f{user_agent}".encode()).hexdigest()[:24]
