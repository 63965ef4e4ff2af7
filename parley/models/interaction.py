"""The interaction: one conversation with a customer, whatever channels it crosses."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.db.base import Base, CreatedMixin, IdMixin, utcnow
from parley.models.enums import (
    CommunicationType,
    Direction,
    HandledBy,
    Outcome,
    Owner,
    Priority,
    Sentiment,
    State,
)

OWNER_OF_STATE = {
    State.automated: Owner.automation,
    State.queued: Owner.queue,
    State.assigned: Owner.agent,
    State.wrap_up: Owner.agent,
    State.completed: Owner.none,
}


class Interaction(IdMixin, CreatedMixin, Base):
    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("organization_id", "number"),
        Index("ix_interactions_org_created", "organization_id", "created_at", "id"),
        Index("ix_interactions_org_state", "organization_id", "state", "created_at"),
        Index("ix_interactions_org_queue", "organization_id", "queue_id", "state"),
        Index("ix_interactions_org_assignee", "organization_id", "assignee_id", "state"),
        Index("ix_interactions_org_contact", "organization_id", "contact_id", "created_at"),
        # Routing takes waiting work per queue in priority, then age order.
        Index("ix_interactions_waiting", "queue_id", "state", "priority", "queued_at"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    number: Mapped[int]
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("channels.id"), index=True)
    communication_type: Mapped[CommunicationType]
    subtype: Mapped[str] = mapped_column(String(32))
    direction: Mapped[Direction]
    state: Mapped[State]
    queue_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("queues.id"))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    priority: Mapped[Priority] = mapped_column(default=Priority.normal)
    subject: Mapped[str] = mapped_column(String(500), default="")
    outcome: Mapped[Outcome | None]
    disposition: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    queued_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    last_customer_message_at: Mapped[datetime | None]
    last_agent_message_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime | None]
    wrap_up_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    completed_by_name: Mapped[str | None] = mapped_column(String(200))
    cloned_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interactions.id"))
    message_count: Mapped[int] = mapped_column(default=0)

    # SLA clocks (filled by the queues issue's policies).
    first_response_due_at: Mapped[datetime | None]
    next_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    first_response_breached: Mapped[bool] = mapped_column(default=False)
    next_response_breached: Mapped[bool] = mapped_column(default=False)
    resolution_breached: Mapped[bool] = mapped_column(default=False)
    # Set while the resolution clock is paused (waiting on the customer), with what was left.
    sla_paused_at: Mapped[datetime | None]
    resolution_remaining_s: Mapped[int | None]
    # The customer left (chat ended, call hung up) before any agent came: counted as abandoned.
    abandoned_at: Mapped[datetime | None]
    # Merged into another interaction of the same contact: read-only, points at the survivor.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interactions.id"))

    # Customer environment: browser, os, ip, country, city, url, user_agent.
    client: Mapped[dict[str, Any]] = mapped_column(default=dict)

    # Automation and AI usage.
    handled_by: Mapped[HandledBy | None]
    ai_agent_id: Mapped[uuid.UUID | None]
    procedure_id: Mapped[uuid.UUID | None]
    llm_model: Mapped[str | None] = mapped_column(String(120))
    billable_messages: Mapped[int] = mapped_column(default=0)
    llm_tokens_in: Mapped[int] = mapped_column(default=0)
    llm_tokens_out: Mapped[int] = mapped_column(default=0)
    llm_cost: Mapped[Decimal] = mapped_column(Numeric(12, 6), default=Decimal(0))

    # Analytics.
    sentiment: Mapped[Sentiment | None]
    sentiment_score: Mapped[float | None]
    sentiment_description: Mapped[str | None] = mapped_column(Text)
    csat: Mapped[int | None]
    csat_description: Mapped[str | None] = mapped_column(Text)
    csat_source: Mapped[str | None] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[Any]] = mapped_column(default=list)

    # Loaded with every interaction (one extra SELECT ... IN per batch), kept sorted by name.
    tag_rows: Mapped[list[Tag]] = relationship(
        secondary="interaction_tags", lazy="selectin", order_by="Tag.name"
    )

    @property
    def tags(self) -> list[str]:
        return [t.name for t in self.tag_rows]

    @property
    def owner(self) -> Owner:
        return OWNER_OF_STATE[self.state]

    @property
    def is_open(self) -> bool:
        return self.state != State.completed


class Tag(IdMixin, CreatedMixin, Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(64))


class InteractionTag(Base):
    __tablename__ = "interaction_tags"

    interaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
