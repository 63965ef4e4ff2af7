"""The widget's additions: config, typing both ways, files with signed URLs, the end of a chat,
who else is viewing an interaction, and the demo shop page."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection, connect

from parley.channels.webchat.fileurls import signature
from parley.config import Settings
from parley.db.migrate import upgrade
from parley.demo.seed import DEMO_SLUG, seed_demo
from parley.models import Channel, Organization, StoredFile
from parley.realtime.viewers import TypingGate, ViewerTracker
from parley.security.auth import SESSION_COOKIE
from tests.conftest import LiveServer, settings_for
from tests.factories import Person, Tenant
from tests.test_webchat_api import API, interaction_of, make_channel, say, start, widget
from tests.test_webchat_stream import claimed, ws_url

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40


@asynccontextmanager
async def console(server: LiveServer, person: Person) -> AsyncIterator[ClientConnection]:
    token = person.client.cookies[SESSION_COOKIE]
    url = server.url.replace("http://", "ws://") + "/api/v1/events"
    async with connect(url, additional_headers={"Cookie": f"{SESSION_COOKIE}={token}"}) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        yield ws


async def until(ws: ClientConnection, predicate: Any, within: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            event = json.loads(await ws.recv())
            if predicate(event):
                return event  # type: ignore[no-any-return]


async def nothing(ws: ClientConnection, predicate: Any, within: float = 1.0) -> None:
    with pytest.raises(TimeoutError):
        await until(ws, predicate, within)


def typing(role: str, on: bool) -> Any:
    return lambda e: e.get("type") == "typing" and e["role"] == role and e["typing"] is on


async def upload(
    http: httpx.AsyncClient,
    channel: dict[str, Any],
    chat: dict[str, Any],
    name: str,
    data: bytes,
    client_id: str,
    kind: str = "application/octet-stream",
) -> httpx.Response:
    return await http.post(
        f"{widget(channel)}/chats/{chat['chat_id']}/files",
        files={"file": (name, data, kind)},
        data={"client_message_id": client_id},
        headers={"X-Visitor-Token": chat["visitor_token"]},
    )


async def test_config_gives_the_channels_words(tenant: Tenant, http: httpx.AsyncClient) -> None:
    channel = await make_channel(
        tenant, widget_title="Help desk", greeting="<b>Hi</b>", color="#123456", position="left"
    )
    config = (await http.get(f"{widget(channel)}/config")).json()
    assert config["title"] == "Help desk" and config["greeting"] == "<b>Hi</b>"
    assert config["color"] == "#123456" and config["position"] == "left"
    assert 0 < config["max_upload_bytes"] <= 65_536


async def test_typing_reaches_agents_and_the_visitor(
    tenant: Tenant, http: httpx.AsyncClient, live_server: LiveServer
) -> None:
    channel = await make_channel(tenant)
    chat = await start(http, channel)
    await say(http, channel, chat, "hello", "h1")
    await claimed(tenant, channel)
    interaction = await interaction_of(tenant, channel)
    async with (
        console(live_server, tenant.agent) as agent,
        connect(ws_url(live_server, channel, chat)) as visitor,
    ):
        await until(visitor, lambda e: e["type"] == "ready")
        for on in (True, True, True, False):  # the repeats within 2 s are not published
            await visitor.send(json.dumps({"type": "typing", "typing": on}))
        seen = await until(agent, typing("customer", True))
        assert seen["interaction_id"] == interaction["id"] and "id" not in seen
        await until(agent, typing("customer", False))
        await nothing(agent, lambda e: e.get("type") == "typing", 0.8)

        frame = {"type": "typing", "interaction_id": interaction["id"], "typing": True}
        await agent.send(json.dumps(frame))
        shown = await until(visitor, lambda e: e["type"] == "typing")
        assert shown == {"type": "typing", "role": "agent", "name": "Agent 1", "typing": True}
        # Garbage and other people's interactions are ignored, the socket stays up.
        await agent.send("not json")
        await agent.send(json.dumps({"type": "typing", "interaction_id": str(uuid.uuid4())}))
        await agent.send(json.dumps({**frame, "typing": False}))
        assert (await until(visitor, lambda e: e["type"] == "typing"))["typing"] is False


def test_typing_gate_publishes_a_true_per_interval_and_a_false_only_after_a_true() -> None:
    now = [100.0]
    gate = TypingGate(now=lambda: now[0])
    assert gate.allow("i", False) is False
    assert gate.allow("i", True) is True
    assert gate.allow("i", True) is False
    now[0] += 2.5
    assert gate.allow("i", True) is True
    assert gate.allow("i", False) is True
    assert gate.allow("i", False) is False


async def test_an_upload_is_stored_once_and_served_by_a_signed_url(
    tenant: Tenant,
    other_tenant: Tenant,
    http: httpx.AsyncClient,
    live_server: LiveServer,
    settings: Settings,
) -> None:
    channel = await make_channel(tenant)
    chat = await start(http, channel)
    async with connect(ws_url(live_server, channel, chat)) as visitor:
        await until(visitor, lambda e: e["type"] == "ready")
        sent = await upload(http, channel, chat, "../receipt.png", PNG, "file-1", "text/html")
        assert sent.status_code == 201, sent.text
        live = await until(visitor, lambda e: e["type"] == "message.created")
    message = sent.json()
    [attachment] = message["attachments"]
    assert attachment["name"] == "receipt.png" and attachment["content_type"] == "image/png"
    assert live["message"]["attachments"][0]["file_id"] == attachment["file_id"]
    again = await upload(http, channel, chat, "receipt.png", PNG, "file-1")
    assert again.status_code == 200 and again.json()["id"] == message["id"]
    async with tenant.db.transaction() as session:
        stmt = select(func.count()).where(StoredFile.organization_id == tenant.org.id)
        assert (await session.execute(stmt)).scalar_one() == 1

    served = await http.get(attachment["url"])
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers.get_list("content-security-policy")[0]
    assert served.headers["content-disposition"].startswith("inline;")
    transcript = await http.get(
        f"{widget(channel)}/chats/{chat['chat_id']}/messages",
        headers={"X-Visitor-Token": chat["visitor_token"]},
    )
    assert transcript.json()[0]["attachments"][0]["url"].startswith(f"{widget(channel)}/files/")

    # Forged, expired, or replayed against another tenant's channel: 404 alike.
    path, query = attachment["url"].split("?")
    params = dict(p.split("=") for p in query.split("&"))
    forged = await http.get(path, params={**params, "sig": "0" * 64})
    theirs = await make_channel(other_tenant)
    elsewhere = await http.get(attachment["url"].replace(channel["id"], theirs["id"]))
    async with tenant.db.transaction() as session:
        row = await session.get(Channel, uuid.UUID(channel["id"]))
        assert row is not None
        past = int(time.time()) - 10
        old = {"expires": str(past), "sig": signature(settings, row, attachment["file_id"], past)}
    expired = await http.get(path, params=old)
    assert [forged.status_code, elsewhere.status_code, expired.status_code] == [404, 404, 404]

    interaction = await interaction_of(tenant, channel)
    messages = (await tenant.api.get(f"{API}/interactions/{interaction['id']}/messages")).json()
    stored = [m for m in messages if m["attachments"]]
    assert stored[0]["attachments"][0]["storage_key"] == attachment["file_id"]


async def test_markup_and_oversized_files_are_refused(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant, max_upload_bytes=1000)
    chat = await start(http, channel)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert (await upload(http, channel, chat, "a.png", svg, "s", "image/png")).status_code == 422
    html = b"  <html><body onload=alert(1)>"
    assert (await upload(http, channel, chat, "a.txt", html, "h")).status_code == 422
    assert (await upload(http, channel, chat, "big.txt", b"x" * 2000, "b")).status_code == 413
    text = await upload(http, channel, chat, "notes.txt", "caf\u00e9 order 42".encode(), "t")
    assert text.status_code == 201, text.text
    served = await http.get(text.json()["attachments"][0]["url"])
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment;")


async def test_the_visitor_learns_that_the_interaction_ended(
    tenant: Tenant, http: httpx.AsyncClient, live_server: LiveServer
) -> None:
    channel = await make_channel(tenant)
    chat = await start(http, channel)
    await say(http, channel, chat, "thanks", "t1")
    base = await claimed(tenant, channel)
    async with connect(ws_url(live_server, channel, chat)) as visitor:
        await until(visitor, lambda e: e["type"] == "ready")
        done = await tenant.agent.client.post(f"{base}/complete", json={"outcome": "resolved"})
        assert done.status_code == 200, done.text
        ended = await until(visitor, lambda e: e["type"] == "chat.ended")
    assert set(ended) == {"id", "type"}


async def test_agents_see_who_else_is_viewing(tenant: Tenant, live_server: LiveServer) -> None:
    shared = await tenant.create_interaction()
    billing = await tenant.create_interaction(queue_id=str(tenant.queue2.id))

    def changed(viewers: list[str]) -> Any:
        return lambda e: (
            e.get("type") == "viewers.changed" and [v["name"] for v in e["viewers"]] == viewers
        )

    async with console(live_server, tenant.agent) as one:
        await one.send(json.dumps({"type": "viewing", "interaction_id": shared["id"]}))
        first = await until(one, lambda e: e.get("type") == "viewers.changed")
        assert first == {"type": "viewers.changed", "interaction_id": shared["id"], "viewers": []}
        async with console(live_server, tenant.agent2) as two:
            await two.send(json.dumps({"type": "viewing", "interaction_id": shared["id"]}))
            await until(two, changed(["Agent 1"]))
            seen = await until(one, changed(["Agent 2"]))
            assert seen["viewers"][0]["user_id"] == str(tenant.agent2.user.id)
        await until(one, changed([]))
        # An interaction this agent may not see: the frame is ignored.
        await one.send(json.dumps({"type": "viewing", "interaction_id": billing["id"]}))
        await nothing(one, lambda e: e.get("interaction_id") == billing["id"])


def test_viewer_tracker_forgets_the_silent() -> None:
    me = ViewerTracker("c1", "u1", "One", viewing="i")
    hello = {"connection": "c2", "user_id": "u2", "name": "Two", "interaction_id": "i"}
    assert me.heard({**hello, "hello": True}, now=0) is True  # answer a newcomer
    assert me.heard(hello, now=1) is False
    assert me.change() == {
        "type": "viewers.changed",
        "interaction_id": "i",
        "viewers": [{"user_id": "u2", "name": "Two"}],
    }
    assert me.change() is None
    me.heard({"connection": "c3", "user_id": "u1", "name": "One", "interaction_id": "i"}, now=1)
    assert me.change() is None  # my own other tab is not "someone else"
    me.prune(now=100)
    assert me.change() == {"type": "viewers.changed", "interaction_id": "i", "viewers": []}


async def test_demo_shop_page_appears_with_the_demo(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    await upgrade(url)
    settings: Settings = settings_for(url)
    server = LiveServer(settings)
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.get("/demo/shop")).status_code == 404
            await seed_demo(settings, base_url=server.url)
            page = await client.get("/demo/shop")
            script = await client.get("/widget.js")
            await seed_demo(settings, base_url=server.url)  # again: nothing changes
            assert (await client.get("/demo/shop")).text == page.text
    finally:
        server.stop()
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    async with server_db(url) as session:
        stmt = (
            select(Channel)
            .join(Organization, Organization.id == Channel.organization_id)
            .where(Organization.slug == DEMO_SLUG, Channel.kind == "webchat")
        )
        channel = (await session.execute(stmt)).scalar_one()
    assert channel.secrets["webhook_secret"]
    assert f'data-channel="{channel.id}"' in page.text and 'src="/widget.js"' in page.text
    assert script.headers["content-type"].startswith("text/javascript")
    assert "textContent" in script.text and "innerHTML" not in script.text


@asynccontextmanager
async def server_db(url: str) -> AsyncIterator[Any]:
    from parley.db.engine import Database

    db = Database(url)
    try:
        async with db.transaction() as session:
            yield session
    finally:
        await db.dispose()
