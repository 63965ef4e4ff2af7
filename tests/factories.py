"""One factory per aggregate. Every test gets its own organization, so tests never share rows."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from parley.actions.contacts import do_create_contact
from parley.actions.organizations import (
    do_add_member,
    do_create_api_key,
    do_create_organization,
    do_create_user,
)
from parley.actions.queues import do_create_queue
from parley.actions.sessions import do_sign_in
from parley.actors import Actor
from parley.analytics.jobs import handlers as analytics_handlers
from parley.config import Settings
from parley.db.engine import Database
from parley.jobs.runner import JobRunner
from parley.models import Contact, Job, Organization, Queue, User
from parley.models.enums import ActorType, Role
from parley.security.auth import SESSION_COOKIE
from parley.security.passwords import Passwords

PASSWORDS = Passwords(time_cost=1, memory_kib=8)
PASSWORD = "correct horse battery staple"


@dataclass
class Person:
    user: User
    role: Role
    client: httpx.AsyncClient
    organization_id: uuid.UUID

    @property
    def actor(self) -> Actor:
        return Actor(self.organization_id, ActorType.user, self.user.id, self.user.name, self.role)


@dataclass
class Tenant:
    db: Database
    org: Organization
    admin: Person
    supervisor: Person
    agent: Person
    agent2: Person
    api: httpx.AsyncClient
    api_key: str
    queue: Queue
    queue2: Queue
    contact: Contact

    @property
    def system(self) -> Actor:
        return Actor.system(self.org.id)

    async def create_interaction(self, **body: Any) -> dict[str, Any]:
        """An inbound interaction created through the API (queued in the first queue by default)."""
        payload: dict[str, Any] = {
            "communication_type": "chat",
            "queue_id": str(self.queue.id),
            "contact_id": str(self.contact.id),
            "subject": "Where is my order?",
            "text": "Hi, my parcel has not arrived.",
        }
        payload.update(body)
        response = await self.api.post("/api/v1/interactions", json=payload)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


async def _person(
    db: Database, stack: AsyncExitStack, base_url: str, org: Organization, role: Role, tag: str
) -> Person:
    settings = Settings(database_url=db.url, secret_key="x" * 32)
    async with db.transaction() as session:
        user = await do_create_user(
            session,
            email=f"{role.value}-{tag}@{org.slug}.example",
            name=f"{role.value.title()} {tag}",
            password=PASSWORD,
            passwords=PASSWORDS,
        )
        await do_add_member(session, organization_id=org.id, user_id=user.id, role=role)
    async with db.transaction() as session:
        result = await do_sign_in(
            session,
            settings=settings,
            passwords=PASSWORDS,
            email=user.email,
            password=PASSWORD,
            organization_slug=org.slug,
            ip="127.0.0.1",
            user_agent="pytest",
        )
    assert result.session is not None and result.token is not None
    client = await stack.enter_async_context(
        httpx.AsyncClient(
            base_url=base_url,
            cookies={SESSION_COOKIE: result.token},
            headers={"X-CSRF-Token": result.session.csrf_token},
            timeout=30,
        )
    )
    return Person(user, role, client, org.id)


@asynccontextmanager
async def make_tenant(db: Database, base_url: str) -> AsyncIterator[Tenant]:
    slug = f"org-{uuid.uuid4().hex[:12]}"
    async with AsyncExitStack() as stack:
        async with db.transaction() as session:
            org = await do_create_organization(session, slug=slug, name=f"Org {slug}")
        admin = await _person(db, stack, base_url, org, Role.admin, "a")
        supervisor = await _person(db, stack, base_url, org, Role.supervisor, "s")
        agent = await _person(db, stack, base_url, org, Role.agent, "1")
        agent2 = await _person(db, stack, base_url, org, Role.agent, "2")
        system = Actor.system(org.id)
        async with db.transaction() as session:
            _, key = await do_create_api_key(session, organization_id=org.id, name="tests")
            queue = await do_create_queue(
                session,
                actor=system,
                name="Support",
                member_ids=[agent.user.id, agent2.user.id, supervisor.user.id],
            )
            # Billing: agent2 and the supervisor only, so visibility rules have something to show.
            queue2 = await do_create_queue(
                session,
                actor=system,
                name="Billing",
                member_ids=[agent2.user.id, supervisor.user.id],
            )
            contact = await do_create_contact(
                session,
                actor=system,
                name="Joe Bloggs",
                email=f"joe@{slug}.example",
                phone="+44 7700 900123",
            )
        api = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
            )
        )
        yield Tenant(db, org, admin, supervisor, agent, agent2, api, key, queue, queue2, contact)


async def settle(tenant: Tenant, *, within: float = 15.0) -> None:
    """Run the organization's analytics jobs (derived after commit) until none is left, waiting
    for any the live server's own runner has taken: snapshots and assertions then see settled
    state, not a race with a worker."""
    runner = JobRunner(tenant.db, analytics_handlers())
    async with asyncio.timeout(within):
        while True:
            await runner.run_due()
            async with tenant.db.transaction() as s:
                pending = await s.execute(
                    select(func.count()).where(
                        Job.organization_id == tenant.org.id,
                        Job.finished_at.is_(None),
                        Job.kind.in_(list(analytics_handlers())),
                    )
                )
                if not pending.scalar_one():
                    return
            await asyncio.sleep(0.05)
