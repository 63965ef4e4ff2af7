"""Twilio SMS and WhatsApp end to end: signed webhooks in, agent replies out, receipts, replays."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from parley.actions.channels import do_update_channel
from parley.models import Contact, ContactIdentity, FlowRun, Interaction, Message
from parley.models.enums import ChannelKind
from tests.conftest import LiveServer
from tests.factories import Tenant
from tests.providers import Sandbox, wait_for
from tests.providers.twilio import TwilioNumber, new_number, new_sid, state, twilio_number

SAMPLES: dict[str, Any] = json.loads(
    (
        Path(__file__).resolve().parents[2] / "shared/data/webhooks/twilio/twilio_samples.json"
    ).read_text()
)
T = TypeVar("T")


async def until(probe: Callable[[], Awaitable[T | None]], *, within: float = 10.0) -> T:
    """Poll an async probe until it returns something truthy."""
    async with asyncio.timeout(within):
        while True:
            found = await probe()
            if found:
                return found
            await asyncio.sleep(0.1)


async def next_event(ws: ClientConnection, predicate: Callable[[Any], bool]) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            event: dict[str, Any] = json.loads(await ws.recv())
            if predicate(event):
                return event


def sms(line: TwilioNumber, sender: str, body: str, **extra: str) -> dict[str, str]:
    """An incoming message webhook with Twilio's field names."""
    sid = new_sid("SM")
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": line.number,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": line.account_sid,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def receipt(line: TwilioNumber, sid: str, to: str, status: str, **extra: str) -> dict[str, str]:
    """A status callback for a message Parley sent."""
    return {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": sid,
        "AccountSid": line.account_sid,
        "From": line.number,
        "ApiVersion": "2010-04-01",
        **extra,
    }


async def messages_on(tenant: Tenant, line: TwilioNumber) -> list[Message]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Message).where(Message.channel_id == line.channel.id).order_by(Message.seq)
        )
        return list(rows.scalars())


async def event_types(tenant: Tenant, interaction_id: Any) -> list[str]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(FlowRun.event_type)
            .where(FlowRun.interaction_id == interaction_id)
            .order_by(FlowRun.created_at, FlowRun.id)
        )
        return [str(t) for t in rows.scalars()]


async def agent_reply(tenant: Tenant, interaction_id: str, text: str) -> dict[str, Any]:
    client = tenant.agent.client
    claimed = await client.post(f"/api/v1/interactions/{interaction_id}/claim")
    assert claimed.status_code == 200, claimed.text
    sent = await client.post(f"/api/v1/interactions/{interaction_id}/messages", json={"text": text})
    assert sent.status_code == 201, sent.text
    assert sent.json()["delivery_status"] == "pending"
    reply: dict[str, Any] = sent.json()
    return reply


async def delivery(
    tenant: Tenant, message_id: str, status: str, *, within: float = 10.0
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found: dict[str, Any] = (await tenant.api.get(f"/api/v1/messages/{message_id}")).json()
        return found if found["delivery_status"] == status else None

    return await until(probe, within=within)


async def test_sms_end_to_end(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    line = await twilio_number(tenant, live_server.url)
    customer = new_number()
    ws_url = live_server.url.replace("http://", "ws://") + "/api/v1/events"
    auth = {"Authorization": f"Bearer {tenant.api_key}"}
    async with connect(ws_url, additional_headers=auth) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        first = sms(line, customer, "Hi, my parcel has not arrived")
        r = await line.post(http, "messages", first)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/xml")
        assert r.text.endswith("<Response/>")
        created = await next_event(ws, lambda e: e["type"] == "message.created")
        assert created["message"]["text"] == "Hi, my parcel has not arrived"
        assert created["message"]["provider_message_id"] == first["MessageSid"]
        interaction_id = created["interaction"]["id"]

        # Stored: the message, its contact by phone, and a New Message Received.
        [stored] = await messages_on(tenant, line)
        assert stored.role == "customer" and stored.delivery_status == "received"
        async with tenant.db.transaction() as s:
            interaction = await s.get(Interaction, stored.interaction_id)
            assert interaction is not None
            assert interaction.communication_type == "messaging" and interaction.state == "queued"
            identity = (
                await s.execute(
                    select(ContactIdentity).where(
                        ContactIdentity.organization_id == tenant.org.id,
                        ContactIdentity.value == customer,
                    )
                )
            ).scalar_one()
            assert identity.kind == "phone" and identity.contact_id == interaction.contact_id
        assert await event_types(tenant, stored.interaction_id) == ["new_message_received"]

        # The agent replies; Twilio's API receives it from our number, to the customer.
        reply = await agent_reply(tenant, interaction_id, "Let me check that for you.")
        await wait_for(lambda: state(sandbox).sent_to(customer))
        [resource] = state(sandbox).sent_to(customer)
        [call] = [c for c in sandbox.calls["twilio"] if c.form.get("To") == [customer]]
        assert call.path == f"/twilio/2010-04-01/Accounts/{line.account_sid}/Messages.json"
        assert call.form["From"] == [line.number]
        assert call.form["Body"] == ["Let me check that for you."]
        assert "StatusCallback" not in call.form  # PARLEY_PUBLIC_URL is not set here
        credentials = base64.b64encode(f"{line.account_sid}:{line.auth_token}".encode()).decode()
        assert call.headers["authorization"] == f"Basic {credentials}"
        sent = await delivery(tenant, reply["id"], "sent")
        assert sent["provider_message_id"] == resource["sid"]

        # Receipts arrive out of order: read before delivered. Status never goes back.
        for status in ("read", "delivered", "sent"):
            r = await line.post(http, "status", receipt(line, resource["sid"], customer, status))
            assert r.status_code == 204, r.text
        read = await next_event(
            ws, lambda e: e["type"] == "message.status" and e["message"]["id"] == reply["id"]
        )
        assert read["message"]["delivery_status"] in ("sent", "read")
        final = (await tenant.api.get(f"/api/v1/messages/{reply['id']}")).json()
        assert final["delivery_status"] == "read"
        # The same receipts again, all at once: still read.
        burst = [
            receipt(line, resource["sid"], customer, s)
            for s in ("delivered", "sent", "failed", "delivered", "queued")
        ]
        answers = await asyncio.gather(*(line.post(http, "status", p) for p in burst))
        assert {a.status_code for a in answers} == {204}
        final = (await tenant.api.get(f"/api/v1/messages/{reply['id']}")).json()
        assert final["delivery_status"] == "read"

    # The customer answers while the interaction is open: a Response Received, same interaction.
    r = await line.post(http, "messages", sms(line, customer, "Thanks!"))
    assert r.status_code == 200
    assert await event_types(tenant, stored.interaction_id) == [
        "new_message_received",
        "response_received",
    ]
    assert [m.text for m in await messages_on(tenant, line)] == [
        "Hi, my parcel has not arrived",
        "Let me check that for you.",
        "Thanks!",
    ]


async def test_failed_receipt_records_the_reason(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    line = await twilio_number(tenant, live_server.url)
    customer = new_number()
    await line.post(http, "messages", sms(line, customer, "Hello"))
    [inbound] = await messages_on(tenant, line)
    reply = await agent_reply(tenant, str(inbound.interaction_id), "Hello back")
    sent = await delivery(tenant, reply["id"], "sent")
    r = await line.post(
        http,
        "status",
        receipt(line, sent["provider_message_id"], customer, "undelivered", ErrorCode="30003"),
    )
    assert r.status_code == 204
    failed = await delivery(tenant, reply["id"], "failed")
    async with tenant.db.transaction() as s:
        message = await s.get(Message, uuid.UUID(failed["id"]))
        assert message is not None
        assert message.meta["delivery_error"] == (
            "Twilio undelivered (error 30003): unreachable destination handset"
        )


async def test_replays_concurrent_and_out_of_order_store_each_message_once(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    """Chatwoot's recorded Twilio payloads, each posted 1-5 times, all at once, shuffled."""
    line = await twilio_number(tenant, live_server.url)
    payloads = []
    for example in SAMPLES["sms_incoming_examples"]:
        fields = {k: v for k, v in example.items() if not k.startswith("_")}
        # The samples all say "SMxx"; real sids differ per message.
        fields["SmsSid"] = new_sid("SM")
        fields.setdefault("To", line.number)
        payloads.append(fields)
    rng = random.Random(1234)
    posts = [p for p in payloads for _ in range(rng.randint(1, 5))]
    rng.shuffle(posts)
    answers = await asyncio.gather(*(line.post(http, "messages", p) for p in posts))
    assert [a.status_code for a in answers] == [200] * len(posts), [a.text for a in answers]

    stored = await messages_on(tenant, line)
    assert sorted(m.provider_message_id or "" for m in stored) == sorted(
        p["SmsSid"] for p in payloads
    )
    by_sid = {m.provider_message_id: m for m in stored}
    media, location, nul = payloads[2], payloads[3], payloads[5]
    assert [(a["url"], a["content_type"]) for a in by_sid[media["SmsSid"]].attachments] == [
        ("https://chatwoot-assets.local/sample.png", "image/png"),
        ("https://chatwoot-assets.local/sample.jpg", "image/jpeg"),
    ]
    assert by_sid[location["SmsSid"]].meta["data"]["location"] == {
        "latitude": 12.160894393921,
        "longitude": 75.265205383301,
    }
    assert by_sid[location["SmsSid"]].text == "Location: 12.160894393921, 75.265205383301"
    assert by_sid[nul["SmsSid"]].text == "remove null bytes"
    # Two senders, one interaction each, however the deliveries interleaved.
    async with tenant.db.transaction() as s:
        interactions = list(
            (
                await s.execute(
                    select(Interaction).where(Interaction.channel_id == line.channel.id)
                )
            ).scalars()
        )
        assert len(interactions) == 2
        named = (
            await s.execute(
                select(Contact)
                .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
                .where(
                    ContactIdentity.organization_id == tenant.org.id,
                    ContactIdentity.value == "+1234567890",
                )
            )
        ).scalar_one()
        assert named.name == "John Doe"  # ProfileName


def whatsapp_photo(line: TwilioNumber, customer: str) -> dict[str, str]:
    media = f"https://api.twilio.com/2010-04-01/Accounts/{line.account_sid}/Messages/MM1/Media/ME1"
    return sms(
        line,
        f"whatsapp:{customer}",
        "Here is the damage",
        To=f"whatsapp:{line.number}",
        ProfileName="Ann Example",
        WaId=customer.lstrip("+"),
        MessageType="image",
        NumMedia="2",
        MediaContentType0="image/jpeg",
        MediaUrl0=media,
        MediaContentType1="application/pdf",
        MediaUrl1="https://media.example/receipt.pdf",
    )


async def test_whatsapp_media_message(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    line = await twilio_number(tenant, live_server.url, ChannelKind.whatsapp)
    customer = new_number()
    photo = whatsapp_photo(line, customer)
    for _ in range(2):  # a retry changes nothing
        r = await line.post(http, "messages", photo)
        assert r.status_code == 200, r.text
    [message] = await messages_on(tenant, line)
    assert message.text == "Here is the damage"
    assert message.author_name == "Ann Example"
    assert message.meta["data"]["message_type"] == "image"
    assert [(a["filename"], a["content_type"], a["url"]) for a in message.attachments] == [
        ("ME1.jpg", "image/jpeg", photo["MediaUrl0"]),
        ("receipt.pdf", "application/pdf", photo["MediaUrl1"]),
    ]
    async with tenant.db.transaction() as s:
        kinds = (
            await s.execute(
                select(ContactIdentity.kind).where(
                    ContactIdentity.organization_id == tenant.org.id,
                    ContactIdentity.value == customer,
                )
            )
        ).scalars()
        assert sorted(kinds) == ["phone", "whatsapp"]
        interaction = await s.get(Interaction, message.interaction_id)
        assert interaction is not None and interaction.subtype == "whatsapp"
    assert await event_types(tenant, message.interaction_id) == ["new_message_received"]


async def test_whatsapp_channel_of_another_provider_is_404(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    line = await twilio_number(tenant, live_server.url, ChannelKind.whatsapp)
    async with tenant.db.transaction() as s:
        await do_update_channel(
            s,
            actor=tenant.admin.actor,
            channel_id=line.channel.id,
            changes={"config": {"provider": "meta"}},
        )
    r = await line.post(http, "messages", whatsapp_photo(line, new_number()))
    assert r.status_code == 404
    assert await messages_on(tenant, line) == []


async def test_whatsapp_reply_goes_out_through_twilio(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    line = await twilio_number(tenant, live_server.url, ChannelKind.whatsapp)
    customer = new_number()
    r = await line.post(http, "messages", whatsapp_photo(line, customer))
    assert r.status_code == 200, r.text
    [message] = await messages_on(tenant, line)
    reply = await agent_reply(tenant, str(message.interaction_id), "Sorry! A new one is coming.")
    await wait_for(lambda: state(sandbox).sent_to(f"whatsapp:{customer}"), within=5)
    [resource] = state(sandbox).sent_to(f"whatsapp:{customer}")
    assert resource["from"] == f"whatsapp:{line.number}"
    assert resource["body"] == "Sorry! A new one is coming."
    sent = await delivery(tenant, reply["id"], "sent")
    assert sent["provider_message_id"] == resource["sid"]
