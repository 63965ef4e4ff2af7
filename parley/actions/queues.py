"""Queues and their members."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_member, access_queue
from parley.actors import Actor
from parley.errors import Conflict, InvalidInput
from parley.events import Audience, record_event
from parley.models import Queue, QueueMember
from parley.models.enums import Role, RoutingStrategy
from parley.queries.directory import queue_read
from parley.routing.policy import parse_overflow, parse_skill_rule
from parley.routing.tags import compile_tags
from parley.routing.triggers import request_drain
from parley.sla.business_hours import check_business_hours
from parley.sla.policy import check_sla_policy


async def _name_taken(
    session: AsyncSession, org: uuid.UUID, name: str, but: uuid.UUID | None
) -> bool:
    stmt = select(Queue.id).where(Queue.organization_id == org, Queue.name == name)
    found = (await session.execute(stmt)).scalar_one_or_none()
    return found is not None and found != but


async def _set_members(
    session: AsyncSession, actor: Actor, queue: Queue, member_ids: Iterable[uuid.UUID]
) -> None:
    wanted = list(dict.fromkeys(member_ids))
    for user_id in wanted:
        await access_member(session, organization_id=actor.organization_id, user_id=user_id)
    await session.execute(delete(QueueMember).where(QueueMember.queue_id == queue.id))
    session.add_all(
        QueueMember(
            organization_id=actor.organization_id,
            queue_id=queue.id,
            user_id=user_id,
            created_at=clock.now(),
        )
        for user_id in wanted
    )
    await session.flush()


async def _validated(
    session: AsyncSession, actor: Actor, queue_id: uuid.UUID | None, values: dict[str, Any]
) -> dict[str, Any]:
    """Parse the JSON settings now, so a mistake is a 422 at save time, not a routing surprise."""
    if "required_skills" in values:
        values["required_skills"] = parse_skill_rule(values["required_skills"]).model_dump(
            mode="json", exclude_defaults=True
        )
    if "overflow" in values:
        rule = parse_overflow(values["overflow"])
        if rule.queue_id is not None:
            if rule.queue_id == queue_id:
                raise InvalidInput(
                    "a queue cannot overflow into itself", fields={"overflow.queue_id": "itself"}
                )
            await access_queue(
                session, organization_id=actor.organization_id, queue_id=rule.queue_id
            )
            if queue_id is not None:
                await _refuse_overflow_cycle(
                    session, actor.organization_id, queue_id, rule.queue_id
                )
        values["overflow"] = rule.model_dump(mode="json", exclude_defaults=True)
    if values.get("accept_tags") is not None:
        values["accept_tags"] = values["accept_tags"].strip()
        compile_tags(values["accept_tags"])
    if "sla_policy" in values:
        with _prefixed("sla_policy"):
            policy = check_sla_policy(values["sla_policy"] or {})
        values["sla_policy"] = policy.model_dump(mode="json", exclude_defaults=True)
    if "business_hours" in values:
        with _prefixed("business_hours"):
            hours = check_business_hours(values["business_hours"] or {})
        values["business_hours"] = hours.model_dump(mode="json", exclude_defaults=True)
    return values


async def _refuse_overflow_cycle(
    session: AsyncSession, org: uuid.UUID, queue_id: uuid.UUID, target: uuid.UUID
) -> None:
    """Overflow chains must end: Support -> Billing -> Support would bounce work for ever."""
    seen = {queue_id}
    step: uuid.UUID | None = target
    while step is not None:
        if step in seen:
            raise InvalidInput(
                "this overflow would send work round in a circle between queues",
                fields={"overflow.queue_id": "leads back to this queue"},
            )
        seen.add(step)
        nxt = await access_queue(session, organization_id=org, queue_id=step)
        step = parse_overflow(nxt.overflow).queue_id if nxt.overflow else None


@contextmanager
def _prefixed(field: str) -> Iterator[None]:
    """Name the queue field in nested errors (``sla_policy.first_response_s``)."""
    try:
        yield
    except InvalidInput as exc:
        fields = {f"{field}.{k}" if k != field else k: v for k, v in exc.fields.items()}
        raise InvalidInput(exc.message, fields=fields or {field: exc.message}) from None


async def _queue_event(session: AsyncSession, queue: Queue, type: str) -> None:
    read = await queue_read(session, organization_id=queue.organization_id, queue_id=queue.id)
    record_event(
        session,
        organization_id=queue.organization_id,
        type=type,
        audience=Audience(organization_id=queue.organization_id, queue_ids=(queue.id,)),
        data={"queue": read.model_dump(mode="json")},
    )


async def do_create_queue(
    session: AsyncSession,
    *,
    actor: Actor,
    name: str,
    description: str = "",
    routing_strategy: RoutingStrategy = RoutingStrategy.manual,
    sla_policy: Mapping[str, Any] | None = None,
    business_hours: Mapping[str, Any] | None = None,
    required_skills: Mapping[str, Any] | None = None,
    overflow: Mapping[str, Any] | None = None,
    accept_tags: str = "",
    position: int = 100,
    wrap_up_timeout_s: int = 120,
    member_ids: Iterable[uuid.UUID] = (),
) -> Queue:
    actor.require(Role.admin, "creating a queue")
    if await _name_taken(session, actor.organization_id, name, None):
        raise Conflict(f"a queue named {name!r} already exists", fields={"name": "taken"})
    settings = await _validated(
        session,
        actor,
        None,
        {
            "sla_policy": dict(sla_policy or {}),
            "business_hours": dict(business_hours or {}),
            "required_skills": dict(required_skills or {}),
            "overflow": dict(overflow or {}),
            "accept_tags": accept_tags,
        },
    )
    queue = Queue(
        organization_id=actor.organization_id,
        name=name,
        description=description,
        routing_strategy=routing_strategy,
        position=position,
        wrap_up_timeout_s=wrap_up_timeout_s,
        created_at=clock.now(),
        **settings,
    )
    session.add(queue)
    await session.flush()
    await _set_members(session, actor, queue, member_ids)
    await _queue_event(session, queue, "queue.created")
    return queue


async def do_update_queue(
    session: AsyncSession, *, actor: Actor, queue_id: uuid.UUID, changes: Mapping[str, Any]
) -> Queue:
    actor.require(Role.admin, "changing a queue")
    queue = await access_queue(session, organization_id=actor.organization_id, queue_id=queue_id)
    changes = dict(changes)
    members = changes.pop("member_ids", None)
    name = changes.get("name")
    if name and await _name_taken(session, actor.organization_id, name, queue.id):
        raise Conflict(f"a queue named {name!r} already exists", fields={"name": "taken"})
    changes = await _validated(session, actor, queue.id, changes)
    for field, value in changes.items():
        setattr(queue, field, value)
    if members is not None:
        await _set_members(session, actor, queue, members)
    await session.flush()
    await _queue_event(session, queue, "queue.updated")
    # New members, strategy or skills may let waiting work through.
    await request_drain(session, actor.organization_id, [queue.id])
    return queue
