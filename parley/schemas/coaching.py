"""Coaching as the API shows and accepts it: scorecards, reviews, and the review queue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from parley.schemas.common import Read, Write
from parley.schemas.interactions import InteractionRead

MAX_SCORE = 5
ReviewReason = Literal["low_csat", "negative", "sla_breached", "long_handle"]
REASONS: tuple[ReviewReason, ...] = ("low_csat", "negative", "sla_breached", "long_handle")


class CriterionIn(Write):
    """One thing a reviewer scores 0-5. ``weight`` is relative: weights are normalised to sum 1."""

    key: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=120)
    weight: float = Field(default=1.0, gt=0, le=1000)
    description: str = Field(default="", max_length=1000)


class ScorecardCreate(Write):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1000)
    criteria: list[CriterionIn] = Field(min_length=1, max_length=30)
    is_active: bool = True


class ScorecardUpdate(Write):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=1000)
    criteria: list[CriterionIn] | None = Field(default=None, min_length=1, max_length=30)
    is_active: bool | None = None


class CriterionRead(Read):
    key: str
    label: str
    weight: float
    description: str = ""


class ScorecardRead(Read):
    id: uuid.UUID
    name: str
    description: str
    criteria: list[CriterionRead]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ReviewCreate(Write):
    interaction_id: uuid.UUID
    scorecard_id: uuid.UUID
    # Criterion key -> 0..5; every criterion of the scorecard must be scored.
    scores: dict[str, int] = Field(max_length=30)
    note: str = Field(default="", max_length=10_000)


class ReviewRead(Read):
    id: uuid.UUID
    interaction_id: uuid.UUID
    scorecard_id: uuid.UUID
    scorecard_name: str
    reviewer_id: uuid.UUID | None
    reviewer_name: str
    agent_id: uuid.UUID | None
    criteria: list[CriterionRead]
    scores: dict[str, int]
    total: float
    note: str
    acknowledged_at: datetime | None
    created_at: datetime


class ReviewPage(Read):
    items: list[ReviewRead]


class QueueItem(Read):
    """A completed interaction worth reviewing, and why."""

    interaction: InteractionRead
    reasons: list[ReviewReason]
    handle_s: float | None
    review_count: int


class ReviewQueue(Read):
    items: list[QueueItem]
