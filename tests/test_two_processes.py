"""Two real ``parley serve`` processes on one PostgreSQL database and one Redis: what happens on
one reaches the live clients of the other (events, widget replies, typing, viewers).

The processes are started here and always killed, whatever the outcome; their output is shown
when they fail to start.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect

from parley.db.engine import Database
from parley.db.migrate import upgrade
from parley.security.auth import SESSION_COOKIE
from tests.conftest import _create_pg_database, _drop_pg_database, _free_port
from tests.factories import Person, Tenant, make_tenant

REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
PARLEY = Path(sys.executable).with_name("parley")


@dataclass
class Process:
    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://")


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(
        PARLEY_DATABASE_URL=database_url,
        PARLEY_REDIS_URL=REDIS_URL,
        PARLEY_SECRET_KEY="two-processes-secret-key-0123456789",
        PARLEY_SMTP_PORT="0",
        PARLEY_ARGON2_TIME_COST="1",
        PARLEY_ARGON2_MEMORY_KIB="8",
        PARLEY_LOG_LEVEL="warning",
    )
    return env


def _start(name: str, database_url: str, directory: Path) -> Process:
    port = _free_port()
    log = directory / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [str(PARLEY), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=_env(database_url),
            cwd=directory,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Process(name, f"http://127.0.0.1:{port}", popen, log)


def _stop(process: Process) -> None:
    if process.popen.poll() is None:
        process.popen.terminate()
        try:
            process.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait(timeout=10)


async def _healthy(process: Process, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                pytest.fail(f"{process.name} exited:\n{process.output()}", pytrace=False)
            try:
                if (await client.get(process.url + "/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    pytest.fail(f"{process.name} did not become healthy:\n{process.output()}", pytrace=False)


@pytest.fixture(scope="module")
def redis_up() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"the two-process test needs Redis at {REDIS_URL}: {exc}", pytrace=False)
    finally:
        client.close()


@pytest.fixture
async def pair(redis_up: None, tmp_path: Path) -> AsyncIterator[tuple[Process, Process, str]]:
    name, url = await _create_pg_database()
    started: list[Process] = []
    try:
        await upgrade(url)
        started = [_start("A", url, tmp_path), _start("B", url, tmp_path)]
        for process in started:
            await _healthy(process)
        yield started[0], started[1], url
    finally:
        for process in started:
            _stop(process)
        await _drop_pg_database(name)


@pytest.fixture
async def world(
    pair: tuple[Process, Process, str],
) -> AsyncIterator[tuple[Process, Process, Tenant]]:
    a, b, url = pair
    db = Database(url)
    try:
        async with make_tenant(db, a.url) as tenant:
            yield a, b, tenant
    finally:
        await db.dispose()


def _cookie(person: Person) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={person.client.cookies[SESSION_COOKIE]}"}


async def until(ws: ClientConnection, predicate: Any, within: float = 15) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            event = json.loads(await ws.recv())
            if predicate(event):
                return event  # type: ignore[no-any-return]


def says(text: str) -> Any:
    return lambda e: e.get("type") == "message.created" and e["message"]["text"] == text


async def test_what_one_process_ingests_reaches_the_others_clients(
    world: tuple[Process, Process, Tenant],
) -> None:
    a, b, tenant = world
    on_b = {"Authorization": f"Bearer {tenant.api_key}"}
    async with (
        httpx.AsyncClient(base_url=b.url, headers=on_b, timeout=30) as api_b,
        httpx.AsyncClient(base_url=b.url, timeout=30) as visitor_b,
        httpx.AsyncClient(
            base_url=b.url,
            cookies=tenant.agent.client.cookies,
            timeout=30,
            headers={"X-CSRF-Token": tenant.agent.client.headers["X-CSRF-Token"]},
        ) as agent_b,
        connect(a.ws + "/api/v1/events", additional_headers=_cookie(tenant.agent)) as agent_a,
    ):
        assert json.loads(await agent_a.recv())["type"] == "ready"
        # 1. Through B's REST API.
        created = await api_b.post(
            "/api/v1/interactions",
            json={
                "communication_type": "chat",
                "queue_id": str(tenant.queue.id),
                "contact_id": str(tenant.contact.id),
                "subject": "Two processes",
                "text": "ingested by B",
            },
        )
        assert created.status_code == 201, created.text
        await until(agent_a, says("ingested by B"))

        # 2. Through B's web chat API.
        channel = await api_b.post(
            "/api/v1/channels",
            json={"kind": "webchat", "name": "chat", "default_queue_id": str(tenant.queue.id)},
        )
        assert channel.status_code == 201, channel.text
        widget = f"/widget/v1/{channel.json()['id']}"
        chat = (await visitor_b.post(f"{widget}/chats", json={})).json()
        token = {"X-Visitor-Token": chat["visitor_token"]}
        sent = await visitor_b.post(
            f"{widget}/chats/{chat['chat_id']}/messages",
            json={"text": "typed into the widget on B", "client_message_id": "w1"},
            headers=token,
        )
        assert sent.status_code == 201, sent.text
        event = await until(agent_a, says("typed into the widget on B"))
        interaction_id = event["interaction"]["id"]

        # 3. A widget connected to A hears the agent's reply posted through B, and their typing.
        ws_path = f"{widget}/chats/{chat['chat_id']}/ws?token={chat['visitor_token']}"
        async with connect(a.ws + ws_path) as widget_a:
            await until(widget_a, lambda e: e["type"] == "ready")
            base = f"/api/v1/interactions/{interaction_id}"
            assert (await agent_b.post(f"{base}/claim")).status_code == 200
            reply = await agent_b.post(f"{base}/messages", json={"text": "answered on B"})
            assert reply.status_code == 201, reply.text
            await until(widget_a, says("answered on B"))
            async with connect(
                b.ws + "/api/v1/events", additional_headers=_cookie(tenant.agent)
            ) as console_b:
                await until(console_b, lambda e: e["type"] == "ready")
                await widget_a.send(json.dumps({"type": "typing", "typing": True}))
                typing = await until(console_b, lambda e: e.get("type") == "typing")
                assert typing["role"] == "customer" and typing["interaction_id"] == interaction_id


async def test_agents_on_different_processes_see_each_other_viewing(
    world: tuple[Process, Process, Tenant],
) -> None:
    a, b, tenant = world
    shared = await tenant.create_interaction()
    viewing = json.dumps({"type": "viewing", "interaction_id": shared["id"]})

    def others(names: list[str]) -> Any:
        return lambda e: (
            e.get("type") == "viewers.changed" and [v["name"] for v in e["viewers"]] == names
        )

    async with connect(a.ws + "/api/v1/events", additional_headers=_cookie(tenant.agent)) as one:
        await until(one, lambda e: e["type"] == "ready")
        await one.send(viewing)
        await until(one, others([]))
        async with connect(
            b.ws + "/api/v1/events", additional_headers=_cookie(tenant.agent2)
        ) as two:
            await until(two, lambda e: e["type"] == "ready")
            await two.send(viewing)
            await until(two, others(["Agent 1"]))
            await until(one, others(["Agent 2"]))
        await until(one, others([]))
