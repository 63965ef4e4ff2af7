"""Migrations run on both backends, are idempotent, and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

import parley.models  # noqa: F401
from parley.db.base import Base
from parley.db.engine import Database
from parley.db.migrate import include_name, pending, upgrade


def _diff(connection: Connection) -> list[object]:
    opts = {"compare_type": True, "include_name": include_name}
    context = MigrationContext.configure(connection, opts=opts)
    return list(compare_metadata(context, Base.metadata))


async def test_schema_matches_models(db: Database, database_url: str) -> None:
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
    assert await pending(database_url) is False


async def test_upgrade_twice_is_harmless(database_url: str) -> None:
    await upgrade(database_url)
    await upgrade(database_url)
    assert await pending(database_url) is False
