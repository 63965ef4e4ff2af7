"""The email channel family (kind ``email``): an SMTP listener in, SMTP replies out.

- ``listener.py``: the aiosmtpd server `parley serve` starts (PARLEY_SMTP_PORT, default 2525);
- ``parse.py`` / ``mime.py``: raw bytes to a typed ``ParsedEmail`` (pure, any charset);
- ``inbound.py``: recipients to channels, parsed mail to InboundEvents, one transaction;
- ``threading.py``: the signed reply address and outgoing Message-IDs;
- ``outbound.py`` / ``smtp.py``: replies through the relay (PARLEY_SMTP_RELAY_URL).

Email has no HTTP endpoints: the router is empty. Semantics and setup: docs/channels-email.md.
"""

from __future__ import annotations

from fastapi import APIRouter

from parley.channels.base import OutboundSender
from parley.channels.email.listener import Listener, start_listener
from parley.channels.email.outbound import EmailSender
from parley.config import Settings
from parley.models.enums import ChannelKind

__all__ = ["Listener", "router", "senders", "start_listener"]

router = APIRouter()


def senders(settings: Settings) -> dict[ChannelKind, OutboundSender]:
    return {ChannelKind.email: EmailSender(settings)}
