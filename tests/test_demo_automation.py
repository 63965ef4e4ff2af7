"""The demo answers like the product: Nova greets, a shop procedure checks an order against the
demo shop API, and a person is one sentence away. Own SQLite database, like test_demo.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from parley.automation.engine import handlers
from parley.config import Settings
from parley.db.engine import Database
from parley.db.migrate import upgrade
from parley.demo.seed import seed_demo
from parley.ingest.event import Happening, InboundEvent, Sender, ThreadHints
from parley.ingest.pipeline import do_ingest
from parley.jobs.runner import JobRunner
from parley.models import (
    AiAgent,
    Channel,
    Faq,
    Interaction,
    Message,
    Organization,
    OrganizationSecret,
    Procedure,
)
from parley.models.enums import ChannelKind, IdentityKind, MessageRole


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Settings, Database]]:
    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('demo-auto')) / 'demo.db'}"
    await upgrade(url)
    settings = Settings(
        database_url=url, secret_key="x" * 32, argon2_time_cost=1, argon2_memory_kib=8
    )
    await seed_demo(settings, base_url="http://parley.test")
    await seed_demo(settings, base_url="http://parley.test")  # safe to repeat
    db = Database(url)
    yield settings, db
    await db.dispose()


async def test_the_demo_has_its_automation_once(demo: tuple[Settings, Database]) -> None:
    _, db = demo
    async with db.transaction() as s:
        org = (
            await s.execute(select(Organization).where(Organization.slug == "demo"))
        ).scalar_one()
        count = lambda model: s.execute(  # noqa: E731
            select(func.count()).select_from(model).where(model.organization_id == org.id)
        )
        assert (await count(Procedure)).scalar_one() == 6
        assert (await count(AiAgent)).scalar_one() == 1
        assert (await count(OrganizationSecret)).scalar_one() == 1
        assert (await count(Faq)).scalar_one() >= 6


async def test_a_web_chat_is_answered_by_nova(demo: tuple[Settings, Database]) -> None:
    settings, db = demo
    async with db.transaction() as s:
        org = (
            await s.execute(select(Organization).where(Organization.slug == "demo"))
        ).scalar_one()
        channel = (
            (
                await s.execute(
                    select(Channel).where(
                        Channel.organization_id == org.id, Channel.kind == ChannelKind.webchat
                    )
                )
            )
            .scalars()
            .first()
        )
    assert channel is not None
    key = f"chat:{uuid.uuid4().hex}"
    sender = Sender(identities=((IdentityKind.visitor, uuid.uuid4().hex),), name="Visitor")

    async def send(happening: Happening, text: str, thread: ThreadHints) -> uuid.UUID:
        event = InboundEvent(
            organization_id=org.id,
            channel_id=channel.id,
            channel_kind=ChannelKind.webchat,
            happening=happening,
            sender=sender,
            text=text,
            provider_message_id=uuid.uuid4().hex,
            thread=thread,
        )
        async with db.transaction() as s:
            result = await do_ingest(s, event=event)
        runner = JobRunner(db, handlers(settings))
        while await runner.run_due():
            pass
        assert result.interaction is not None
        return result.interaction.id

    interaction_id = await send(Happening.chat_start, "", ThreadHints(own_keys=(key,)))
    await send(Happening.message, "Hello, where is my order?", ThreadHints(refers_to=(key,)))
    await send(Happening.message, "AB12345", ThreadHints(refers_to=(key,)))
    await send(Happening.message, "joe.bloggs@example.com", ThreadHints(refers_to=(key,)))
    async with db.transaction() as s:
        said = list(
            (
                await s.execute(
                    select(Message.text)
                    .where(
                        Message.interaction_id == interaction_id,
                        Message.role == MessageRole.assistant,
                    )
                    .order_by(Message.seq)
                )
            ).scalars()
        )
        interaction = await s.get(Interaction, interaction_id)
    assert said[0].startswith("Hi, I'm Nova")
    assert any("order number" in t for t in said)
    assert any("AB12345" in t and "DPD" in t for t in said), said
    # The procedure resolved it: no person was needed.
    assert interaction is not None
    assert (interaction.state, interaction.outcome, interaction.handled_by) == (
        "completed",
        "resolved",
        "aop",
    )
