"""WhatsApp Cloud API webhooks: statuses, fields that are not conversation, batched bodies.

Recorded bodies from ``shared/data/webhooks/whatsapp_cloud``, re-signed with the test channel's
app secret (see test_meta_whatsapp.py for the message shapes).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from parley.models import Interaction
from tests.factories import Tenant
from tests.providers import Sandbox
from tests.providers.meta import (
    DATA,
    MetaChannel,
    make_channel,
    message_when,
    payloads,
    reply_as_agent,
    stored,
    wa_answer,
)

WA = "whatsapp_cloud"
VECTOR_BODY = json.loads((DATA / WA / "signature_vector.json").read_text())["raw_body"]


@pytest.mark.parametrize(
    ("variant", "wamid", "final", "error"),
    [
        ("sent", "wamid.xyzxyz", "sent", None),
        ("delivered", "wamid.xyzxyz", "delivered", None),
        ("read", "wamid.xyzxyz", "read", None),
        ("played", "wamid.xyzxyz", "read", None),
        ("failed", "wamid.xyzxyz", "failed", "130472 User's number is part of an experiment"),
        ("with_tracker", "wamid.xyzxyz", "sent", None),
        ("group", "<WHATSAPP_MESSAGE_ID>", "read", None),
    ],
)
async def test_status_shape(
    tenant: Tenant, sandbox: Sandbox, variant: str, wamid: str, final: str, error: str | None
) -> None:
    channel = await make_channel(tenant, "whatsapp")
    interaction_id, message_id = await _our_message(tenant, sandbox, channel, wamid)
    response = await channel.deliver(payloads(f"{WA}/message_status.json")[variant])
    assert response.status_code == 200 and response.json()["received"] == 1
    shown = await message_when(tenant, interaction_id, message_id, final)
    assert shown["provider_message_id"] == wamid
    [ours] = [m for m in await stored(tenant, channel) if str(m.id) == message_id]
    if error:
        assert ours.meta["delivery_error"].startswith(error)
    else:
        assert "delivery_error" not in ours.meta


async def _our_message(
    tenant: Tenant, sandbox: Sandbox, channel: MetaChannel, wamid: str
) -> tuple[uuid.UUID, str]:
    """A conversation opened by the recorded signature-vector message, and an agent reply that
    the Graph API stand-in acknowledges with ``wamid``, once it is marked sent."""
    assert (await channel.deliver(VECTOR_BODY.encode())).status_code == 200
    [opening] = await stored(tenant, channel)
    channel.script(sandbox, 200, wa_answer(wamid))
    reply = await reply_as_agent(tenant, opening.interaction_id, "Thanks, looking into it.")
    await message_when(tenant, opening.interaction_id, reply["id"], "sent")
    return opening.interaction_id, reply["id"]


async def test_a_status_for_a_message_we_never_sent_changes_nothing(tenant: Tenant) -> None:
    channel = await make_channel(tenant, "whatsapp")
    response = await channel.deliver(payloads(f"{WA}/message_status.json")["read"])
    assert response.status_code == 200
    assert await stored(tenant, channel) == []


IGNORED = [
    (name, variant)
    for name in (
        "account_update",
        "template_category_update",
        "template_components_update",
        "template_quality_update",
        "template_status_update",
        "user_marketing_preferences",
        "call_connect",
        "call_status",
        "call_terminate",
        "outgoing_message",
    )
    for variant in payloads(f"{WA}/{name}.json")
]


@pytest.mark.parametrize(("name", "variant"), IGNORED, ids=[f"{n}:{v}" for n, v in IGNORED])
async def test_non_conversation_fields_are_acknowledged_and_left_out(
    tenant: Tenant, name: str, variant: str
) -> None:
    channel = await make_channel(tenant, "whatsapp")
    response = await channel.deliver(payloads(f"{WA}/{name}.json")[variant])
    assert response.status_code == 200
    assert response.json() == {"received": 0, "ignored": 1}
    assert await stored(tenant, channel) == []
    async with tenant.db.transaction() as session:
        rows = await session.execute(
            select(Interaction.id).where(Interaction.channel_id == uuid.UUID(channel.id))
        )
        assert rows.first() is None


def _change(name: str, variant: str) -> dict[str, Any]:
    change: dict[str, Any] = payloads(f"{WA}/{name}.json")[variant]["entry"][0]["changes"][0]
    return change


async def test_one_body_with_many_entries_changes_and_messages(tenant: Tenant) -> None:
    """Meta batches: every message of every change of every entry, in one transaction."""
    channel = await make_channel(tenant, "whatsapp")
    text = _change("message", "text")
    two = json.loads(json.dumps(_change("callback_button", "quick_reply")))
    two["value"]["messages"].append(
        _change("callback_selection", "callback")["value"]["messages"][0]
    )
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1234567890987654321",
                "changes": [text, _change("template_status_update", "approved")],
            },
            {"id": "1234567890987654321", "changes": [two, _change("message", "referral")]},
        ],
    }
    response = await channel.deliver(body)
    assert response.status_code == 200
    assert response.json() == {"received": 4, "ignored": 1}
    messages = await stored(tenant, channel)
    assert sorted(m.provider_message_id or "" for m in messages) == sorted(
        ["wamid.xyzxyz", "wamid.xsidjw", "wamid.zyzxyz", "wamid.ID"]
    )
    assert len({m.interaction_id for m in messages}) == 1
    by_seq = sorted(messages, key=lambda m: m.seq)
    assert [m.provider_message_id for m in by_seq] == [
        "wamid.xyzxyz",
        "wamid.xsidjw",
        "wamid.zyzxyz",
        "wamid.ID",
    ]
