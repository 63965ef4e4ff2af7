"""What a channel is to the rest of Parley: an inbound router and outbound senders.

Each channel family lives in its own package (``parley/channels/<family>/``) exposing:

- ``router``: a FastAPI APIRouter with its provider-facing endpoints. They verify authenticity on
  the raw request, parse it into ``InboundEvent``s and call ``edge.ingest`` (which owns the
  transaction); they acknowledge only after it returns.
- ``senders(settings) -> dict[ChannelKind, OutboundSender]``: how agent and automation messages
  leave by that channel. Senders are Protocol implementations chosen by configuration, so tests
  point them at a local server that speaks the provider's wire format.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from parley.config import Settings
from parley.models import Channel, Contact, ContactIdentity, Interaction, Message, StoredFile
from parley.models.enums import ChannelKind, DeliveryStatus


async def _no_files() -> list[StoredFile]:
    return []


@dataclass(frozen=True)
class Delivery:
    """Everything a sender needs to send one message."""

    channel: Channel
    interaction: Interaction
    message: Message
    contact: Contact | None
    identities: list[ContactIdentity]
    # The last message the customer sent in this interaction, for threading (email In-Reply-To).
    last_inbound: Message | None
    settings: Settings
    extra: dict[str, Any] = field(default_factory=dict)
    # The stored files the message carries, loaded only by senders that attach bytes (email):
    # the others never pay for reading them.
    files: Callable[[], Awaitable[list[StoredFile]]] = field(default=_no_files)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None
    status: DeliveryStatus = DeliveryStatus.sent


class TemporaryFailure(Exception):
    """The provider could not take it now (timeout, 5xx, 429): try again later."""

    def __init__(self, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class PermanentFailure(Exception):
    """The provider refused it for good (invalid number, unknown recipient): mark it failed."""


class OutboundSender(Protocol):
    async def send(self, delivery: Delivery) -> SendResult: ...


SendersFactory = Callable[[Settings], dict[ChannelKind, OutboundSender]]
