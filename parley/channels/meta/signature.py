"""Meta's webhook authenticity: ``X-Hub-Signature-256`` and the subscription handshake.

Meta signs every webhook POST with ``sha256=<hex HMAC-SHA256(app secret, raw body)>``. The HMAC is
over the bytes exactly as received: re-serializing parsed JSON changes escapes and spacing (Meta
sends ``\\u00e9`` where Python would write ``é``), so verification happens before any parsing.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def sign(app_secret: str, raw_body: bytes) -> str:
    """The header value Meta sends for ``raw_body``."""
    digest = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def is_valid(app_secret: str | None, raw_body: bytes, header: str | None) -> bool:
    """Whether ``header`` is Meta's signature of ``raw_body``; compared in constant time.

    A channel without an app secret accepts nothing: an unsigned webhook is never trusted.
    """
    if not app_secret or not header:
        return False
    expected = sign(app_secret, raw_body)
    # Hex is case-insensitive; Meta sends lower case, proxies have been seen to keep it.
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())


def same_token(expected: str | None, given: str | None) -> bool:
    """The subscription handshake's verify token, compared in constant time."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
