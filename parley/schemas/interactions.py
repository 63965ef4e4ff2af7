"""Interactions, messages and the activity feed, as the outside world sees them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_serializer

from parley.models.enums import (
    ActorType,
    CommunicationType,
    DeliveryStatus,
    Direction,
    HandledBy,
    MessageDirection,
    MessageKind,
    MessageRole,
    Outcome,
    Owner,
    Priority,
    Sentiment,
    State,
)
from parley.schemas.common import JsonObject, Read, Write


class InteractionRead(Read):
    id: uuid.UUID
    number: int
    contact_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    communication_type: CommunicationType
    subtype: str
    direction: Direction
    state: State
    owner: Owner
    is_open: bool
    queue_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    priority: Priority
    subject: str
    outcome: Outcome | None
    disposition: str | None
    notes: str
    custom_fields: dict[str, Any]
    tags: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    queued_at: datetime | None
    assigned_at: datetime | None
    first_response_at: datetime | None
    last_customer_message_at: datetime | None
    last_agent_message_at: datetime | None
    last_message_at: datetime | None
    wrap_up_at: datetime | None
    completed_at: datetime | None
    completed_by_id: uuid.UUID | None
    completed_by_name: str | None
    cloned_from_id: uuid.UUID | None
    message_count: int
    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_breached: bool
    next_response_breached: bool
    resolution_breached: bool
    sla_paused_at: datetime | None = None
    abandoned_at: datetime | None = None
    merged_into_id: uuid.UUID | None = None
    client: dict[str, Any]
    handled_by: HandledBy | None
    ai_agent_id: uuid.UUID | None
    procedure_id: uuid.UUID | None
    llm_model: str | None
    billable_messages: int
    llm_tokens_in: int
    llm_tokens_out: int
    llm_cost: Decimal
    sentiment: Sentiment | None
    sentiment_score: float | None
    sentiment_description: str | None
    csat: int | None
    csat_description: str | None
    csat_source: str | None
    topic: str | None
    summary: str | None
    keywords: list[Any]

    @field_serializer("llm_cost")
    def _cost(self, value: Decimal) -> str:
        # Always six places, so a value read back from the database serializes like a fresh one.
        return format(Decimal(value).quantize(Decimal("0.000001")), "f")


class MessageRead(Read):
    id: uuid.UUID
    interaction_id: uuid.UUID
    seq: int
    role: MessageRole
    kind: MessageKind
    direction: MessageDirection
    author_type: ActorType
    author_id: uuid.UUID | None
    author_name: str
    text: str
    html: str | None
    attachments: list[Any]
    channel_id: uuid.UUID | None
    provider_message_id: str | None
    delivery_status: DeliveryStatus | None
    sentiment: Sentiment | None
    sentiment_score: float | None
    created_at: datetime


class ActivityRead(Read):
    id: uuid.UUID
    interaction_id: uuid.UUID
    kind: str
    actor_type: ActorType
    actor_id: uuid.UUID | None
    actor_name: str
    data: dict[str, Any]
    created_at: datetime


class InteractionDetail(InteractionRead):
    messages: list[MessageRead]
    activity: list[ActivityRead]


# --- what the API accepts -------------------------------------------------------------------------

Text = Field(min_length=1, max_length=20_000)


class InteractionCreate(Write):
    direction: Direction = Direction.inbound
    communication_type: CommunicationType = CommunicationType.task
    subtype: str | None = Field(default=None, max_length=32)
    contact_id: uuid.UUID | None = None
    channel_id: uuid.UUID | None = None
    queue_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    subject: str = Field(default="", max_length=500)
    priority: Priority = Priority.normal
    client: JsonObject = Field(default_factory=dict)
    custom_fields: JsonObject = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list, max_length=50)
    # The first message, from the customer (inbound) or the agent (outbound).
    text: str | None = Field(default=None, max_length=20_000)


class InteractionUpdate(Write):
    subject: str | None = Field(default=None, max_length=500)
    priority: Priority | None = None
    disposition: str | None = Field(default=None, max_length=120)
    notes: str | None = Field(default=None, max_length=20_000)
    outcome: Outcome | None = None
    communication_type: CommunicationType | None = None
    subtype: str | None = Field(default=None, max_length=32)
    custom_fields: JsonObject | None = None


class MessageCreate(Write):
    text: str = Text
    html: str | None = Field(default=None, max_length=100_000)
    # Integrations post customer messages, people agent messages, automation assistant messages.
    role: MessageRole | None = None
    internal: bool = False


class NoteCreate(Write):
    text: str = Text


class AssignIn(Write):
    user_id: uuid.UUID


class TransferIn(Write):
    queue_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    note: str = Field(default="", max_length=5_000)


class TransferExternalIn(Write):
    method: Literal["email", "sms", "voice"]
    to: str = Field(min_length=3, max_length=320)
    note: str = Field(default="", max_length=5_000)


class MergeIn(Write):
    source_id: uuid.UUID


class CompleteIn(Write):
    outcome: Outcome = Outcome.resolved
    disposition: str | None = Field(default=None, max_length=120)
    notes: str | None = Field(default=None, max_length=20_000)


class ReopenIn(Write):
    reason: str = Field(default="", max_length=1_000)


class TagsIn(Write):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class InteractionPage(Read):
    items: list[InteractionRead]
    next_cursor: str | None
