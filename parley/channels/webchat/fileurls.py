"""Signed, expiring URLs for a web chat's attachments, and the channel's upload limit.

The signature (HMAC-SHA256 under the app's secret key) covers the organization, the channel, the
file and the expiry: a URL works only for its own tenant and channel, only until it expires, and
cannot be edited into another file's. The route that serves them is in ``uploads.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from parley.config import Settings
from parley.models import Channel

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
URL_TTL_S = 3600


def max_upload_bytes(channel: Channel, settings: Settings) -> int:
    raw = channel.config.get("max_upload_bytes", DEFAULT_MAX_BYTES)
    limit = raw if isinstance(raw, int) and raw > 0 else DEFAULT_MAX_BYTES
    # The body also carries the multipart framing and the other fields.
    return max(0, min(limit, settings.max_body_bytes - 4096))


def signature(settings: Settings, channel: Channel, file_id: str, expires: int) -> str:
    key = ("parley.webchat.files.v1:" + settings.secret_key).encode()
    what = f"{channel.organization_id}|{channel.id}|{file_id}|{expires}".encode()
    return hmac.new(key, what, hashlib.sha256).hexdigest()


def signed_path(
    settings: Settings, channel: Channel, file_id: str, *, now: float | None = None
) -> str:
    expires = int((time.time() if now is None else now) + URL_TTL_S)
    sig = signature(settings, channel, file_id, expires)
    return f"/widget/v1/{channel.id}/files/{file_id}?expires={expires}&sig={sig}"


def with_urls(settings: Settings, channel: Channel, view: dict[str, Any]) -> dict[str, Any]:
    """A visitor's message view (or an event carrying one) with a fresh URL per attachment."""
    message = view.get("message") if "message" in view else view
    if isinstance(message, dict):
        for attachment in message.get("attachments") or ():
            attachment["url"] = signed_path(settings, channel, attachment["file_id"])
    return view
