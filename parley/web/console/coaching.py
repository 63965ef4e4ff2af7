"""Coaching pages: the supervisor's review queue and review form, and every agent's "My coaching".

Read through the same queries and access helpers as ``/api/v1`` coaching; every change goes
through that API from ``console-coaching.js`` (with the CSRF header).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import access_interaction
from parley.actors import Actor
from parley.api.deps import services
from parley.errors import NotFound
from parley.models import Interaction, Review, Scorecard
from parley.queries import coaching as q
from parley.schemas.coaching import REASONS, ReviewRead, ReviewReason, ScorecardRead
from parley.schemas.interactions import InteractionRead
from parley.web.console import views
from parley.web.console.common import forbidden, not_found, render, sign_in_first, viewer

router = APIRouter(prefix="/console")

REASON_LABELS: dict[str, str] = {
    "low_csat": "Low CSAT",
    "negative": "Negative sentiment",
    "sla_breached": "SLA breached",
    "long_handle": "Long handle time",
}


@dataclass(frozen=True)
class ReviewView:
    review: ReviewRead
    number: int | None
    subject: str
    agent: str

    @property
    def rows(self) -> list[tuple[str, int, float]]:
        """(label, score, weight %) per criterion, in the scorecard's order."""
        r = self.review
        return [(c.label, r.scores.get(c.key, 0), round(c.weight * 100, 1)) for c in r.criteria]


async def _review_views(
    session: AsyncSession, actor: Actor, reviews: list[Review]
) -> list[ReviewView]:
    ids = {r.interaction_id for r in reviews}
    found = {}
    if ids:
        rows = await session.execute(
            select(Interaction.id, Interaction.number, Interaction.subject).where(
                Interaction.organization_id == actor.organization_id, Interaction.id.in_(ids)
            )
        )
        found = {i: (n, s) for i, n, s in rows.all()}
    names = await views.names_for(session, actor.organization_id)
    out = []
    for r in reviews:
        number, subject = found.get(r.interaction_id, (None, ""))
        out.append(
            ReviewView(ReviewRead.model_validate(r), number, subject, names.user(r.agent_id))
        )
    return out


@router.get("/coaching")
async def coaching_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    actor = who.actor
    raw = request.query_params.get("reason", "")
    reason: ReviewReason | None = next((r for r in REASONS if r == raw), None)
    queue: list[tuple[InteractionRead, list[str], float | None, str]] = []
    team: list[ReviewView] = []
    async with services(request).db.transaction() as session:
        mine = await _review_views(
            session,
            actor,
            await q.list_reviews(
                session,
                actor=actor,
                filters=q.ReviewFilter(agent_id=actor.user_id or uuid.UUID(int=0)),
                limit=100,
            ),
        )
        if who.is_supervisor:
            rows = await q.review_queue(
                session, actor=actor, reasons=(reason,) if reason else (), limit=100
            )
            names = await views.names_for(
                session, actor.organization_id, contact_ids=[r.interaction.contact_id for r in rows]
            )
            for r in rows:
                item = InteractionRead.model_validate(r.interaction)
                agent = names.user(item.assignee_id or item.completed_by_id)
                queue.append((item, [REASON_LABELS[x] for x in r.reasons], r.handle_s, agent))
            recent = await q.list_reviews(session, actor=actor, filters=q.ReviewFilter(), limit=20)
            team = await _review_views(session, actor, recent)
    return render(
        request,
        "console/coaching.html",
        who,
        nav="coaching",
        title="Coaching",
        reason=reason or "",
        reasons=REASON_LABELS,
        queue=queue,
        mine=mine,
        team=team,
        reviewed=request.query_params.get("reviewed", "")[:12],
    )


@router.get("/coaching/review/{number}")
async def review_form_page(request: Request, number: int) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if not who.is_supervisor:
        return forbidden(request, who, "Reviewing interactions is for supervisors and admins.")
    actor = who.actor
    try:
        async with services(request).db.transaction() as session:
            iid = await views.find_interaction(session, actor=actor, number=number)
            interaction = await access_interaction(
                session, organization_id=actor.organization_id, interaction_id=iid, viewer=actor
            )
            item = InteractionRead.model_validate(interaction)
            names = await views.names_for(
                session, actor.organization_id, contact_ids=[item.contact_id]
            )
            cards = [
                ScorecardRead.model_validate(s)
                for s in (
                    await session.execute(
                        select(Scorecard)
                        .where(
                            Scorecard.organization_id == actor.organization_id,
                            Scorecard.is_active.is_(True),
                        )
                        .order_by(Scorecard.name)
                    )
                ).scalars()
            ]
            past = await _review_views(
                session,
                actor,
                await q.list_reviews(
                    session, actor=actor, filters=q.ReviewFilter(interaction_id=iid), limit=20
                ),
            )
    except NotFound:
        return not_found(request, who, f"Interaction #{number}")
    return render(
        request,
        "console/coaching_review.html",
        who,
        nav="coaching",
        title=f"Review #{number}",
        i=item,
        contact=names.contact(item.contact_id),
        agent=names.user(item.assignee_id or item.completed_by_id),
        queue_name=names.queue(item.queue_id),
        cards=cards,
        past=past,
        scores=range(0, 6),
    )
