"""WhatsApp end to end over real HTTP, and provider-webhook-dedupe-and-order (RELIABILITY.md)."""

from __future__ import annotations

import asyncio
import copy
import json
import random
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import LiveServer
from tests.factories import Tenant
from tests.providers import Sandbox
from tests.providers.meta import (
    MetaChannel,
    make_channel,
    message_when,
    payloads,
    reply_as_agent,
    stored,
)

WA = "whatsapp_cloud"
MESSAGE_FILES = (
    "message",
    "callback_button",
    "callback_selection",
    "flow_completion",
    "call_permission_update",
    "system",
    "deleted_message",
    "edited_message",
)


async def _until(ws: ClientConnection, predicate: Any, within: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            event = json.loads(await ws.recv())
            if predicate(event):
                return event  # type: ignore[no-any-return]


def _status(variant: str, wamid: str) -> dict[str, Any]:
    """A recorded status body, about one of our messages."""
    body: dict[str, Any] = copy.deepcopy(payloads(f"{WA}/message_status.json")[variant])
    body["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid
    return body


def _customer_reply(wamid: str, quoting: str, text: str) -> dict[str, Any]:
    """The recorded reply shape: a new wamid, quoting one of our messages."""
    body: dict[str, Any] = copy.deepcopy(payloads(f"{WA}/message.json")["reply"])
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(id=wamid, text={"body": text}, context={"from": "972123456789", "id": quoting})
    return body


async def _flow_events(tenant: Tenant, interaction_id: Any) -> list[str]:
    runs = await tenant.api.get(f"/api/v1/interactions/{interaction_id}/flow-runs")
    assert runs.status_code == 200, runs.text
    return [run["event_type"] for run in runs.json()]


async def test_whatsapp_end_to_end(
    tenant: Tenant, sandbox: Sandbox, live_server: LiveServer
) -> None:
    channel = await make_channel(tenant, "whatsapp")
    ws_url = live_server.url.replace("http://", "ws://") + "/api/v1/events"
    bearer = {"Authorization": f"Bearer {tenant.api_key}"}
    async with connect(ws_url, additional_headers=bearer) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        response = await channel.deliver(payloads(f"{WA}/message.json")["text"])
        assert response.status_code == 200
        created = await _until(ws, lambda e: e["type"] == "message.created")
    assert created["message"]["text"] == "Body Text"
    assert created["message"]["provider_message_id"] == "wamid.xyzxyz"
    [inbound] = await stored(tenant, channel)
    assert created["interaction"]["id"] == str(inbound.interaction_id)
    iid = inbound.interaction_id
    assert await _flow_events(tenant, iid) == ["new_message_received"]
    detail = (await tenant.api.get(f"/api/v1/interactions/{iid}")).json()
    assert detail["direction"] == "inbound" and detail["channel_id"] == channel.id

    reply = await reply_as_agent(tenant, iid, "Hello! How can I help?")
    sent = await message_when(tenant, iid, reply["id"], "sent")
    [call] = channel.calls(sandbox)
    assert call.method == "POST" and call.path == "/meta/v21.0/1122334455667/messages"
    assert call.headers["authorization"] == f"Bearer {channel.access_token}"
    assert call.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "972987654321",
        "type": "text",
        "text": {"body": "Hello! How can I help?"},
        "context": {"message_id": "wamid.xyzxyz"},
    }
    wamid = sent["provider_message_id"]
    assert wamid.startswith("wamid.")

    # Receipts arrive out of order and more than once: the status only moves forward.
    receipts = [_status(v, wamid) for v in ("read", "delivered", "sent", "delivered", "read")]
    for body in receipts:
        assert (await channel.deliver(body)).status_code == 200
    assert (await message_when(tenant, iid, reply["id"], "read"))["provider_message_id"] == wamid

    # The customer answers quoting our message: a Response Received in the same interaction.
    answer = _customer_reply("wamid.customer-2", wamid, "It is order 1234")
    assert (await channel.deliver(answer)).status_code == 200
    assert await _flow_events(tenant, iid) == ["new_message_received", "response_received"]

    # A send that WhatsApp later reports failed is failed, with Meta's reason.
    second = await reply_as_agent(tenant, iid, "Could you send a photo?")
    second_wamid = (await message_when(tenant, iid, second["id"], "sent"))["provider_message_id"]
    assert channel.calls(sandbox)[-1].json["context"] == {"message_id": "wamid.customer-2"}
    assert (await channel.deliver(_status("failed", second_wamid))).status_code == 200
    await message_when(tenant, iid, second["id"], "failed")
    [failed] = [m for m in await stored(tenant, channel) if str(m.id) == second["id"]]
    assert failed.meta["delivery_error"].startswith("130472 User's number is part of an experiment")
    # A late "sent" for the failed message does not bring it back.
    assert (await channel.deliver(_status("sent", second_wamid))).status_code == 200
    await asyncio.sleep(0.3)
    await message_when(tenant, iid, second["id"], "failed")


async def test_statuses_replayed_concurrently_end_at_the_furthest(
    tenant: Tenant, sandbox: Sandbox
) -> None:
    channel = await make_channel(tenant, "whatsapp")
    await channel.deliver(payloads(f"{WA}/message.json")["text"])
    [inbound] = await stored(tenant, channel)
    reply = await reply_as_agent(tenant, inbound.interaction_id, "On it")
    wamid = (await message_when(tenant, inbound.interaction_id, reply["id"], "sent"))[
        "provider_message_id"
    ]
    rng = random.Random(7)
    bodies = [
        _status(v, wamid) for v in ("sent", "delivered", "read") for _ in range(rng.randint(1, 5))
    ]
    rng.shuffle(bodies)
    answers = await asyncio.gather(*(channel.deliver(b) for b in bodies))
    assert {a.status_code for a in answers} == {200}
    await message_when(tenant, inbound.interaction_id, reply["id"], "read")


async def test_every_payload_replayed_concurrently_is_stored_once(tenant: Tenant) -> None:
    """provider-webhook-dedupe-and-order: each recorded message 1-5 times, all at once, shuffled.

    The recorded variants reuse ids (``wamid.xyzxyz``), so each gets its own channel: the
    bodies stay byte-for-byte as recorded.
    """
    rng = random.Random(20261102)
    targets: list[tuple[MetaChannel, str, dict[str, Any]]] = []
    for name in MESSAGE_FILES:
        for variant, body in payloads(f"{WA}/{name}.json").items():
            targets.append((await make_channel(tenant, "whatsapp"), f"{name}:{variant}", body))
    sends = [(ch, body) for ch, _, body in targets for _ in range(rng.randint(1, 5))]
    rng.shuffle(sends)
    answers = await asyncio.gather(*(ch.deliver(body) for ch, body in sends))
    assert [a.status_code for a in answers] == [200] * len(sends)
    for channel, label, body in targets:
        messages = await stored(tenant, channel)
        wamid = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        assert [m.provider_message_id for m in messages] == [wamid], label


async def test_a_retry_days_later_after_the_interaction_closed_stores_nothing(
    tenant: Tenant,
) -> None:
    """Meta retries for up to 7 days; the retry of a message already stored is a no-op, even
    once the agent has completed the interaction (it would otherwise open a new one)."""
    channel = await make_channel(tenant, "whatsapp")
    body = payloads(f"{WA}/message.json")["image"]
    assert (await channel.deliver(body)).status_code == 200
    [first] = await stored(tenant, channel)
    await tenant.agent.client.post(f"/api/v1/interactions/{first.interaction_id}/claim")
    done = await tenant.agent.client.post(
        f"/api/v1/interactions/{first.interaction_id}/complete", json={}
    )
    assert done.status_code == 200, done.text
    again = await channel.deliver(body)
    assert again.status_code == 200
    assert [m.id for m in await stored(tenant, channel)] == [first.id]
    detail = (await tenant.api.get(f"/api/v1/interactions/{first.interaction_id}")).json()
    assert detail["state"] == "completed"
