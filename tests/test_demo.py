"""`parley demo`: a lived-in organization, seeded once through the actions, safe to repeat.

Self-contained (own SQLite database per module) so it does not depend on the shared fixtures.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.sql import Executable

import parley.demo.seed as seed_module
from parley.config import Settings
from parley.db.base import Base
from parley.db.engine import Database
from parley.db.migrate import upgrade
from parley.demo.content import USERS, Conversation, agent, ago, customer
from parley.demo.seed import CONVERSATIONS, DEMO_PASSWORD, check_conversations, seed_demo
from parley.models import (
    Activity,
    AgentProfile,
    Channel,
    Contact,
    Interaction,
    Membership,
    Message,
    Organization,
    OutboxEvent,
    User,
)
from parley.models.enums import ChannelKind, Outcome, Role, State
from parley.security.passwords import Passwords

BASE_URL = "http://parley.test:8000"


@dataclass
class Seeded:
    settings: Settings
    db: Database
    text: str


async def _fresh_settings(directory: Path) -> Settings:
    url = f"sqlite+aiosqlite:///{directory / 'demo.db'}"
    await upgrade(url)
    return Settings(database_url=url, secret_key="x" * 32, argon2_time_cost=1, argon2_memory_kib=8)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def seeded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    settings = await _fresh_settings(tmp_path_factory.mktemp("demo"))
    text = await seed_demo(settings, base_url=BASE_URL)
    db = Database(settings.database_url)
    yield Seeded(settings, db, text)
    await db.dispose()


async def _rows(db: Database, stmt: Executable) -> list[Any]:
    async with db.transaction() as session:
        return list((await session.execute(stmt)).all())


async def _scalars(db: Database, stmt: Executable) -> list[Any]:
    async with db.transaction() as session:
        return list((await session.execute(stmt)).scalars())


async def _row_counts(db: Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            stmt = select(func.count()).select_from(table)
            counts[table.name] = int((await session.execute(stmt)).scalar_one())
    return counts


async def test_the_organization_has_an_admin_a_supervisor_and_two_agents(seeded: Seeded) -> None:
    rows = await _rows(
        seeded.db,
        select(Organization.name, Membership.role, AgentProfile.skills)
        .join(Membership, Membership.organization_id == Organization.id)
        .join(AgentProfile, AgentProfile.user_id == Membership.user_id)
        .where(Organization.slug == "demo"),
    )
    assert {name for name, _, _ in rows} == {"Northwind Outfitters"}
    assert Counter(role for _, role, _ in rows) == {
        Role.admin: 1,
        Role.supervisor: 1,
        Role.agent: 2,
    }
    assert all(skills for _, role, skills in rows if role == Role.agent)


async def test_every_channel_kind_and_every_state_is_there(seeded: Seeded) -> None:
    interactions = await _scalars(seeded.db, select(Interaction))
    assert 30 <= len(interactions) <= 45
    channels = {c.id: c for c in await _scalars(seeded.db, select(Channel))}
    assert sorted(c.kind for c in channels.values()) == sorted(ChannelKind)
    assert all(c.default_queue_id is not None for c in channels.values())
    assert {channels[i.channel_id].kind for i in interactions if i.channel_id} == set(ChannelKind)
    assert {i.state for i in interactions} == set(State)
    completed = [i for i in interactions if i.state == State.completed]
    assert {i.outcome for i in completed} == {Outcome.resolved, Outcome.unresolved}
    assert all(i.disposition for i in completed)
    assert any(i.cloned_from_id for i in interactions)
    assert any(i.tags for i in interactions)
    assert any(i.client.get("browser") for i in interactions)
    kinds = set(await _scalars(seeded.db, select(Activity.kind)))
    assert {"transferred", "assigned", "claimed", "tagged", "cloned", "note"} <= kinds
    contacts = await _scalars(seeded.db, select(Contact.id))
    assert len(contacts) >= 20


async def test_every_interaction_has_a_consistent_history(seeded: Seeded) -> None:
    now = datetime.now(UTC)
    interactions = await _scalars(seeded.db, select(Interaction).order_by(Interaction.number))
    activity = Counter(await _scalars(seeded.db, select(Activity.interaction_id)))
    assert all(activity[i.id] >= 1 for i in interactions)
    outbox = await _scalars(seeded.db, select(OutboxEvent.type))
    assert len(outbox) > len(interactions)
    # Numbers follow creation time, as they would for real traffic.
    created = [i.created_at for i in interactions]
    assert created == sorted(created)
    assert now - timedelta(days=11) < created[0]
    assert created[-1] <= now
    transcripts: dict[uuid.UUID, list[Message]] = {}
    for message in await _scalars(seeded.db, select(Message).order_by(Message.seq)):
        transcripts.setdefault(message.interaction_id, []).append(message)
    for interaction in interactions:
        transcript = transcripts.get(interaction.id, [])
        assert [m.seq for m in transcript] == list(range(1, len(transcript) + 1))
        assert interaction.message_count == len(transcript)
        times = [m.created_at for m in transcript]
        assert times == sorted(times)
        assert all(interaction.created_at <= t <= now for t in times)


async def test_the_printed_text_tells_how_to_sign_in(seeded: Seeded) -> None:
    admin = next(u for u in USERS if u.role == Role.admin)
    assert f"{BASE_URL}/login" in seeded.text
    assert admin.email in seeded.text
    assert DEMO_PASSWORD in seeded.text
    assert "parley apikey create --org demo" in seeded.text
    assert all(u.email in seeded.text for u in USERS)


async def test_the_demo_password_signs_every_user_in(seeded: Seeded) -> None:
    hashes = await _scalars(
        seeded.db, select(User.password_hash).where(User.email.in_([u.email for u in USERS]))
    )
    passwords = Passwords.from_settings(seeded.settings)
    assert len(hashes) == len(USERS)
    assert all(passwords.verify(h, DEMO_PASSWORD) for h in hashes)
    assert not passwords.verify(hashes[0], "not-the-password")


async def test_seeding_again_changes_nothing(seeded: Seeded) -> None:
    before = await _row_counts(seeded.db)
    text = await seed_demo(seeded.settings, base_url=BASE_URL)
    assert await _row_counts(seeded.db) == before
    assert "already exists" in text
    assert DEMO_PASSWORD in text


async def test_a_failed_seed_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = await _fresh_settings(tmp_path)

    async def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    # Cloning happens late in the script, after most rows were written in the transaction.
    monkeypatch.setattr(seed_module, "do_clone_interaction", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await seed_demo(settings, base_url=BASE_URL)
    db = Database(settings.database_url)
    try:
        counts = await _row_counts(db)
    finally:
        await db.dispose()
    assert counts["organizations"] == counts["interactions"] == counts["users"] == 0


def test_the_scripts_are_checked_before_anything_is_written() -> None:
    check_conversations(CONVERSATIONS)
    first = CONVERSATIONS[0]
    stranger = dataclasses.replace(first, steps=(agent("nobody", "Hi!"),))
    with pytest.raises(ValueError, match="unknown keys"):
        check_conversations((stranger,))
    too_long = Conversation(
        ChannelKind.sms, "joe", ago(1), "Late", steps=(customer("Hi", 0), customer("Hi?", 120))
    )
    with pytest.raises(ValueError, match="into the future"):
        check_conversations((too_long,))
