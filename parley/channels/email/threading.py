"""Threading for email: the signed reply address and outgoing Message-IDs. Pure.

Every reply Parley sends carries ``Reply-To: reply+<token>@<PARLEY_EMAIL_DOMAIN>``. The token is the
interaction id plus an HMAC-SHA256 tag (truncated to 80 bits) under a key derived from the server's
secret and the organization id, base32-encoded so that mail systems that change the case of local
parts do not break it. A customer's answer to that address threads to the interaction even when
their client drops In-Reply-To and References. A token that does not verify is ignored: it is
never trusted to name an interaction, and on its own it is an unknown mailbox.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass

PREFIX = "reply+"
TAG_BYTES = 10


@dataclass(frozen=True)
class ReplyToken:
    """A token as written in an address: what it claims, not yet verified."""

    interaction_id: uuid.UUID
    tag: bytes


def _tag(secret_key: str, organization_id: uuid.UUID, interaction_id: uuid.UUID) -> bytes:
    key = hmac.new(
        secret_key.encode(), b"parley/email-reply/" + organization_id.bytes, hashlib.sha256
    ).digest()
    return hmac.new(key, interaction_id.bytes, hashlib.sha256).digest()[:TAG_BYTES]


def reply_token(secret_key: str, organization_id: uuid.UUID, interaction_id: uuid.UUID) -> str:
    raw = interaction_id.bytes + _tag(secret_key, organization_id, interaction_id)
    return base64.b32encode(raw).decode().rstrip("=").lower()


def reply_address(
    secret_key: str, domain: str, organization_id: uuid.UUID, interaction_id: uuid.UUID
) -> str:
    return f"{PREFIX}{reply_token(secret_key, organization_id, interaction_id)}@{domain}"


def read_reply_address(address: str, domain: str) -> ReplyToken | None:
    """The token in ``reply+<token>@domain`` (any case), or None if the address is not one."""
    local, _, host = address.strip().strip("<>").rpartition("@")
    if host.lower() != domain.lower() or not local.lower().startswith(PREFIX):
        return None
    text = local[len(PREFIX) :].upper()
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16 + TAG_BYTES:
        return None
    return ReplyToken(uuid.UUID(bytes=raw[:16]), raw[16:])


def verify(secret_key: str, organization_id: uuid.UUID, token: ReplyToken) -> bool:
    expected = _tag(secret_key, organization_id, token.interaction_id)
    return hmac.compare_digest(expected, token.tag)


def outgoing_message_id(message_id: uuid.UUID, domain: str) -> str:
    """The Message-ID of an outbound message: stable, so a retried send is the same email."""
    return f"<{message_id.hex}@{domain}>"
