"""Replies written now to leave later ("send later"). Written only by ``parley.actions.scheduled``.

A row is the durable promise; a job (``scheduled_message.send``, run at ``send_at``) keeps it.
When it is sent, ``message_id`` names the transcript message it became. Rescheduling moves
``send_at`` and enqueues a fresh job; a job whose time no longer matches the row does nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin, utcnow
from parley.models.enums import ScheduledStatus


class ScheduledMessage(IdMixin, CreatedMixin, Base):
    __tablename__ = "scheduled_messages"
    __table_args__ = (Index("ix_scheduled_messages_interaction", "interaction_id", "send_at"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interactions.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    send_at: Mapped[datetime]
    # Front's "cancel if the customer replies first": a reply may have answered it already.
    cancel_on_reply: Mapped[bool] = mapped_column(default=True)
    status: Mapped[ScheduledStatus] = mapped_column(default=ScheduledStatus.scheduled)
    # Why it was not sent (cancelled by whom, or the reason it failed), for the activity feed.
    reason: Mapped[str] = mapped_column(String(500), default="")
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
