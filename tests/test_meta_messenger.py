"""Messenger and Instagram: recorded webhook shapes, and both end to end over real HTTP."""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from parley.models import ContactIdentity, Interaction, Message
from tests.factories import Tenant
from tests.providers import Sandbox
from tests.providers.meta import (
    make_channel,
    message_when,
    payloads,
    reply_as_agent,
    stored,
    thread_keys,
)

MI = "meta_messenger_instagram"
IG = f"{MI}/instagram_chatwoot_factories.json"

# (kind, file, variant, provider id, text, attachments, refers_to); provider id None: no message.
SHAPES: list[tuple[str, str, str, str | None, str, list[tuple[str, str, str]], tuple[str, ...]]] = [
    (
        "messenger",
        f"{MI}/messenger_text.json",
        "messenger_text",
        "mid.1457764197618:41d102a3e1ae206a38",
        "hello, world!",
        [],
        (),
    ),
    (
        "messenger",
        f"{MI}/messenger_postback.json",
        "messenger_postback",
        "postback:USER_ID:1458692752478",
        "USER_DEFINED_PAYLOAD",
        [],
        (),
    ),
    ("messenger", f"{MI}/messenger_delivery.json", "messenger_delivery", None, "", [], ()),
    (
        "instagram",
        IG,
        "message_create",
        "message-id-1",
        "This is the first message from the customer",
        [],
        (),
    ),
    (
        "instagram",
        IG,
        "standby",
        "message-id-1",
        "This is the first standby message from the customer, after 24 hours.",
        [],
        (),
    ),
    (
        "instagram",
        IG,
        "story_reply",
        "message-id-1",
        "[story reply] This is the story reply",
        [],
        (),
    ),
    ("instagram", IG, "test_text_event", "random_mid", "random_text", [], ()),
    (
        "instagram",
        IG,
        "unsend",
        "deleted:message-id-to-delete",
        "[deleted] The customer deleted a message",
        [],
        ("message-id-to-delete",),
    ),
    (
        "instagram",
        IG,
        "attachment_share",
        "message-id-1",
        "[shared post]",
        [("test.jpeg", "image/jpeg", "https://www.example.com/test.jpeg")],
        (),
    ),
    ("instagram", IG, "story_mention_echo", None, "", [], ()),
    ("instagram", IG, "seen", None, "", [], ()),
]


def test_every_recorded_variant_has_a_shape() -> None:
    covered = {(path, variant) for _, path, variant, *_ in SHAPES}
    for path in (IG, *(f"{MI}/messenger_{n}.json" for n in ("text", "postback", "delivery"))):
        for variant in payloads(path):
            assert (path, variant) in covered


@pytest.mark.parametrize(
    ("kind", "path", "variant", "mid", "text", "files", "refers_to"),
    SHAPES,
    ids=[f"{s[0]}:{s[2]}" for s in SHAPES],
)
async def test_shape(
    tenant: Tenant,
    kind: str,
    path: str,
    variant: str,
    mid: str | None,
    text: str,
    files: list[tuple[str, str, str]],
    refers_to: tuple[str, ...],
) -> None:
    channel = await make_channel(tenant, kind)
    response = await channel.deliver(payloads(path)[variant])
    assert response.status_code == 200, response.text
    messages = await stored(tenant, channel)
    if mid is None:
        assert messages == []
        return
    [message] = messages
    assert (message.provider_message_id, message.text) == (mid, text)
    assert [(a["filename"], a["content_type"], a["url"]) for a in message.attachments] == files
    assert message.meta["data"]["platform"] == kind
    assert {mid, *refers_to} <= await thread_keys(tenant, channel)
    async with tenant.db.transaction() as session:
        interaction = await session.get(Interaction, message.interaction_id)
        assert interaction is not None
        kinds = await session.execute(
            select(ContactIdentity.kind).where(ContactIdentity.contact_id == interaction.contact_id)
        )
        assert set(kinds.scalars()) == {kind}


async def test_story_reply_keeps_the_story(tenant: Tenant) -> None:
    channel = await make_channel(tenant, "instagram")
    await channel.deliver(payloads(IG)["story_reply"])
    [message] = await stored(tenant, channel)
    assert message.meta["data"]["story"]["url"] == "https://chatwoot-assets.local/sample.png"


async def test_a_page_payload_sent_to_an_instagram_channel_is_left_out(tenant: Tenant) -> None:
    channel = await make_channel(tenant, "instagram")
    response = await channel.deliver(payloads(f"{MI}/messenger_text.json")["messenger_text"])
    assert response.status_code == 200
    assert response.json() == {"received": 0, "ignored": 1}
    assert await stored(tenant, channel) == []


def _now_ms() -> int:
    return int(time.time() * 1000) + 2000


def _receipt(kind: str, **receipt: Any) -> dict[str, Any]:
    """A receipt in the recorded delivery event's shape: ``delivery`` or ``read``."""
    body: dict[str, Any] = copy.deepcopy(
        payloads(f"{MI}/messenger_delivery.json")["messenger_delivery"]
    )
    event = body["entry"][0]["messaging"][0]
    del event["delivery"]
    event["timestamp"] = _now_ms()
    event[kind] = receipt
    return body


async def _flow_events(tenant: Tenant, interaction_id: Any) -> list[str]:
    runs = await tenant.api.get(f"/api/v1/interactions/{interaction_id}/flow-runs")
    return [run["event_type"] for run in runs.json()]


async def test_messenger_end_to_end(tenant: Tenant, sandbox: Sandbox) -> None:
    channel = await make_channel(tenant, "messenger")
    assert (
        await channel.deliver(payloads(f"{MI}/messenger_text.json")["messenger_text"])
    ).status_code == 200
    postback = payloads(f"{MI}/messenger_postback.json")["messenger_postback"]
    answers = await asyncio.gather(*(channel.deliver(postback) for _ in range(3)))
    assert {a.status_code for a in answers} == {200}
    first, second = await stored(tenant, channel)
    assert (first.text, second.text) == ("hello, world!", "USER_DEFINED_PAYLOAD")
    iid = first.interaction_id
    assert second.interaction_id == iid
    assert await _flow_events(tenant, iid) == ["new_message_received", "response_received"]

    # The page's own message echoed back is not a customer message.
    echo = copy.deepcopy(payloads(f"{MI}/messenger_text.json")["messenger_text"])
    event = echo["entry"][0]["messaging"][0]
    event["sender"], event["recipient"] = event["recipient"], event["sender"]
    event["message"].update(is_echo=True, mid="mid.echo")
    assert (await channel.deliver(echo)).json() == {"received": 0, "ignored": 1}

    reply = await reply_as_agent(tenant, iid, "Hi! What can we do for you?")
    sent = await message_when(tenant, iid, reply["id"], "sent")
    [call] = channel.calls(sandbox)
    assert call.path == "/meta/v21.0/me/messages"
    assert call.headers["authorization"] == f"Bearer {channel.access_token}"
    assert call.json == {
        "recipient": {"id": "USER_ID"},
        "message": {"text": "Hi! What can we do for you?"},
        "messaging_type": "RESPONSE",
    }
    mid = sent["provider_message_id"]
    assert mid.startswith("m_")

    delivery = copy.deepcopy(payloads(f"{MI}/messenger_delivery.json")["messenger_delivery"])
    delivery["entry"][0]["messaging"][0]["delivery"]["mids"] = [mid]
    assert (await channel.deliver(delivery)).json()["received"] == 1
    await message_when(tenant, iid, reply["id"], "delivered")
    # Messenger's read receipt names a time, not a message: everything sent until then.
    read = _receipt("read", watermark=_now_ms(), seq=38)
    assert (await channel.deliver(read)).json()["received"] == 1
    await message_when(tenant, iid, reply["id"], "read")


async def test_a_delivery_watermark_without_mids(tenant: Tenant) -> None:
    channel = await make_channel(tenant, "messenger")
    await channel.deliver(payloads(f"{MI}/messenger_text.json")["messenger_text"])
    [inbound] = await stored(tenant, channel)
    reply = await reply_as_agent(tenant, inbound.interaction_id, "Noted")
    await message_when(tenant, inbound.interaction_id, reply["id"], "sent")
    before = _receipt("delivery", watermark=1458668856253, seq=37)  # long before our reply
    assert (await channel.deliver(before)).json()["received"] == 0
    after = _receipt("delivery", watermark=_now_ms(), seq=38)
    assert (await channel.deliver(after)).json()["received"] == 1
    await message_when(tenant, inbound.interaction_id, reply["id"], "delivered")


async def test_instagram_end_to_end(tenant: Tenant, sandbox: Sandbox) -> None:
    channel = await make_channel(tenant, "instagram")
    events = payloads(IG)
    assert (await channel.deliver(events["message_create"])).status_code == 200
    assert (await channel.deliver(events["attachment_share"])).status_code == 200  # same mid
    [inbound] = await stored(tenant, channel)
    iid = inbound.interaction_id
    reply = await reply_as_agent(tenant, iid, "Thanks for reaching out")
    sent = await message_when(tenant, iid, reply["id"], "sent")
    [call] = channel.calls(sandbox)
    assert call.path == "/meta/v21.0/me/messages"
    assert call.json["recipient"] == {"id": "Sender-id-1"}
    assert call.json["message"] == {"text": "Thanks for reaching out"}
    seen = copy.deepcopy(events["seen"])
    seen["entry"][0]["messaging"][0]["read"]["mid"] = sent["provider_message_id"]
    assert (await channel.deliver(seen)).status_code == 200
    await message_when(tenant, iid, reply["id"], "read")
    assert (await channel.deliver(events["unsend"])).status_code == 200
    assert (await channel.deliver(events["story_mention_echo"])).json()["received"] == 0
    texts = [m.text for m in await stored(tenant, channel)]
    assert texts == [
        "This is the first message from the customer",
        "Thanks for reaching out",
        "[deleted] The customer deleted a message",
    ]


async def test_a_reply_to_a_contact_without_the_identity_fails_with_a_reason(
    tenant: Tenant,
) -> None:
    """An interaction on a Messenger channel whose contact has no PSID cannot be answered."""
    channel = await make_channel(tenant, "messenger")
    created = await tenant.api.post(
        "/api/v1/interactions",
        json={
            "communication_type": "messaging",
            "queue_id": str(tenant.queue.id),
            "contact_id": str(tenant.contact.id),
            "channel_id": channel.id,
            "text": "Hello",
        },
    )
    assert created.status_code == 201, created.text
    iid = created.json()["id"]
    reply = await reply_as_agent(tenant, iid, "Are you there?")
    await message_when(tenant, iid, reply["id"], "failed")
    async with tenant.db.transaction() as session:
        message = await session.get(Message, uuid.UUID(reply["id"]))
        assert message is not None
        assert "no messenger identity" in message.meta["delivery_error"]
