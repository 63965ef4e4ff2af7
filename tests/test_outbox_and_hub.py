"""Events leave only after commit, in order, through memory and real Redis hubs alike."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from parley.actions import interactions as ia
from parley.actions.organizations import do_create_organization
from parley.actors import Actor
from parley.db.engine import Database
from parley.models import OutboxEvent
from parley.models.enums import CommunicationType, Direction
from parley.outbox import OutboxRelay
from parley.realtime.hub import MemoryHub, RedisHub, make_hub, organization_topic
from tests.conftest import _create_pg_database, _drop_pg_database

REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["memory", "redis"])
async def hub(request: pytest.FixtureRequest) -> AsyncIterator[MemoryHub | RedisHub]:
    made = make_hub("memory://" if request.param == "memory" else REDIS_URL)
    try:
        await made.ping()
    except Exception as exc:
        pytest.fail(f"Redis is required and not reachable at {REDIS_URL}: {exc}", pytrace=False)
    yield made
    await made.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def private_db(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Database]:
    """A database no live server reads, so no other relay competes for its outbox."""
    from parley.db.migrate import upgrade

    if request.param == "sqlite":
        url, name = f"sqlite+aiosqlite:///{tmp_path}/outbox.db", None
    else:
        name, url = await _create_pg_database()
    await upgrade(url)
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()
        if name:
            await _drop_pg_database(name)


async def _org(db: Database) -> Actor:
    async with db.transaction() as s:
        org = await do_create_organization(s, slug=f"o-{uuid.uuid4().hex[:8]}", name="Outbox Ltd")
    return Actor.system(org.id)


async def _collect(
    hub: MemoryHub | RedisHub, topic: str, n: int, got: list[dict[str, Any]], ready: asyncio.Event
) -> None:
    async with hub.subscribe(topic) as events:
        ready.set()
        async for event in events:
            got.append(event)
            if len(got) >= n:
                return


async def _subscribe(
    hub: MemoryHub | RedisHub, topic: str, n: int
) -> tuple[asyncio.Task[None], list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []
    ready = asyncio.Event()
    task = asyncio.create_task(_collect(hub, topic, n, got, ready))
    await asyncio.wait_for(ready.wait(), 5)
    await asyncio.sleep(0.05)  # Redis confirms SUBSCRIBE asynchronously
    return task, got


async def _create(db: Database, actor: Actor, subject: str) -> uuid.UUID:
    async with db.transaction() as s:
        i = await ia.do_create_interaction(
            s,
            actor=actor,
            direction=Direction.inbound,
            communication_type=CommunicationType.chat,
            subject=subject,
        )
        return i.id


async def test_hub_fans_out_to_every_subscriber(hub: MemoryHub | RedisHub) -> None:
    topic = f"parley:test:{uuid.uuid4()}"
    (t1, got1), (t2, got2) = await _subscribe(hub, topic, 2), await _subscribe(hub, topic, 2)
    await hub.publish(topic, {"n": 1})
    await hub.publish(topic, {"n": 2, "text": "<b>é</b>"})
    await asyncio.wait_for(asyncio.gather(t1, t2), 5)
    assert got1 == got2 == [{"n": 1}, {"n": 2, "text": "<b>é</b>"}]


async def _create_then_fail(db: Database, actor: Actor) -> None:
    async with db.transaction() as s:
        await ia.do_create_interaction(
            s,
            actor=actor,
            direction=Direction.inbound,
            communication_type=CommunicationType.chat,
            subject="rolled back",
        )
        raise RuntimeError("the edge failed before commit")


async def test_relay_publishes_committed_events_in_order(
    private_db: Database, hub: MemoryHub | RedisHub
) -> None:
    db = private_db
    actor = await _org(db)
    topic = organization_topic(str(actor.organization_id))
    task, got = await _subscribe(hub, topic, 3)
    relay = OutboxRelay(db, hub, poll_s=0.05)
    relay.start()
    try:
        with pytest.raises(RuntimeError):
            await _create_then_fail(db, actor)
        ids = [await _create(db, actor, subject) for subject in ("one", "two", "three")]
        await asyncio.wait_for(task, 10)
    finally:
        await relay.stop()
    assert [e["type"] for e in got] == ["interaction.created"] * 3
    assert [e["interaction"]["id"] for e in got] == [str(i) for i in ids]
    assert [e["interaction"]["subject"] for e in got] == ["one", "two", "three"]
    assert len({e["id"] for e in got}) == 3  # every event carries its own id
    async with db.transaction() as s:
        pending = await s.execute(select(OutboxEvent.id).where(OutboxEvent.published_at.is_(None)))
        assert list(pending.scalars()) == []


async def test_events_left_by_a_crash_go_out_on_next_start(private_db: Database) -> None:
    """Rows committed but never published (a crash after commit) are published by a new relay."""
    db = private_db
    actor = await _org(db)
    iid = await _create(db, actor, "before the crash")
    hub = MemoryHub()
    async with hub.subscribe(organization_topic(str(actor.organization_id))) as events:
        relay = OutboxRelay(db, hub, poll_s=0.05)
        relay.start()
        try:
            first = await asyncio.wait_for(anext(aiter(events)), 10)
        finally:
            await relay.stop()
    assert first["type"] == "interaction.created"
    assert first["interaction"]["id"] == str(iid)
    async with db.transaction() as s:
        left = await s.execute(select(OutboxEvent.id).where(OutboxEvent.published_at.is_(None)))
        assert list(left.scalars()) == []
