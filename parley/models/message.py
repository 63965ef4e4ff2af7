"""What was said (messages, internal notes) and what happened (the activity feed)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin
from parley.models.enums import (
    ActorType,
    DeliveryStatus,
    MessageDirection,
    MessageKind,
    MessageRole,
    Sentiment,
)


class Message(IdMixin, CreatedMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("interaction_id", "seq"),
        # A provider's retry of the same delivery must never become a second message.
        UniqueConstraint("channel_id", "provider_message_id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interactions.id"))
    seq: Mapped[int]
    role: Mapped[MessageRole]
    kind: Mapped[MessageKind]
    direction: Mapped[MessageDirection]
    author_type: Mapped[ActorType]
    author_id: Mapped[uuid.UUID | None]
    author_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    # Sanitized before storage; never the provider's raw HTML.
    html: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    channel_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("channels.id"))
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    delivery_status: Mapped[DeliveryStatus | None]
    sentiment: Mapped[Sentiment | None]
    sentiment_score: Mapped[float | None]
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Activity(IdMixin, CreatedMixin, Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_interaction", "interaction_id", "created_at"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interactions.id"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_type: Mapped[ActorType]
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OutboxEvent(IdMixin, CreatedMixin, Base):
    """A domain event written in the same transaction as the change it describes.

    A relay publishes rows after commit and stamps ``published_at``; rows left unpublished by a
    crash are published on the next start, so nothing committed is lost on the way out.
    """

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index(
            "ix_outbox_unpublished",
            "created_at",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    published_at: Mapped[datetime | None]
