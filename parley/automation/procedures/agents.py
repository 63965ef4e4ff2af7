"""AI agents (which procedures and knowledge an automated voice uses, where it answers) and the
organization's secret store (values that procedure tools refer to by name)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_ai_agent, access_secret
from parley.actors import Actor
from parley.db.base import uuid7
from parley.errors import Conflict, InvalidInput
from parley.models import AiAgent, OrganizationSecret, Procedure
from parley.models.enums import Role

AGENT_FIELDS = frozenset(
    {
        "name",
        "greeting",
        "tone",
        "procedures",
        "knowledge_collections",
        "llm_model",
        "channel_kinds",
        "is_default",
        "is_active",
    }
)


async def check_ai_agent(session: AsyncSession, agent: AiAgent) -> None:
    """Its name is free in the organization and every procedure it names exists."""
    clash = await session.execute(
        select(AiAgent.id).where(
            AiAgent.organization_id == agent.organization_id,
            AiAgent.name == agent.name,
            AiAgent.id != agent.id,
        )
    )
    if clash.first() is not None:
        raise Conflict(f"an AI agent is already named {agent.name!r}", fields={"name": "taken"})
    if agent.procedures:
        rows = await session.execute(
            select(Procedure.name)
            .where(
                Procedure.organization_id == agent.organization_id,
                Procedure.name.in_(agent.procedures),
            )
            .distinct()
        )
        missing = sorted(set(agent.procedures) - set(rows.scalars()))
        if missing:
            raise InvalidInput(
                "unknown procedures", fields={"procedures": f"no procedure named {missing}"}
            )


async def _single_default(session: AsyncSession, agent: AiAgent) -> None:
    if agent.is_default:
        await session.execute(
            update(AiAgent)
            .where(AiAgent.organization_id == agent.organization_id, AiAgent.id != agent.id)
            .values(is_default=False)
        )


async def do_create_ai_agent(
    session: AsyncSession, *, actor: Actor, fields: Mapping[str, Any]
) -> AiAgent:
    actor.require(Role.admin, "changing AI agents")
    unknown = set(fields) - AGENT_FIELDS
    assert not unknown, unknown  # the schema only offers AGENT_FIELDS
    agent = AiAgent(
        id=uuid7(), organization_id=actor.organization_id, created_at=clock.now(), **fields
    )
    agent.updated_at = agent.created_at
    await check_ai_agent(session, agent)
    session.add(agent)
    await session.flush()
    await _single_default(session, agent)
    return agent


async def do_update_ai_agent(
    session: AsyncSession, *, actor: Actor, ai_agent_id: uuid.UUID, changes: Mapping[str, Any]
) -> AiAgent:
    actor.require(Role.admin, "changing AI agents")
    agent = await access_ai_agent(
        session, organization_id=actor.organization_id, ai_agent_id=ai_agent_id
    )
    for key, value in changes.items():
        assert key in AGENT_FIELDS, key
        setattr(agent, key, value)
    agent.updated_at = clock.now()
    await check_ai_agent(session, agent)
    await session.flush()
    await _single_default(session, agent)
    return agent


async def do_delete_ai_agent(
    session: AsyncSession, *, actor: Actor, ai_agent_id: uuid.UUID
) -> None:
    actor.require(Role.admin, "changing AI agents")
    agent = await access_ai_agent(
        session, organization_id=actor.organization_id, ai_agent_id=ai_agent_id
    )
    await session.delete(agent)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            "this AI agent has handled conversations; switch it off instead (is_active: false)"
        ) from None


async def ai_agents(session: AsyncSession, organization_id: uuid.UUID) -> list[AiAgent]:
    rows = await session.execute(
        select(AiAgent).where(AiAgent.organization_id == organization_id).order_by(AiAgent.name)
    )
    return list(rows.scalars())


async def agent_for_channel(
    session: AsyncSession, *, organization_id: uuid.UUID, channel_kind: str
) -> AiAgent | None:
    """The active AI agent that serves this kind of channel, else the active default one."""
    agents = [a for a in await ai_agents(session, organization_id) if a.is_active]
    serving = [a for a in agents if channel_kind in a.channel_kinds]
    if serving:
        return serving[0]
    return next((a for a in agents if a.is_default), None)


# --- secrets -------------------------------------------------------------------------------------


async def do_set_secret(
    session: AsyncSession, *, actor: Actor, name: str, value: str
) -> OrganizationSecret:
    """Create or replace the organization's secret ``name``."""
    actor.require(Role.admin, "changing secrets")
    row = (
        await session.execute(
            select(OrganizationSecret).where(
                OrganizationSecret.organization_id == actor.organization_id,
                OrganizationSecret.name == name,
            )
        )
    ).scalar_one_or_none()
    now = clock.now()
    if row is None:
        row = OrganizationSecret(
            organization_id=actor.organization_id, name=name, created_at=now, value=value
        )
        session.add(row)
    row.value = value
    row.updated_at = now
    await session.flush()
    return row


async def do_delete_secret(session: AsyncSession, *, actor: Actor, secret_id: uuid.UUID) -> None:
    actor.require(Role.admin, "changing secrets")
    row = await access_secret(session, organization_id=actor.organization_id, secret_id=secret_id)
    await session.delete(row)
    await session.flush()


async def secret_rows(
    session: AsyncSession, organization_id: uuid.UUID
) -> list[OrganizationSecret]:
    rows = await session.execute(
        select(OrganizationSecret)
        .where(OrganizationSecret.organization_id == organization_id)
        .order_by(OrganizationSecret.name)
    )
    return list(rows.scalars())


async def load_secrets(session: AsyncSession, *, organization_id: uuid.UUID) -> dict[str, str]:
    """Name -> value of one organization's secrets, for its ``HttpToolRunner``."""
    return {row.name: row.value for row in await secret_rows(session, organization_id)}
