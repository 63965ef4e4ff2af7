"""The widget's REST API against the live server: chats, messages, idempotency, isolation,
the chat lifecycle events, throttling and CORS. Every test makes its own webchat channel."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from parley.models import Message
from tests.factories import Tenant

API = "/api/v1"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


async def make_channel(tenant: Tenant, kind: str = "webchat", **config: Any) -> dict[str, Any]:
    response = await tenant.api.post(
        f"{API}/channels",
        json={
            "kind": kind,
            "name": f"{kind} channel",
            "config": config,
            "default_queue_id": str(tenant.queue.id),
        },
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def widget(channel: dict[str, Any]) -> str:
    return f"/widget/v1/{channel['id']}"


async def start(
    http: httpx.AsyncClient, channel: dict[str, Any], token: str | None = None, **body: Any
) -> dict[str, Any]:
    headers = {"User-Agent": FIREFOX, **({"X-Visitor-Token": token} if token else {})}
    response = await http.post(f"{widget(channel)}/chats", json=body, headers=headers)
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


async def say(
    http: httpx.AsyncClient,
    channel: dict[str, Any],
    chat: dict[str, Any],
    text: str,
    client_message_id: str | None = None,
    token: str | None = None,
) -> httpx.Response:
    body = {"text": text, **({"client_message_id": client_message_id} if client_message_id else {})}
    return await http.post(
        f"{widget(channel)}/chats/{chat['chat_id']}/messages",
        json=body,
        headers={"X-Visitor-Token": token or chat["visitor_token"]},
    )


async def interaction_of(tenant: Tenant, channel: dict[str, Any]) -> dict[str, Any]:
    page = (
        await tenant.api.get(f"{API}/interactions", params={"channel_id": channel["id"]})
    ).json()
    assert len(page["items"]) == 1, page
    found: dict[str, Any] = page["items"][0]
    return found


async def event_types(tenant: Tenant, interaction_id: str) -> list[str]:
    runs = (await tenant.api.get(f"{API}/interactions/{interaction_id}/flow-runs")).json()
    return [run["event_type"] for run in runs]


async def count_messages(tenant: Tenant, channel: dict[str, Any]) -> int:
    async with tenant.db.transaction() as session:
        channel_id = uuid.UUID(channel["id"])
        stmt = select(func.count()).select_from(Message).where(Message.channel_id == channel_id)
        return int((await session.execute(stmt)).scalar_one())


async def test_chat_started_then_responses_and_a_transcript_without_notes(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant)
    chat = await start(http, channel, url="https://shop.example/cart", title="Cart")
    said = await say(http, channel, chat, "Do you ship to Norway?", "m-1")
    assert said.status_code == 201, said.text
    assert said.json()["client_message_id"] == "m-1"
    interaction = await interaction_of(tenant, channel)
    assert interaction["communication_type"] == "chat"
    assert interaction["client"]["browser"].startswith("Firefox ")
    assert interaction["client"]["os"].startswith("Windows")
    assert interaction["client"]["country"] is None  # a loopback address has no country
    assert interaction["client"]["ip"] == "127.0.0.1"
    assert interaction["client"]["url"] == "https://shop.example/cart"
    assert await event_types(tenant, interaction["id"]) == ["chat_started", "response_received"]

    agent = tenant.agent.client
    base = f"{API}/interactions/{interaction['id']}"
    assert (await agent.post(f"{base}/notes", json={"text": "VIP, be nice"})).status_code == 201
    assert (await agent.post(f"{base}/messages", json={"text": "Yes we do!"})).status_code == 201
    transcript = await http.get(
        f"{widget(channel)}/chats/{chat['chat_id']}/messages",
        headers={"X-Visitor-Token": chat["visitor_token"]},
    )
    assert transcript.status_code == 200
    seen = [(m["role"], m["text"]) for m in transcript.json()]
    assert seen == [("customer", "Do you ship to Norway?"), ("agent", "Yes we do!")]
    assert "VIP" not in transcript.text
    assert set(transcript.json()[1]) == {
        "id",
        "seq",
        "role",
        "author_name",
        "text",
        "created_at",
        "delivery_status",
        "client_message_id",
        "attachments",
    }


async def test_client_message_id_retries_are_stored_once(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant)
    chat = await start(http, channel)
    first = await say(http, channel, chat, "Hello?", "retry-1")
    again = await say(http, channel, chat, "Hello?", "retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    burst = await asyncio.gather(*(say(http, channel, chat, "Anyone?", "burst") for _ in range(5)))
    assert all(r.status_code in (200, 201) for r in burst), [r.text for r in burst]
    assert len({r.json()["id"] for r in burst}) == 1
    assert sorted(r.status_code for r in burst) == [200, 200, 200, 200, 201]
    reused = await say(http, channel, chat, "Something else", "retry-1")
    assert reused.status_code == 422
    # chat started + two visitor messages
    assert await count_messages(tenant, channel) == 3


async def test_another_visitor_cannot_read_or_write_the_chat(
    tenant: Tenant, other_tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant)
    other_channel = await make_channel(tenant)
    foreign_channel = await make_channel(other_tenant)
    mine = await start(http, channel)
    await say(http, channel, mine, "my order is 1234", "a")
    theirs = await start(http, channel)
    elsewhere = await start(http, other_channel)
    foreign = await start(http, foreign_channel)
    before = await count_messages(tenant, channel)
    path = f"{widget(channel)}/chats/{mine['chat_id']}"

    async def attempts(token: str | None) -> list[int]:
        headers = {"X-Visitor-Token": token} if token else {}
        return [
            (await http.get(f"{path}/messages", headers=headers)).status_code,
            (await http.post(f"{path}/messages", json={"text": "x"}, headers=headers)).status_code,
            (await http.post(f"{path}/end", headers=headers)).status_code,
            (await http.post(f"{path}/survey", json={"rating": 1}, headers=headers)).status_code,
        ]

    assert await attempts(theirs["visitor_token"]) == [404, 404, 404, 404]
    assert await attempts(elsewhere["visitor_token"]) == [403, 403, 403, 403]
    assert await attempts(foreign["visitor_token"]) == [403, 403, 403, 403]
    assert await attempts(mine["visitor_token"][:-2] + "xx") == [403, 403, 403, 403]
    assert await attempts(None) == [401, 401, 401, 401]
    # Another visitor's token cannot start a chat as them elsewhere either.
    refused = await http.post(
        f"{widget(channel)}/chats", headers={"X-Visitor-Token": elsewhere["visitor_token"]}
    )
    assert refused.status_code == 403
    assert await count_messages(tenant, channel) == before


async def test_returning_visitor_keeps_their_identity(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant)
    first = await start(http, channel)
    second = await start(http, channel, token=first["visitor_token"])
    # The open interaction is found again (Gnatta's find-or-create); both chats work for them.
    interaction = await interaction_of(tenant, channel)
    assert await event_types(tenant, interaction["id"]) == ["chat_started", "chat_started"]
    assert (await say(http, channel, second, "back again", "b")).status_code == 201
    assert (
        await say(http, channel, first, "and here", "c", token=second["visitor_token"])
    ).is_success


async def test_end_and_survey_are_recorded_once(tenant: Tenant, http: httpx.AsyncClient) -> None:
    channel = await make_channel(tenant)
    chat = await start(http, channel)
    await say(http, channel, chat, "thanks, bye", "1")
    # An agent took the chat, so its end is the end of a handled chat (not an abandoned one).
    taken = await interaction_of(tenant, channel)
    await tenant.agent.client.post(f"{API}/interactions/{taken['id']}/claim")
    headers = {"X-Visitor-Token": chat["visitor_token"]}
    path = f"{widget(channel)}/chats/{chat['chat_id']}"
    ended = await http.post(f"{path}/end", headers=headers)
    assert ended.status_code == 200 and ended.json() == {"recorded": True, "duplicate": False}
    assert (await http.post(f"{path}/end", headers=headers)).json()["duplicate"] is True
    late = await say(http, channel, chat, "one more thing", "2")
    assert late.status_code == 409
    rated = await http.post(
        f"{path}/survey", json={"rating": 4, "comment": "quick and kind"}, headers=headers
    )
    assert rated.status_code == 200, rated.text
    bad = await http.post(f"{path}/survey", json={"rating": 6}, headers=headers)
    assert bad.status_code == 422
    interaction = await interaction_of(tenant, channel)
    assert await event_types(tenant, interaction["id"]) == [
        "chat_started",
        "response_received",
        "chat_ended",
        "chat_survey_completed",
    ]
    async with tenant.db.transaction() as session:
        survey = (
            await session.execute(
                select(Message).where(
                    Message.channel_id == uuid.UUID(channel["id"]),
                    Message.provider_message_id == f"{chat['chat_id']}#survey",
                )
            )
        ).scalar_one()
    assert survey.meta["data"]["rating"] == 4
    assert "quick and kind" in survey.text


async def test_chat_creation_is_throttled_per_ip(tenant: Tenant, http: httpx.AsyncClient) -> None:
    channel = await make_channel(tenant)
    for _ in range(10):
        await start(http, channel)
    refused = await http.post(f"{widget(channel)}/chats", headers={"Origin": "https://a.example"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # The widget can read the refusal: errors carry the CORS headers too.
    assert refused.headers["access-control-allow-origin"] == "*"
    assert "Retry-After" in refused.headers["access-control-expose-headers"]
    # Another channel has its own window.
    await start(http, await make_channel(tenant))


async def test_cors_is_for_widget_routes_and_allowed_origins_only(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    open_channel = await make_channel(tenant)
    preflight_headers = {
        "Origin": "https://anyone.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-visitor-token",
    }
    preflight = await http.options(f"{widget(open_channel)}/chats", headers=preflight_headers)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "x-visitor-token" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers

    shop = await make_channel(tenant, allowed_origins=["https://shop.example"])
    ok = await http.options(
        f"{widget(shop)}/chats", headers={**preflight_headers, "Origin": "https://shop.example"}
    )
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "https://shop.example"
    evil = await http.post(f"{widget(shop)}/chats", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert "access-control-allow-origin" not in evil.headers
    started = await http.post(f"{widget(shop)}/chats", headers={"Origin": "https://shop.example"})
    assert started.status_code == 201
    assert started.headers["access-control-allow-origin"] == "https://shop.example"

    api = await http.get(f"{API}/interactions", headers={"Origin": "https://anyone.example"})
    assert "access-control-allow-origin" not in api.headers
    unknown = await http.post("/widget/v1/00000000-0000-0000-0000-000000000000/chats")
    assert unknown.status_code == 404


async def test_a_chat_ended_while_waiting_is_abandoned(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant)
    chat = await start(http, channel)
    await say(http, channel, chat, "anyone there?", "1")
    headers = {"X-Visitor-Token": chat["visitor_token"]}
    ended = await http.post(f"{widget(channel)}/chats/{chat['chat_id']}/end", headers=headers)
    assert ended.status_code == 200
    interaction = await interaction_of(tenant, channel)
    # Nobody came: the work is abandoned, closed, and no longer offered to agents.
    assert interaction["abandoned_at"] is not None
    assert (interaction["state"], interaction["outcome"], interaction["disposition"]) == (
        "completed",
        "unresolved",
        "abandoned",
    )
    feed = (await tenant.api.get(f"{API}/interactions/{interaction['id']}/activity")).json()
    assert "abandoned" in [a["kind"] for a in feed]
    metrics = (await tenant.api.get(f"{API}/queues/{tenant.queue.id}/metrics")).json()
    assert metrics["abandoned"] >= 1 and metrics["waiting"] == 0
