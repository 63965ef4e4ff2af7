"""The event stream WebSocket: live events, resume from the last id, explicit reload, isolation."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from parley.security.auth import SESSION_COOKIE
from tests.conftest import LiveServer
from tests.factories import Tenant


def _ws_url(server: LiveServer, query: str = "") -> str:
    return server.url.replace("http://", "ws://") + "/api/v1/events" + query


def _bearer(tenant: Tenant) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant.api_key}"}


async def _until(ws: ClientConnection, predicate: Any, within: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            event = json.loads(await ws.recv())
            if predicate(event):
                return event  # type: ignore[no-any-return]


async def test_live_events_reach_the_organization_only(
    tenant: Tenant, other_tenant: Tenant, live_server: LiveServer
) -> None:
    async with (
        connect(_ws_url(live_server), additional_headers=_bearer(tenant)) as mine,
        connect(_ws_url(live_server), additional_headers=_bearer(other_tenant)) as theirs,
    ):
        assert json.loads(await mine.recv())["type"] == "ready"
        assert json.loads(await theirs.recv())["type"] == "ready"
        created = await tenant.create_interaction(subject="Live one")
        event = await _until(mine, lambda e: e["type"] == "message.created")
        assert event["interaction"]["id"] == created["id"]
        assert event["message"]["text"] == "Hi, my parcel has not arrived."
        # The other organization's stream stays silent about it.
        with pytest.raises(TimeoutError):
            await _until(theirs, lambda e: e.get("interaction", {}).get("id") == created["id"], 1.5)


async def test_resume_replays_what_was_missed(tenant: Tenant, live_server: LiveServer) -> None:
    async with connect(_ws_url(live_server), additional_headers=_bearer(tenant)) as ws:
        await ws.recv()
        first = await tenant.create_interaction(subject="before the cut")
        last = await _until(ws, lambda e: e["type"] == "message.created")
    # Disconnected: other people keep working.
    missed = await tenant.create_interaction(subject="while away")
    await tenant.agent.client.post(f"/api/v1/interactions/{missed['id']}/claim")
    await asyncio.sleep(0.5)  # let the relay publish
    query = f"?last_event_id={last['id']}"
    async with connect(_ws_url(live_server, query), additional_headers=_bearer(tenant)) as ws:
        replayed = []
        while True:
            event = json.loads(await ws.recv())
            if event["type"] == "ready":
                break
            replayed.append(event)
    # Analytics (a message's sentiment) runs after commit and may land anywhere in between.
    later = [e for e in replayed if e["type"] == "message.updated"]
    replayed = [e for e in replayed if e["type"] != "message.updated"]
    assert [e["type"] for e in replayed] == [
        "interaction.created",
        "message.created",
        "interaction.claimed",
    ]
    assert all(e["interaction"]["id"] == missed["id"] for e in replayed)
    assert all(e["interaction_id"] in (first["id"], missed["id"]) for e in later)
    assert first["id"] != missed["id"]


async def test_unknown_resume_point_says_reload(tenant: Tenant, live_server: LiveServer) -> None:
    query = "?last_event_id=01a1fb4c-e70f-7fcf-90c4-446b2ae79b62"
    async with connect(_ws_url(live_server, query), additional_headers=_bearer(tenant)) as ws:
        first = json.loads(await ws.recv())
    assert first["type"] == "reload"


async def test_another_organizations_event_id_is_not_a_resume_point(
    tenant: Tenant, other_tenant: Tenant, live_server: LiveServer
) -> None:
    async with connect(_ws_url(live_server), additional_headers=_bearer(other_tenant)) as ws:
        await ws.recv()
        await other_tenant.create_interaction()
        theirs = await _until(ws, lambda e: e["type"] == "message.created")
    query = f"?last_event_id={theirs['id']}"
    async with connect(_ws_url(live_server, query), additional_headers=_bearer(tenant)) as ws:
        assert json.loads(await ws.recv())["type"] == "reload"


async def test_session_cookie_works_from_our_origin_only(
    tenant: Tenant, live_server: LiveServer
) -> None:
    token = tenant.agent.client.cookies[SESSION_COOKIE]
    host = live_server.url.split("://", 1)[1]
    cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}
    async with connect(
        _ws_url(live_server),
        additional_headers=cookie,
        origin=f"http://{host}",  # type: ignore[arg-type]
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            _ws_url(live_server),
            additional_headers=cookie,
            origin="http://evil.example",  # type: ignore[arg-type]
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_no_credentials_no_stream(live_server: LiveServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(_ws_url(live_server)):
            pass
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        async with connect(
            _ws_url(live_server), additional_headers={"Authorization": "Bearer nope"}
        ):
            pass


async def test_an_agent_hears_only_about_work_they_may_see(
    tenant: Tenant, live_server: LiveServer
) -> None:
    """The same rule as the REST API: agent 1 works Support, not Billing."""
    token = tenant.agent.client.cookies[SESSION_COOKIE]
    host = live_server.url.split("://", 1)[1]
    async with connect(
        _ws_url(live_server),
        additional_headers={"Cookie": f"{SESSION_COOKIE}={token}"},
        origin=f"http://{host}",  # type: ignore[arg-type]
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        billing = await tenant.create_interaction(subject="Refund", queue_id=str(tenant.queue2.id))
        support = await tenant.create_interaction(subject="Parcel")
        seen: list[dict[str, Any]] = []
        event = await _until(
            ws,
            lambda e: seen.append(e) or e.get("interaction", {}).get("id") == support["id"],
        )
        assert event["interaction"]["subject"] == "Parcel"
        assert all(e.get("interaction", {}).get("id") != billing["id"] for e in seen)
        # The agent's own presence changes are organization-wide: they arrive.
        await tenant.agent.client.put("/api/v1/me/presence", json={"presence": "available"})
        changed = await _until(ws, lambda e: e["type"] == "agent.presence_changed")
        assert changed["agent"]["user_id"] == str(tenant.agent.user.id)
