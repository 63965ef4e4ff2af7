"""Parley's own signed inbound contract, shared by the API, form and review endpoints.

Signed requests carry::

    X-Parley-Timestamp: <unix seconds>
    X-Parley-Signature: sha256=<hex HMAC-SHA256(webhook_secret, f"{timestamp}.{raw body}")>

The timestamp is inside the signature, so a captured request cannot be replayed with a new
timestamp, and requests more than ``TOLERANCE_S`` away from our clock are refused. Within that
window a replay is harmless: every signed contract dedupes on its event id.

Senders that cannot sign (a plain HTML form, Trustpilot's subscription URL) use the channel's
*URL token* instead: a value derived from the same secret, so rotating ``webhook_secret`` rotates
it too, and the secret itself never appears in a page or a URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from parley import clock
from parley.errors import Unauthenticated
from parley.models import Channel

TIMESTAMP_HEADER = "x-parley-timestamp"
SIGNATURE_HEADER = "x-parley-signature"
TOLERANCE_S = 300


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Parley-Signature value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def is_signed(headers: Mapping[str, str]) -> bool:
    return SIGNATURE_HEADER in headers or TIMESTAMP_HEADER in headers


def check_signed(channel: Channel, headers: Mapping[str, str], body: bytes) -> None:
    """Raise Unauthenticated unless the request carries a fresh, valid signature.

    Checked on the raw bytes, before the body is parsed or anything is stored.
    """
    raw_ts = headers.get(TIMESTAMP_HEADER, "").strip()
    given = headers.get(SIGNATURE_HEADER, "").strip()
    if not raw_ts or not given:
        raise Unauthenticated("send X-Parley-Timestamp and X-Parley-Signature")
    if not raw_ts.isdigit() or len(raw_ts) > 12:
        raise Unauthenticated("X-Parley-Timestamp must be unix seconds")
    if abs(clock.now().timestamp() - int(raw_ts)) > TOLERANCE_S:
        raise Unauthenticated("X-Parley-Timestamp is more than 5 minutes away from our clock")
    expected = signature(channel.secrets["webhook_secret"], raw_ts, body)
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise Unauthenticated("the signature does not match")


def url_token(channel: Channel) -> str:
    """The channel's URL token: public enough for a form's action URL, derived from its secret."""
    mac = hmac.new(
        channel.secrets["webhook_secret"].encode(),
        f"parley-url-token:{channel.id}".encode(),
        hashlib.sha256,
    )
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")[:32]


def check_url_token(channel: Channel, given: str | None) -> None:
    if not given or not hmac.compare_digest(url_token(channel).encode(), given.encode()):
        raise Unauthenticated("a valid channel token is required")
