"""The supervisor's queue board and the settings pages (flows, channels, users, API keys,
webhooks, canned replies). Knowledge and procedures: ``editors.py``.

The settings pages render what is stored; every change goes through the REST API from
``console-admin.js``, so the console has exactly the rights the API gives the same person."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from parley import clock
from parley.api.deps import services
from parley.flows.store import latest_versions
from parley.models import Channel, Queue
from parley.models.enums import Role
from parley.queries import canned_replies as canned
from parley.queries.board import agent_reads, queue_metrics
from parley.queries.directory import api_keys_of, user_reads
from parley.schemas.flows import ChannelRead, FlowRead
from parley.schemas.routing import QueueMetrics
from parley.web.console.channel_fields import CHOICES
from parley.web.console.common import Viewer, forbidden, render, sign_in_first, viewer
from parley.web.console.views import visible_queues
from parley.webhooks import queries as webhook_queries
from parley.webhooks.event_types import FAMILIES, OPT_IN
from parley.webhooks.schemas import DeliveryRead, WebhookRead

router = APIRouter(prefix="/console")

ROLES = [r.value for r in Role]
# Delivery attempts shown under each webhook; the API pages through the whole log.
RECENT_DELIVERIES = 5


async def _board(request: Request, who: Viewer) -> dict[str, Any]:
    async with services(request).db.transaction() as session:
        queues = await visible_queues(session, who.actor)
        metrics = [await queue_metrics(session, q) for q in queues]
        agents = await agent_reads(session, who.actor.organization_id)
    ids = {q.id for q in queues}
    if not who.is_admin:
        agents = [a for a in agents if set(a.queue_ids) & ids or a.user_id == who.actor.user_id]
    names = {q.id: q.name for q in queues}
    return {
        "metrics": metrics,
        "agents": agents,
        "queue_names": names,
        "generated_at": clock.now(),
        "chart": json.dumps(_chart(metrics)),
    }


def _chart(metrics: list[QueueMetrics]) -> dict[str, Any]:
    """Waiting work per queue by age, for Chart.js (read from a JSON data block, never run)."""
    labels = [m.name for m in metrics]
    buckets = metrics[0].aging if metrics else []
    return {
        "labels": labels,
        "series": [
            {"label": b.label, "data": [m.aging[n].count for m in metrics]}
            for n, b in enumerate(buckets)
        ],
    }


@router.get("/board")
async def board_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if not who.is_supervisor:
        return forbidden(request, who, "The queue board is for supervisors and admins.")
    data = await _board(request, who)
    return render(request, "console/board.html", who, nav="board", title="Queue board", **data)


@router.get("/board/panel")
async def board_panel(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if not who.is_supervisor:
        return Response("supervisors only", status_code=403, media_type="text/plain")
    data = await _board(request, who)
    return render(request, "console/_board.html", who, **data)


def _admin_only(request: Request, who: Viewer, what: str) -> Response | None:
    if who.is_admin:
        return None
    return forbidden(request, who, f"{what} are managed by admins.")


@router.get("/flows")
async def flows_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if (refused := _admin_only(request, who, "Flows")) is not None:
        return refused
    async with services(request).db.transaction() as session:
        flows = [
            FlowRead.model_validate(f)
            for f in await latest_versions(session, who.actor.organization_id)
        ]
    return render(request, "console/flows.html", who, nav="flows", title="Flows", flows=flows)


@router.get("/channels")
async def channels_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if (refused := _admin_only(request, who, "Channels")) is not None:
        return refused
    org = who.actor.organization_id
    async with services(request).db.transaction() as session:
        rows = await session.execute(
            select(Channel)
            .where(Channel.organization_id == org)
            .order_by(Channel.kind, Channel.name)
        )
        channels = [
            ChannelRead.model_validate(c).model_copy(update={"secret_names": sorted(c.secrets)})
            for c in rows.scalars()
        ]
        queues = dict(
            (
                await session.execute(
                    select(Queue.id, Queue.name)
                    .where(Queue.organization_id == org)
                    .order_by(Queue.name)
                )
            ).all()
        )
    return render(
        request,
        "console/channels.html",
        who,
        nav="channels",
        title="Channels",
        channels=channels,
        queue_names=queues,
        choices=CHOICES,
    )


@router.get("/users")
async def users_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if not who.is_supervisor:
        return forbidden(request, who, "The people list is for supervisors and admins.")
    async with services(request).db.transaction() as session:
        users = await user_reads(session, organization_id=who.actor.organization_id)
        agents = {a.user_id: a for a in await agent_reads(session, who.actor.organization_id)}
    return render(
        request,
        "console/users.html",
        who,
        nav="users",
        title="Users",
        users=users,
        agents=agents,
        roles=ROLES,
        can_edit=who.is_admin,
    )


@router.get("/api-keys")
async def api_keys_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if (refused := _admin_only(request, who, "API keys")) is not None:
        return refused
    async with services(request).db.transaction() as session:
        keys = await api_keys_of(session, who.actor.organization_id)
    return render(
        request,
        "console/api_keys.html",
        who,
        nav="api-keys",
        title="API keys",
        keys=keys,
        roles=ROLES,
    )


@router.get("/webhooks")
async def webhooks_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if (refused := _admin_only(request, who, "Webhooks")) is not None:
        return refused
    async with services(request).db.transaction() as session:
        rows = await webhook_queries.list_webhooks(
            session, organization_id=who.actor.organization_id
        )
        hooks = [WebhookRead.model_validate(r) for r in rows]
        deliveries: dict[uuid.UUID, list[DeliveryRead]] = {}
        for row in rows:
            attempts, _ = await webhook_queries.list_deliveries(
                session, subscription=row, limit=RECENT_DELIVERIES, cursor=None
            )
            deliveries[row.id] = [DeliveryRead.model_validate(a) for a in attempts]
    return render(
        request,
        "console/webhooks.html",
        who,
        nav="webhooks",
        title="Webhooks",
        hooks=hooks,
        deliveries=deliveries,
        families=FAMILIES,
        opt_in=sorted(OPT_IN),
    )


@router.get("/canned-replies")
async def canned_replies_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if not who.is_supervisor:
        return forbidden(request, who, "Canned replies are managed by supervisors and admins.")
    org = who.actor.organization_id
    async with services(request).db.transaction() as session:
        replies = await canned.canned_replies(session, org)
        updated_by, updated_at = await canned.last_change(session, org)
    return render(
        request,
        "console/canned_replies.html",
        who,
        nav="canned-replies",
        title="Canned replies",
        replies=replies,
        updated_by=updated_by,
        updated_at=updated_at,
        limits={"replies": canned.MAX_REPLIES, "title": canned.TITLE_MAX, "text": canned.TEXT_MAX},
    )
