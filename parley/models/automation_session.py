"""Automation's memory of one conversation: the procedure in progress, its state, its failures."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin, utcnow


class AutomationSession(IdMixin, CreatedMixin, Base):
    """One per interaction that automation has handled. Written only by parley.automation.engine."""

    __tablename__ = "automation_sessions"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    interaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), unique=True
    )
    ai_agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ai_agents.id"))
    # The procedure in progress (name and the version it started with: a new version applies to
    # new conversations, never to one half-way through).
    procedure_name: Mapped[str | None] = mapped_column(String(120))
    procedure_version: Mapped[int | None]
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Turns in a row where automation could not help; escalation counts these.
    failures: Mapped[int] = mapped_column(default=0)
    turns: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
