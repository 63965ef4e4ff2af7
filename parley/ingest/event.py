"""What every channel adapter produces: one typed, provider-free InboundEvent.

Nothing provider-specific passes this point. Adapters verify authenticity on the raw request,
parse it, and hand an InboundEvent to the ingest pipeline (``parley.ingest.pipeline``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from parley.models.enums import ChannelKind, DeliveryStatus, IdentityKind


class EventType(StrEnum):
    """The Gnatta event vocabulary, plus Parley's system events. Flows bind to these."""

    new_message = "new_message_received"
    response = "response_received"
    chat_started = "chat_started"
    chat_ended = "chat_ended"
    contact_form = "contact_form_received"
    survey_completed = "chat_survey_completed"
    external_request = "external_http_request"
    call_started = "call_started"
    call_ended = "call_ended"
    voicemail = "voicemail_received"
    review = "review_received"
    # System events, raised by timers rather than by a customer.
    sla_breached = "sla_breached"
    no_customer_reply = "no_customer_reply"
    no_agent_reply = "no_agent_reply"
    idle = "interaction_idle"
    schedule = "schedule"


class Happening(StrEnum):
    """What the provider told us happened, before Parley decides which event type that is."""

    message = "message"
    chat_start = "chat_start"
    chat_end = "chat_end"
    form = "form"
    survey = "survey"
    call_start = "call_start"
    call_end = "call_end"
    voicemail = "voicemail"
    review = "review"
    review_edit = "review_edit"
    external = "external"
    status = "status"
    # Something about an earlier message (an edit, a deletion, a provider notice): recorded as a
    # system line in the transcript, classified like a message, never answered.
    notice = "notice"


@dataclass(frozen=True)
class Sender:
    """Who is writing: every identity the provider gives, most specific first."""

    identities: tuple[tuple[IdentityKind, str], ...]
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    # Provider-hosted media (Twilio MediaUrl, Meta media id) or Parley's stored copy.
    url: str | None = None
    storage_key: str | None = None
    content_id: str | None = None


@dataclass(frozen=True)
class ThreadHints:
    """Everything that can tie a message to an interaction already in progress."""

    # Keys under which this message can be found later (its email Message-ID, a chat session id,
    # a call sid, a review id). Replies name one of them.
    own_keys: tuple[str, ...] = ()
    # Keys this message refers to (In-Reply-To and References, the session of a chat message...).
    refers_to: tuple[str, ...] = ()
    # A signed reply-address token that names the interaction directly.
    interaction_id: uuid.UUID | None = None


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery receipt for an outbound message."""

    provider_message_id: str
    status: DeliveryStatus
    error: str | None = None


@dataclass(frozen=True)
class InboundEvent:
    organization_id: uuid.UUID
    channel_id: uuid.UUID
    channel_kind: ChannelKind
    happening: Happening
    sender: Sender
    provider_message_id: str | None = None
    text: str = ""
    html: str | None = None
    subject: str | None = None
    attachments: tuple[Attachment, ...] = ()
    thread: ThreadHints = field(default_factory=ThreadHints)
    client: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None
    status: StatusUpdate | None = None
    # Channel specifics that flows may read: form fields, survey score, call duration, rating...
    data: dict[str, Any] = field(default_factory=dict)
    # Auto-replies and bounces are recorded but never answered (RFC 3834).
    automated: bool = False
