"""Alembic, driven from Python so `parley migrate`, `parley serve` and the tests share one path."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from parley.db.engine import make_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def include_name(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Alembic's filter: leave out objects the ORM does not describe, listed by the models in
    ``Base.metadata.info["unmanaged"]`` (a full-text table, column or index and, on SQLite, the
    FTS5 shadow tables named after their table)."""
    from parley.db.base import Base

    unmanaged: set[str] = Base.metadata.info.get("unmanaged", set())
    if name is None:
        return True
    if type_ == "table":
        return not any(name == u or name.startswith(f"{u}_") for u in unmanaged)
    return name not in unmanaged


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _upgrade(connection: Connection, url: str, revision: str) -> None:
    cfg = alembic_config(url)
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``; a no-op when it is already there."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_upgrade, url, revision)
            await conn.commit()
    finally:
        await engine.dispose()


async def pending(url: str) -> bool:
    """True when the database is behind the newest migration."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(_current)
    finally:
        await engine.dispose()
    return current != head


def upgrade_sync(url: str, revision: str = "head") -> None:
    asyncio.run(upgrade(url, revision))
