"""Random secrets that are shown once and stored only as a hash (API keys, session tokens)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "pk"


def digest(secret: str) -> str:
    # These secrets carry 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_api_key() -> tuple[str, str]:
    """(lookup prefix, full key). The key reads ``pk_<prefix>_<secret>``."""
    prefix = secrets.token_hex(6)
    return prefix, f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


def api_key_prefix(key: str) -> str | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 12:
        return None
    return parts[1]


def new_session_token() -> str:
    return secrets.token_urlsafe(32)
