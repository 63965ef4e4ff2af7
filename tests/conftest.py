"""Fixtures: every storage test runs on SQLite and on PostgreSQL, against a live HTTP server.

PostgreSQL is required, never skipped: a throwaway database is created for the run on
``PARLEY_TEST_PG_URL`` (default: the local server) and dropped afterwards.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn

from parley.app import create_app
from parley.config import Settings
from parley.db.engine import Database
from parley.db.migrate import upgrade
from tests.factories import Tenant, make_tenant
from tests.providers import RunningSandbox, Sandbox

PG_ADMIN_URL = os.environ.get("PARLEY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def settings_for(database_url: str, sandbox: Sandbox | None = None) -> Settings:
    """Test settings: cheap hashing, and every provider pointed at the local sandbox."""
    provider = sandbox.url if sandbox else "http://127.0.0.1:9"
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789",
        argon2_time_cost=1,
        argon2_memory_kib=8,
        max_body_bytes=65_536,
        smtp_port=_free_port(),
        email_domain="parley.test",
        smtp_relay_url=f"smtp://127.0.0.1:{sandbox.smtp_port if sandbox else 9}",
        twilio_api_url=f"{provider}/twilio",
        meta_graph_url=f"{provider}/meta/v21.0",
        webhooks_allow_private=True,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def provider_sandbox() -> Iterator[RunningSandbox]:
    running = RunningSandbox()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def sandbox(provider_sandbox: RunningSandbox) -> Sandbox:
    """What the providers received (Twilio, Meta, SMTP, webhook receivers) and will answer."""
    return provider_sandbox.sandbox


async def _create_pg_database() -> tuple[str, str]:
    name = f"parley_test_{uuid.uuid4().hex[:10]}"
    try:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL is required for the test suite and is not reachable at {PG_ADMIN_URL}: "
            f"{exc}. Start it with scripts/services.",
            pytrace=False,
        )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return name, f"{base}/{name}"


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated, empty database of each kind, shared by the tests of one backend."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "parley.db"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade(url)
        yield url
        return
    name, url = await _create_pg_database()
    try:
        await upgrade(url)
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture(scope="session")
def settings(database_url: str, provider_sandbox: RunningSandbox) -> Settings:
    return settings_for(database_url, provider_sandbox.sandbox)


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer:
    """Parley on a real socket, served by uvicorn in a thread with its own event loop."""

    def __init__(self, settings: Settings) -> None:
        self.sock = _free_socket()
        host, port = self.sock.getsockname()
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.fixture
async def tenant(db: Database, live_server: LiveServer) -> AsyncIterator[Tenant]:
    """A fresh organization with people, a queue, a contact and clients for each of them."""
    async with make_tenant(db, live_server.url) as t:
        yield t


@pytest.fixture
async def other_tenant(db: Database, live_server: LiveServer) -> AsyncIterator[Tenant]:
    async with make_tenant(db, live_server.url) as t:
        yield t
