"""Agents' presence, capacity and skills: the only writers of AgentProfile.

Presence is what the agent says (available, away, offline), with one automatic change: when an
agent's last console connection has been gone for ``AWAY_GRACE`` an available agent becomes away,
so work is never routed to someone who closed their laptop (Chatwoot #4158).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_member
from parley.actors import Actor
from parley.errors import InvalidInput
from parley.events import Audience, record_event
from parley.jobs.queue import enqueue
from parley.models import AgentProfile
from parley.models.enums import CommunicationType, Presence, Role
from parley.routing.triggers import AUTO_AWAY, capacity_freed

AWAY_GRACE = timedelta(seconds=60)
MAX_CAPACITY = 100


async def profile_of(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
) -> AgentProfile:
    """The member's profile, created (offline, default capacity) the first time it is needed."""
    stmt: Any = select(AgentProfile).where(
        AgentProfile.organization_id == organization_id, AgentProfile.user_id == user_id
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    profile: AgentProfile | None = (await session.execute(stmt)).scalar_one_or_none()
    if profile is None:
        profile = AgentProfile(
            organization_id=organization_id,
            user_id=user_id,
            presence=Presence.offline,
            capacity={},
            skills={},
            created_at=clock.now(),
        )
        session.add(profile)
        await session.flush()
    return profile


def _agent_event(session: AsyncSession, profile: AgentProfile, type: str) -> None:
    record_event(
        session,
        organization_id=profile.organization_id,
        type=type,
        audience=Audience(organization_id=profile.organization_id, internal=True),
        data={
            "agent": {
                "user_id": str(profile.user_id),
                "presence": profile.presence,
                "presence_changed_at": profile.presence_changed_at.isoformat()
                if profile.presence_changed_at
                else None,
                "capacity": profile.capacity,
                "skills": profile.skills,
            }
        },
    )


async def do_set_presence(
    session: AsyncSession,
    *,
    actor: Actor,
    user_id: uuid.UUID,
    presence: Presence,
    reason: str = "",
) -> AgentProfile:
    """Agents set their own presence; supervisors may set anyone's (end of shift, say)."""
    if actor.user_id != user_id:
        actor.require(Role.supervisor, "changing someone else's presence")
    await access_member(session, organization_id=actor.organization_id, user_id=user_id)
    profile = await profile_of(session, actor.organization_id, user_id, lock=True)
    if profile.presence == presence:
        return profile
    now = clock.now()
    profile.presence = presence
    profile.presence_changed_at = now
    if presence == Presence.available:
        profile.last_seen_at = profile.last_seen_at or now
    await session.flush()
    _agent_event(session, profile, "agent.presence_changed")
    if presence == Presence.available:
        await capacity_freed(session, actor.organization_id, user_id)
    return profile


def _capacity(value: Mapping[str, Any]) -> dict[str, int]:
    kinds = {k.value for k in CommunicationType}
    out: dict[str, int] = {}
    for kind, limit in value.items():
        if kind not in kinds:
            raise InvalidInput(
                f"unknown communication type {kind!r} in capacity",
                fields={f"capacity.{kind}": f"one of {sorted(kinds)}"},
            )
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_CAPACITY:
            raise InvalidInput(
                "capacity is a whole number of concurrent interactions",
                fields={f"capacity.{kind}": f"an integer from 0 to {MAX_CAPACITY}"},
            )
        out[kind] = limit
    return out


def _skills(value: Mapping[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, level in value.items():
        if not 1 <= len(name) <= 64:
            raise InvalidInput("skill names are 1 to 64 characters", fields={"skills": name[:64]})
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            raise InvalidInput(
                "skill levels are whole numbers from 1 to 10",
                fields={f"skills.{name}": "an integer from 1 to 10"},
            )
        out[name] = level
    return out


async def do_update_agent(
    session: AsyncSession,
    *,
    actor: Actor,
    user_id: uuid.UUID,
    capacity: Mapping[str, Any] | None = None,
    skills: Mapping[str, Any] | None = None,
) -> AgentProfile:
    actor.require(Role.supervisor, "changing an agent's capacity or skills")
    await access_member(session, organization_id=actor.organization_id, user_id=user_id)
    profile = await profile_of(session, actor.organization_id, user_id, lock=True)
    if capacity is not None:
        profile.capacity = _capacity(capacity)
    if skills is not None:
        profile.skills = _skills(skills)
    await session.flush()
    _agent_event(session, profile, "agent.updated")
    # More capacity or new skills may let waiting work through.
    await capacity_freed(session, actor.organization_id, user_id)
    return profile


async def do_touch(
    session: AsyncSession, *, organization_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """A live console connection says the agent is still here."""
    profile = await profile_of(session, organization_id, user_id)
    profile.last_seen_at = clock.now()


async def do_connection_closed(
    session: AsyncSession, *, organization_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Check back after the grace period; another tab or process may still be connected."""
    await enqueue(
        session,
        kind=AUTO_AWAY,
        organization_id=organization_id,
        payload={"user_id": str(user_id)},
        run_at=clock.now() + AWAY_GRACE,
        max_attempts=3,
    )


async def do_auto_away(
    session: AsyncSession, *, organization_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    profile = await profile_of(session, organization_id, user_id, lock=True)
    seen = profile.last_seen_at
    if profile.presence != Presence.available:
        return False
    if seen is not None and clock.now() - seen < AWAY_GRACE:
        return False
    profile.presence = Presence.away
    profile.presence_changed_at = clock.now()
    await session.flush()
    _agent_event(session, profile, "agent.presence_changed")
    return True
