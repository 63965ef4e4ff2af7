"""The analytics dashboard: ``/console/analytics`` (supervisors and admins).

The figures are computed server-side by ``parley.queries.analytics`` and printed as numbers
(each with ``data-figure``); ``console-analytics.js`` draws the charts from
``GET /api/v1/analytics/summary`` with the same filter.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from parley.api.deps import services
from parley.errors import InvalidInput
from parley.models import Channel, Membership, Procedure, QueueMember, User
from parley.queries import analytics as qa
from parley.web.console.common import forbidden, render, sign_in_first, viewer
from parley.web.console.views import visible_queues

router = APIRouter(prefix="/console")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _number(value: float | None, places: int = 1) -> str:
    return "—" if value is None else f"{value:.{places}f}"


@router.get("/analytics")
async def analytics_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if not who.is_supervisor:
        return forbidden(request, who, "Analytics are for supervisors and admins.")
    q = request.query_params
    error = ""
    try:
        f = qa.AnalyticsFilter.parse(
            start=q.get("from"),
            end=q.get("to"),
            channel_id=q.get("channel_id"),
            queue_id=q.get("queue_id"),
            agent_id=q.get("agent_id"),
            procedure=q.get("procedure"),
        )
    except InvalidInput as exc:
        error = str(exc)
        f = qa.AnalyticsFilter.parse()
    org = who.actor.organization_id
    async with services(request).db.transaction() as session:
        summary = await qa.summary(session, who.actor, f)
        queues = await visible_queues(session, who.actor)
        channels = list(
            (
                await session.execute(
                    select(Channel).where(Channel.organization_id == org).order_by(Channel.name)
                )
            ).scalars()
        )
        people: Any = select(User.id, User.name).join(Membership, Membership.user_id == User.id)
        people = people.where(Membership.organization_id == org)
        if not who.is_admin:
            members = select(QueueMember.user_id).where(
                QueueMember.queue_id.in_([x.id for x in queues])
            )
            people = people.where(User.id.in_(members) | (User.id == who.actor.user_id))
        agents = (await session.execute(people.order_by(User.name))).all()
        procedures = list(
            (
                await session.execute(
                    select(Procedure.name)
                    .where(Procedure.organization_id == org)
                    .distinct()
                    .order_by(Procedure.name)
                )
            ).scalars()
        )
    query = urlencode(f.query())
    return render(
        request,
        "console/analytics.html",
        who,
        nav="analytics",
        title="Analytics",
        f=f,
        form=f.query(),
        s=summary,
        error=error,
        queues=queues,
        channels=channels,
        agents=agents,
        procedures=procedures,
        query=query,
        percent=_percent,
        number=_number,
    )
