"""Agents' presence, capacity and skills; the supervisor's queue board and queue metrics."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Query, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_member, access_queue, parse_id, visible_queue_ids
from parley.api.deps import Ctx
from parley.errors import InvalidInput, NotFound
from parley.models import Queue
from parley.models.enums import Role
from parley.queries.board import agent_reads, queue_metrics
from parley.routing import presence as pa
from parley.routing.triggers import request_drain
from parley.schemas.routing import AgentRead, AgentUpdate, Board, PresenceIn, QueueMetrics

router = APIRouter()


async def _agent(ctx: Ctx, session: AsyncSession, user_id: uuid.UUID) -> AgentRead:
    found = await agent_reads(session, ctx.actor.organization_id, [user_id])
    if not found:
        raise NotFound("user not found")
    return found[0]


@router.get("/agents", response_model=list[AgentRead], tags=["agents"])
async def list_agents(ctx: Ctx) -> list[AgentRead]:
    async with ctx.db.transaction() as session:
        return await agent_reads(session, ctx.actor.organization_id)


@router.get("/agents/{user_id}", response_model=AgentRead, tags=["agents"])
async def get_agent(ctx: Ctx, user_id: str) -> AgentRead:
    async with ctx.db.transaction() as session:
        return await _agent(ctx, session, parse_id(user_id, "user"))


@router.patch("/agents/{user_id}", response_model=AgentRead, tags=["agents"])
async def update_agent(ctx: Ctx, user_id: str, body: AgentUpdate) -> AgentRead:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change")
    uid = parse_id(user_id, "user")
    async with ctx.db.transaction() as session:
        await pa.do_update_agent(session, actor=ctx.actor, user_id=uid, **changes)
        return await _agent(ctx, session, uid)


@router.put("/agents/{user_id}/presence", response_model=AgentRead, tags=["agents"])
async def set_presence(ctx: Ctx, user_id: str, body: PresenceIn) -> AgentRead:
    uid = parse_id(user_id, "user")
    async with ctx.db.transaction() as session:
        await access_member(session, organization_id=ctx.actor.organization_id, user_id=uid)
        await pa.do_set_presence(session, actor=ctx.actor, user_id=uid, presence=body.presence)
        return await _agent(ctx, session, uid)


@router.put("/me/presence", response_model=AgentRead, tags=["agents"])
async def set_my_presence(ctx: Ctx, body: PresenceIn) -> AgentRead:
    if ctx.actor.user_id is None:
        raise InvalidInput("only a signed-in person has a presence")
    return await set_presence(ctx, str(ctx.actor.user_id), body)


async def _visible_queue(ctx: Ctx, session: AsyncSession, queue_id: str) -> Queue:
    org = ctx.actor.organization_id
    queue = await access_queue(session, organization_id=org, queue_id=queue_id)
    visible = await visible_queue_ids(session, ctx.actor)
    if visible is not None and queue.id not in visible:
        raise NotFound("queue not found")
    return queue


@router.get("/queues/{queue_id}/metrics", response_model=QueueMetrics, tags=["queues"])
async def get_queue_metrics(
    ctx: Ctx, queue_id: str, since: datetime | None = Query(default=None)
) -> QueueMetrics:
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since needs a time zone (for example 2026-01-31T09:00:00Z)")
    async with ctx.db.transaction() as session:
        queue = await _visible_queue(ctx, session, queue_id)
        return await queue_metrics(session, queue, since=since)


class DrainAccepted(BaseModel):
    queue_id: uuid.UUID
    status: str = "routing requested"


@router.post(
    "/queues/{queue_id}/drain",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DrainAccepted,
    tags=["queues"],
)
async def drain_queue(ctx: Ctx, queue_id: str) -> DrainAccepted:
    """Route the queue's waiting work now (it also happens by itself whenever capacity frees)."""
    ctx.actor.require(Role.supervisor, "routing a queue by hand")
    async with ctx.db.transaction() as session:
        queue = await _visible_queue(ctx, session, queue_id)
        await request_drain(session, ctx.actor.organization_id, [queue.id])
        return DrainAccepted(queue_id=queue.id)


@router.get("/board", response_model=Board, tags=["queues"])
async def board(ctx: Ctx) -> Board:
    """Every visible queue's live state and metrics, and the agents who work them."""
    ctx.actor.require(Role.supervisor, "the queue board")
    async with ctx.db.transaction() as session:
        visible = await visible_queue_ids(session, ctx.actor)
        stmt = select(Queue).where(Queue.organization_id == ctx.actor.organization_id)
        if visible is not None:
            stmt = stmt.where(Queue.id.in_(visible))
        queues = list((await session.execute(stmt.order_by(Queue.position, Queue.name))).scalars())
        agents = await agent_reads(session, ctx.actor.organization_id)
        if visible is not None:
            me = ctx.actor.user_id
            agents = [a for a in agents if set(a.queue_ids) & visible or a.user_id == me]
        return Board(
            generated_at=clock.now(),
            queues=[await queue_metrics(session, q) for q in queues],
            agents=agents,
        )
