"""/api/v1 coaching: scorecards, reviews of completed interactions, and the review queue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from parley.access import access_review, access_scorecard
from parley.actions import coaching as actions
from parley.api.deps import Ctx
from parley.errors import InvalidInput
from parley.models import Scorecard
from parley.models.enums import Role
from parley.queries import coaching as q
from parley.schemas.coaching import (
    QueueItem,
    ReviewCreate,
    ReviewPage,
    ReviewQueue,
    ReviewRead,
    ReviewReason,
    ScorecardCreate,
    ScorecardRead,
    ScorecardUpdate,
)
from parley.schemas.interactions import InteractionRead

router = APIRouter(tags=["coaching"])
SCORECARD = "/scorecards/{scorecard_id}"
REVIEW = "/reviews/{review_id}"


@router.get("/scorecards", response_model=list[ScorecardRead])
async def list_scorecards(
    ctx: Ctx, active: bool | None = Query(default=None)
) -> list[ScorecardRead]:
    async with ctx.db.transaction() as session:
        stmt = select(Scorecard).where(Scorecard.organization_id == ctx.actor.organization_id)
        if active is not None:
            stmt = stmt.where(Scorecard.is_active.is_(active))
        rows = await session.execute(stmt.order_by(Scorecard.name))
        return [ScorecardRead.model_validate(s) for s in rows.scalars()]


@router.post("/scorecards", status_code=201, response_model=ScorecardRead)
async def create_scorecard(ctx: Ctx, body: ScorecardCreate) -> ScorecardRead:
    async with ctx.db.transaction() as session:
        card = await actions.do_create_scorecard(
            session,
            actor=ctx.actor,
            name=body.name,
            description=body.description,
            criteria=[c.model_dump() for c in body.criteria],
            is_active=body.is_active,
        )
        return ScorecardRead.model_validate(card)


@router.get(SCORECARD, response_model=ScorecardRead)
async def get_scorecard(ctx: Ctx, scorecard_id: str) -> ScorecardRead:
    async with ctx.db.transaction() as session:
        card = await access_scorecard(
            session, organization_id=ctx.actor.organization_id, scorecard_id=scorecard_id
        )
        return ScorecardRead.model_validate(card)


@router.patch(SCORECARD, response_model=ScorecardRead)
async def update_scorecard(ctx: Ctx, scorecard_id: str, body: ScorecardUpdate) -> ScorecardRead:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change")
    if body.criteria is not None:  # with each criterion's defaults (weight 1)
        changes["criteria"] = [c.model_dump() for c in body.criteria]
    async with ctx.db.transaction() as session:
        card = await access_scorecard(
            session, organization_id=ctx.actor.organization_id, scorecard_id=scorecard_id
        )
        await actions.do_update_scorecard(session, actor=ctx.actor, scorecard=card, changes=changes)
        return ScorecardRead.model_validate(card)


@router.delete(SCORECARD, status_code=204, response_class=Response)
async def delete_scorecard(ctx: Ctx, scorecard_id: str) -> Response:
    async with ctx.db.transaction() as session:
        card = await access_scorecard(
            session, organization_id=ctx.actor.organization_id, scorecard_id=scorecard_id
        )
        await actions.do_delete_scorecard(session, actor=ctx.actor, scorecard=card)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/reviews", response_model=ReviewPage)
async def list_reviews(
    ctx: Ctx,
    agent_id: uuid.UUID | None = Query(default=None),
    reviewer_id: uuid.UUID | None = Query(default=None),
    interaction_id: uuid.UUID | None = Query(default=None),
    scorecard_id: uuid.UUID | None = Query(default=None),
    acknowledged: bool | None = Query(default=None),
    mine: bool = Query(default=False, description="only reviews of the signed-in agent"),
    since: datetime | None = Query(default=None),
    limit: int = Query(default=50, ge=1, le=200),
) -> ReviewPage:
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since needs a time zone (for example 2026-01-31T09:00:00Z)")
    if mine:
        if ctx.actor.user_id is None:
            raise InvalidInput("mine=true needs a signed-in person", fields={"mine": "no person"})
        agent_id = ctx.actor.user_id
    filters = q.ReviewFilter(
        agent_id, reviewer_id, interaction_id, scorecard_id, acknowledged, since
    )
    async with ctx.db.transaction() as session:
        rows = await q.list_reviews(session, actor=ctx.actor, filters=filters, limit=limit)
        return ReviewPage(items=[ReviewRead.model_validate(r) for r in rows])


@router.post("/reviews", status_code=201, response_model=ReviewRead)
async def create_review(ctx: Ctx, body: ReviewCreate) -> ReviewRead:
    async with ctx.db.transaction() as session:
        review = await actions.do_create_review(
            session,
            actor=ctx.actor,
            interaction_id=body.interaction_id,
            scorecard_id=body.scorecard_id,
            scores=body.scores,
            note=body.note,
        )
        return ReviewRead.model_validate(review)


@router.get(REVIEW, response_model=ReviewRead)
async def get_review(ctx: Ctx, review_id: str) -> ReviewRead:
    async with ctx.db.transaction() as session:
        review = await access_review(
            session,
            organization_id=ctx.actor.organization_id,
            review_id=review_id,
            viewer=ctx.actor,
        )
        return ReviewRead.model_validate(review)


@router.post(REVIEW + "/acknowledge", response_model=ReviewRead)
async def acknowledge_review(ctx: Ctx, review_id: str) -> ReviewRead:
    async with ctx.db.transaction() as session:
        review = await access_review(
            session,
            organization_id=ctx.actor.organization_id,
            review_id=review_id,
            viewer=ctx.actor,
            lock=True,
        )
        await actions.do_acknowledge_review(session, actor=ctx.actor, review=review)
        return ReviewRead.model_validate(review)


@router.get("/coaching/queue", response_model=ReviewQueue)
async def coaching_queue(
    ctx: Ctx,
    reason: Annotated[list[ReviewReason] | None, Query()] = None,
    include_reviewed: bool = Query(default=False),
    csat_max: int = Query(default=q.LOW_CSAT, ge=1, le=5),
    handle_over_s: int = Query(default=q.LONG_HANDLE_S, ge=0, le=30 * 86_400),
    agent_id: uuid.UUID | None = Query(default=None),
    limit: int = Query(default=50, ge=1, le=200),
) -> ReviewQueue:
    """Completed interactions worth reviewing: low CSAT (survey or predicted), negative
    sentiment, an SLA breached, or a long handle time; all four when no ``reason`` is given."""
    ctx.actor.require(Role.supervisor, "the coaching queue")
    async with ctx.db.transaction() as session:
        rows = await q.review_queue(
            session,
            actor=ctx.actor,
            reasons=reason or (),
            include_reviewed=include_reviewed,
            csat_max=csat_max,
            handle_over_s=handle_over_s,
            agent_id=agent_id,
            limit=limit,
        )
        return ReviewQueue(
            items=[
                QueueItem(
                    interaction=InteractionRead.model_validate(r.interaction),
                    reasons=r.reasons,
                    handle_s=r.handle_s,
                    review_count=r.review_count,
                )
                for r in rows
            ]
        )
