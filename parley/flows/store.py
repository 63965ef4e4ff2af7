"""Saving and loading flows: versioned, validated on save, newest active version runs."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_flow
from parley.actors import Actor
from parley.flows.defaults import default_flows
from parley.flows.model import FlowDefinition, parse_flow
from parley.ingest.event import EventType
from parley.models import Flow
from parley.models.enums import Role
from parley.security import ssrf
from parley.timers.schedule import sync_schedule


async def latest_versions(session: AsyncSession, organization_id: uuid.UUID) -> list[Flow]:
    """The newest version of every flow of the organization (active or not)."""
    newest = (
        select(Flow.name, func.max(Flow.version).label("version"))
        .where(Flow.organization_id == organization_id)
        .group_by(Flow.name)
        .subquery()
    )
    stmt = (
        select(Flow)
        .join(newest, (Flow.name == newest.c.name) & (Flow.version == newest.c.version))
        .where(Flow.organization_id == organization_id)
        .order_by(Flow.event_type, Flow.priority, Flow.name)
    )
    return list((await session.execute(stmt)).scalars())


async def active_flows(
    session: AsyncSession, organization_id: uuid.UUID, event_type: EventType
) -> list[FlowDefinition]:
    """The organization's flows for this event type, or the defaults when it has none for it."""
    own = [
        FlowDefinition.model_validate(f.definition)
        for f in await latest_versions(session, organization_id)
        if f.event_type == event_type and f.is_active
    ]
    if own:
        return own
    has_any = await session.execute(
        select(Flow.id).where(
            Flow.organization_id == organization_id, Flow.event_type == event_type
        )
    )
    if has_any.first() is not None:
        return []  # the organization switched its flows for this event off on purpose
    return [f for f in default_flows() if f.event == event_type]


async def check_flow_urls(definition: FlowDefinition, *, allow_private: bool) -> None:
    """422 ``unsafe_url`` for a ``call_webhook`` URL the SSRF rules refuse (docs/webhooks.md);
    the URL is checked again before every call."""
    for index, step in enumerate(definition.steps):
        if step.call_webhook is None:
            continue
        try:
            await ssrf.check_url_to_save(step.call_webhook.url, allow_private=allow_private)
        except ssrf.UnsafeUrl as exc:
            exc.fields = {f"steps.{index}.call_webhook.url": exc.reason}
            raise


async def do_save_flow(
    session: AsyncSession,
    *,
    actor: Actor,
    source: str | dict[str, Any],
    active: bool = True,
    allow_private: bool = False,
) -> Flow:
    """Validate and store a new version of a flow (named inside the source).

    Webhook URLs are checked only for a flow saved active: switching a flow off always works.
    """
    actor.require(Role.admin, "changing flows")
    definition = parse_flow(source)
    if active:
        await check_flow_urls(definition, allow_private=allow_private)
    current = await session.execute(
        select(func.max(Flow.version)).where(
            Flow.organization_id == actor.organization_id, Flow.name == definition.name
        )
    )
    version = (current.scalar_one() or 0) + 1
    flow = Flow(
        organization_id=actor.organization_id,
        name=definition.name,
        version=version,
        event_type=definition.event,
        priority=definition.priority,
        is_active=active,
        definition=definition.model_dump(mode="json", by_alias=True),
        source=source if isinstance(source, str) else "",
        created_by_id=actor.user_id,
        created_at=clock.now(),
    )
    session.add(flow)
    await session.flush()
    # Schedule flows run on their own clock: start this version's, stop the older ones'.
    await sync_schedule(session, flow)
    return flow


async def versions_of(session: AsyncSession, flow: Flow) -> list[Flow]:
    stmt = (
        select(Flow)
        .where(Flow.organization_id == flow.organization_id, Flow.name == flow.name)
        .order_by(Flow.version.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def do_set_flow_active(
    session: AsyncSession,
    *,
    actor: Actor,
    flow_id: uuid.UUID,
    active: bool,
    allow_private: bool = False,
) -> Flow:
    """Switch a flow on or off: a new version with the same definition, so history stays."""
    actor.require(Role.admin, "changing flows")
    flow = await access_flow(session, organization_id=actor.organization_id, flow_id=flow_id)
    return await do_save_flow(
        session,
        actor=actor,
        source=flow.source or dict(flow.definition),
        active=active,
        allow_private=allow_private,
    )
