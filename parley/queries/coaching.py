"""Reading coaching: reviews an actor may read, and completed interactions worth reviewing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import review_visibility_clause, visibility_clause, visible_queue_ids
from parley.actors import Actor
from parley.models import Interaction, Review
from parley.models.enums import Sentiment, State
from parley.schemas.coaching import REASONS, ReviewReason

LOW_CSAT = 2  # 1-5 scale: 1 and 2 are unhappy customers (survey or predicted)
LONG_HANDLE_S = 1800


@dataclass(frozen=True)
class ReviewFilter:
    agent_id: uuid.UUID | None = None
    reviewer_id: uuid.UUID | None = None
    interaction_id: uuid.UUID | None = None
    scorecard_id: uuid.UUID | None = None
    acknowledged: bool | None = None
    since: datetime | None = None


async def list_reviews(
    session: AsyncSession, *, actor: Actor, filters: ReviewFilter, limit: int = 50
) -> list[Review]:
    """Newest first, only what ``actor`` may read."""
    stmt: Any = select(Review).where(Review.organization_id == actor.organization_id)
    clause = review_visibility_clause(actor, await visible_queue_ids(session, actor))
    if clause is not None:
        stmt = stmt.where(clause)
    f = filters
    if f.agent_id is not None:
        stmt = stmt.where(Review.agent_id == f.agent_id)
    if f.reviewer_id is not None:
        stmt = stmt.where(Review.reviewer_id == f.reviewer_id)
    if f.interaction_id is not None:
        stmt = stmt.where(Review.interaction_id == f.interaction_id)
    if f.scorecard_id is not None:
        stmt = stmt.where(Review.scorecard_id == f.scorecard_id)
    if f.acknowledged is not None:
        ack = Review.acknowledged_at
        stmt = stmt.where(ack.is_not(None) if f.acknowledged else ack.is_(None))
    if f.since is not None:
        stmt = stmt.where(Review.created_at >= f.since)
    stmt = stmt.order_by(Review.created_at.desc(), Review.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


def _handle_seconds(dialect: str) -> ColumnElement[float]:
    """Seconds from assignment (or creation) to completion, in SQL on either backend."""
    start = func.coalesce(Interaction.assigned_at, Interaction.created_at)
    if dialect == "postgresql":
        return cast(func.extract("epoch", Interaction.completed_at - start), Float)
    return cast((func.julianday(Interaction.completed_at) - func.julianday(start)) * 86400.0, Float)


def _reason_clause(
    reason: ReviewReason, handle: ColumnElement[float], csat_max: int, handle_over_s: int
) -> ColumnElement[bool]:
    if reason == "low_csat":
        return and_(Interaction.csat.is_not(None), Interaction.csat <= csat_max)
    if reason == "negative":
        return Interaction.sentiment == Sentiment.negative
    if reason == "sla_breached":
        return or_(
            Interaction.first_response_breached.is_(True),
            Interaction.next_response_breached.is_(True),
            Interaction.resolution_breached.is_(True),
        )
    return handle > handle_over_s


def reasons_of(
    interaction: Interaction, handle_s: float | None, csat_max: int, handle_over_s: int
) -> list[ReviewReason]:
    found: list[ReviewReason] = []
    if interaction.csat is not None and interaction.csat <= csat_max:
        found.append("low_csat")
    if interaction.sentiment == Sentiment.negative:
        found.append("negative")
    if (
        interaction.first_response_breached
        or interaction.next_response_breached
        or interaction.resolution_breached
    ):
        found.append("sla_breached")
    if handle_s is not None and handle_s > handle_over_s:
        found.append("long_handle")
    return found


@dataclass(frozen=True)
class QueueRow:
    interaction: Interaction
    reasons: list[ReviewReason]
    handle_s: float | None
    review_count: int


async def review_queue(
    session: AsyncSession,
    *,
    actor: Actor,
    reasons: Sequence[ReviewReason] = (),
    include_reviewed: bool = False,
    csat_max: int = LOW_CSAT,
    handle_over_s: int = LONG_HANDLE_S,
    agent_id: uuid.UUID | None = None,
    limit: int = 50,
) -> list[QueueRow]:
    """Completed interactions the actor may see, handled by an agent, that match any of
    ``reasons`` (all four when none are given); unreviewed ones unless ``include_reviewed``.
    Most recently completed first."""
    dialect = session.get_bind().dialect.name
    handle = _handle_seconds(dialect)
    wanted = list(dict.fromkeys(reasons)) or list(REASONS)
    reviews = (
        select(func.count())
        .select_from(Review)
        .where(Review.interaction_id == Interaction.id)
        .scalar_subquery()
    )
    stmt: Any = select(Interaction, handle, reviews).where(
        Interaction.organization_id == actor.organization_id,
        Interaction.state == State.completed,
        Interaction.merged_into_id.is_(None),
        or_(Interaction.assignee_id.is_not(None), Interaction.completed_by_id.is_not(None)),
        or_(*[_reason_clause(r, handle, csat_max, handle_over_s) for r in wanted]),
    )
    seen = visibility_clause(actor, await visible_queue_ids(session, actor))
    if seen is not None:
        stmt = stmt.where(seen)
    if agent_id is not None:
        stmt = stmt.where(
            func.coalesce(Interaction.assignee_id, Interaction.completed_by_id) == agent_id
        )
    if not include_reviewed:
        stmt = stmt.where(reviews == 0)
    stmt = stmt.order_by(Interaction.completed_at.desc(), Interaction.id.desc()).limit(limit)
    rows = (await session.execute(stmt)).all()
    out = []
    for interaction, handle_s, count in rows:
        seconds = float(handle_s) if handle_s is not None else None
        out.append(
            QueueRow(
                interaction,
                reasons_of(interaction, seconds, csat_max, handle_over_s),
                seconds,
                int(count or 0),
            )
        )
    return out
