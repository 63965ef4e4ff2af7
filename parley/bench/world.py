"""A routing world in bulk: an organization, many agents, queues and waiting interactions.

Rows are written with multi-row INSERTs (thousands per statement) but are the same rows the
actions write: an agent is a user, a membership and an agent profile; a waiting interaction is
inbound, queued in a queue, numbered from the organization's counter. The engine cannot tell
them apart from real ones, which is what the routing benchmark and concurrency test need.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actions.contacts import do_create_contact
from parley.actions.organizations import do_create_organization
from parley.actions.queues import do_create_queue
from parley.actors import Actor
from parley.db.base import uuid7
from parley.db.engine import Database
from parley.lifecycle.communication import resolve_subtype
from parley.models import (
    AgentProfile,
    Interaction,
    Membership,
    Organization,
    QueueMember,
    User,
)
from parley.models.enums import (
    CommunicationType,
    Direction,
    Presence,
    Priority,
    Role,
    RoutingStrategy,
    State,
)

KINDS = (
    CommunicationType.chat,
    CommunicationType.email,
    CommunicationType.messaging,
    CommunicationType.voice,
)
# Most work is normal; a little is urgent or low.
PRIORITIES = (Priority.urgent, Priority.high, Priority.normal, Priority.low)
PRIORITY_WEIGHTS = (1, 2, 6, 1)
CHUNK = 2_000


@dataclass(frozen=True)
class World:
    organization_id: uuid.UUID
    contact_id: uuid.UUID
    queue_ids: tuple[uuid.UUID, ...]
    agent_ids: tuple[uuid.UUID, ...]
    # queue id -> its members
    members: dict[uuid.UUID, tuple[uuid.UUID, ...]]
    away_ids: frozenset[uuid.UUID]


async def _bulk(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(model), list(rows[start : start + CHUNK]))


def capacity_for(rng: random.Random) -> dict[str, int]:
    return {
        "chat": rng.randint(1, 4),
        "email": rng.randint(2, 8),
        "messaging": rng.randint(1, 5),
        "voice": 1,
        "task": 5,
    }


async def seed_world(
    db: Database,
    *,
    agents: int,
    queues: int = 2,
    strategy: RoutingStrategy = RoutingStrategy.least_busy,
    overlap_every: int = 5,
    away_every: int = 0,
    at: datetime,
    seed: int = 7,
) -> World:
    """An organization with ``agents`` available agents spread over ``queues`` queues.

    Agent ``n`` works queue ``n % queues``; every ``overlap_every``-th agent also works the next
    queue, so capacity is shared across queues. Every ``away_every``-th agent is away.
    """
    rng = random.Random(seed)  # noqa: S311 - repeatable bench data, not secrets
    slug = f"bench-{uuid.uuid4().hex[:12]}"
    async with db.transaction() as session:
        org = await do_create_organization(session, slug=slug, name=f"Bench {slug}")
        system = Actor.system(org.id)
        contact = await do_create_contact(session, actor=system, name="Bench customer")
        queue_rows = [
            await do_create_queue(
                session, actor=system, name=f"Queue {q + 1}", routing_strategy=strategy
            )
            for q in range(queues)
        ]
        user_ids = [uuid7() for _ in range(agents)]
        away = frozenset(
            u for n, u in enumerate(user_ids) if away_every and n % away_every == away_every - 1
        )
        await _bulk(
            session,
            User,
            [
                {
                    "id": u,
                    "email": f"agent{n}@{slug}.invalid",
                    "name": f"Agent {n}",
                    "password_hash": None,
                    "is_active": True,
                    "created_at": at,
                }
                for n, u in enumerate(user_ids)
            ],
        )
        await _bulk(
            session,
            Membership,
            [
                {
                    "id": uuid7(),
                    "organization_id": org.id,
                    "user_id": u,
                    "role": Role.agent,
                    "created_at": at,
                }
                for u in user_ids
            ],
        )
        await _bulk(
            session,
            AgentProfile,
            [
                {
                    "id": uuid7(),
                    "organization_id": org.id,
                    "user_id": u,
                    "presence": Presence.away if u in away else Presence.available,
                    "presence_changed_at": at - timedelta(seconds=rng.randint(0, 3600)),
                    "last_seen_at": at,
                    "capacity": capacity_for(rng),
                    "skills": {},
                    "created_at": at,
                }
                for u in user_ids
            ],
        )
        members: dict[uuid.UUID, list[uuid.UUID]] = {q.id: [] for q in queue_rows}
        for n, u in enumerate(user_ids):
            home = n % queues
            members[queue_rows[home].id].append(u)
            if queues > 1 and overlap_every and n % overlap_every == 0:
                members[queue_rows[(home + 1) % queues].id].append(u)
        await _bulk(
            session,
            QueueMember,
            [
                {
                    "id": uuid7(),
                    "organization_id": org.id,
                    "queue_id": q,
                    "user_id": u,
                    "created_at": at,
                }
                for q, us in members.items()
                for u in us
            ],
        )
    return World(
        organization_id=org.id,
        contact_id=contact.id,
        queue_ids=tuple(q.id for q in queue_rows),
        agent_ids=tuple(user_ids),
        members={q: tuple(us) for q, us in members.items()},
        away_ids=away,
    )


async def add_waiting(
    db: Database,
    world: World,
    *,
    queue_id: uuid.UUID,
    count: int,
    at: datetime,
    seed: int = 11,
) -> None:
    """``count`` inbound interactions waiting in the queue, queued over the hour before ``at``."""
    rng = random.Random(seed)  # noqa: S311 - repeatable bench data, not secrets
    async with db.transaction() as session:
        counter = (
            await session.execute(
                update(Organization)
                .where(Organization.id == world.organization_id)
                .values(interaction_counter=Organization.interaction_counter + count)
                .returning(Organization.interaction_counter)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one()
        first = int(counter) - count + 1
        rows = []
        for n in range(count):
            kind = KINDS[n % len(KINDS)]
            queued_at = at - timedelta(seconds=3600 * (count - n) / count)
            rows.append(
                {
                    "id": uuid7(),
                    "organization_id": world.organization_id,
                    "number": first + n,
                    "contact_id": world.contact_id,
                    "communication_type": kind,
                    "subtype": resolve_subtype(kind, None),
                    "direction": Direction.inbound,
                    "state": State.queued,
                    "queue_id": queue_id,
                    "priority": rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0],
                    "subject": f"Bench {first + n}",
                    "notes": "",
                    "custom_fields": {},
                    "client": {},
                    "keywords": [],
                    "created_at": queued_at,
                    "updated_at": queued_at,
                    "queued_at": queued_at,
                }
            )
        await _bulk(session, Interaction, rows)
        if db.dialect == "postgresql":
            # As autovacuum would soon after a real burst: without fresh statistics the planner
            # sorts the whole queue for every drain instead of reading it in index order.
            await session.execute(text("ANALYZE interactions"))
