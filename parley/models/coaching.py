"""Coaching: scorecards supervisors review completed interactions with, and the reviews.

A scorecard is a list of weighted criteria; a review scores each criterion 0-5 for one completed
interaction and carries a coaching note the reviewed agent reads and acknowledges. Written only by
``parley.actions.coaching``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin, utcnow


class Scorecard(IdMixin, CreatedMixin, Base):
    """Criteria (``[{key, label, weight, description}]``, weights summing to 1) to score with."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(1000), default="")
    criteria: Mapped[list[Any]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Review(IdMixin, CreatedMixin, Base):
    """One supervisor's scored review of one completed interaction, with a coaching note.

    ``criteria`` is the scorecard's criteria as they were when the review was made, so editing a
    scorecard later never changes what a past review meant; ``total`` is the weighted percentage.
    """

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_org_created", "organization_id", "created_at", "id"),
        Index("ix_reviews_org_agent", "organization_id", "agent_id", "created_at"),
        Index("ix_reviews_org_interaction", "organization_id", "interaction_id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interactions.id"))
    scorecard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scorecards.id"), index=True)
    scorecard_name: Mapped[str] = mapped_column(String(120))
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewer_name: Mapped[str] = mapped_column(String(200))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    criteria: Mapped[list[Any]] = mapped_column(default=list)
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total: Mapped[float]
    note: Mapped[str] = mapped_column(Text, default="")
    acknowledged_at: Mapped[datetime | None]
