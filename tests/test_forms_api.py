"""Web forms against the live server: a signed or tokened submission is a Contact Form Received,
the reply is emailed to the form's address, and unauthenticated posts store nothing."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx

from parley.channels.generic.signing import signature
from tests.factories import Tenant
from tests.providers import Sandbox, wait_for
from tests.test_webchat_api import API, count_messages, event_types, interaction_of, make_channel


def signed(secret: str, body: bytes, *, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {
        "Content-Type": "application/json",
        "X-Parley-Timestamp": str(timestamp),
        "X-Parley-Signature": signature(secret, timestamp, body),
    }


async def url_token(tenant: Tenant, channel: dict[str, Any]) -> str:
    info = await tenant.api.get(f"{API}/channels/{channel['id']}/inbound")
    assert info.status_code == 200, info.text
    assert info.json()["path"] == f"/hooks/forms/{channel['id']}"
    token: str = info.json()["url_token"]
    return token


async def test_signed_submission_becomes_an_interaction_and_the_reply_is_emailed(
    tenant: Tenant, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    channel = await make_channel(tenant, "form", reply_from="Acme Support <support@acme.test>")
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    body = json.dumps(
        {
            "name": "Ada Lovelace",
            "email": email,
            "phone": "+44 7700 900456",
            "subject": "Broken\r\nBcc: evil@example.com",
            "message": "My order arrived damaged.\nPhotos to follow.",
            "order_number": 1234,
        }
    ).encode()
    response = await http.post(
        f"/hooks/forms/{channel['id']}",
        content=body,
        headers=signed(channel["webhook_secret"], body),
    )
    assert response.status_code == 200, response.text
    assert response.json()["duplicate"] is False
    interaction = await interaction_of(tenant, channel)
    assert interaction["communication_type"] == "task"
    assert interaction["subject"] == "Broken Bcc: evil@example.com"  # one line, no header smuggling
    assert await event_types(tenant, interaction["id"]) == ["contact_form_received"]
    [message] = (await tenant.api.get(f"{API}/interactions/{interaction['id']}/messages")).json()
    assert message["role"] == "customer"
    assert f"Email: {email}" in message["text"]
    assert "Order number: 1234" in message["text"]
    assert "    Photos to follow." in message["text"]
    contact = (await tenant.api.get(f"{API}/contacts/{interaction['contact_id']}")).json()
    assert contact["name"] == "Ada Lovelace"

    base = f"{API}/interactions/{interaction['id']}"
    reply = await tenant.agent.client.post(f"{base}/messages", json={"text": "Sorry! Refunded."})
    assert reply.status_code == 201, reply.text

    def mailed() -> list[Any]:
        return [m for env, m in sandbox.mail if email in env.rcpt_tos]

    await wait_for(lambda: bool(mailed()))
    [sent] = mailed()
    assert sent["To"] == email
    assert sent["From"] == "Acme Support <support@acme.test>"
    assert sent["Subject"].startswith("Re: Broken")
    assert "Bcc" not in sent or sent["Bcc"] is None
    assert sent.get_content().strip() == "Sorry! Refunded."
    await wait_for_status(tenant, reply.json()["id"], "sent")


async def wait_for_status(tenant: Tenant, message_id: str, status: str) -> None:
    """Poll the API until the message's delivery status is ``status``."""
    current = None
    async with asyncio.timeout(10):
        while current != status:
            await asyncio.sleep(0.05)
            current = (await tenant.api.get(f"{API}/messages/{message_id}")).json()[
                "delivery_status"
            ]


async def test_plain_html_form_with_the_url_token(tenant: Tenant, http: httpx.AsyncClient) -> None:
    channel = await make_channel(
        tenant,
        "form",
        redirect_url="https://shop.example/thanks",
        honeypot_field="website",
        email_field="your-email",
    )
    token = await url_token(tenant, channel)
    fields = {
        "your-email": "Grace@Example.com",
        "name": "Grace Hopper",
        "topic": ["returns", "billing"],
        "_submission_id": "sub-1",
        "website": "",
    }
    path = f"/hooks/forms/{channel['id']}?token={token}"
    first = await http.post(path, data=fields)
    assert first.status_code == 303
    assert first.headers["location"] == "https://shop.example/thanks"
    again = await http.post(path, data=fields)  # a double click: the same submission id
    assert again.status_code == 303
    interaction = await interaction_of(tenant, channel)
    [message] = (await tenant.api.get(f"{API}/interactions/{interaction['id']}/messages")).json()
    assert "Topic: returns, billing" in message["text"]
    assert "sub-1" not in message["text"] and "Website" not in message["text"]
    contact = (await tenant.api.get(f"{API}/contacts/{interaction['contact_id']}")).json()
    assert contact["email"] == "grace@example.com"
    # A bot fills the hidden field: thanked, never stored.
    bot = await http.post(path, data={**fields, "_submission_id": "sub-2", "website": "spam"})
    assert bot.status_code == 303
    assert await count_messages(tenant, channel) == 1


async def test_unauthenticated_submissions_store_nothing(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant, "form")
    other = await make_channel(tenant, "form")
    path = f"/hooks/forms/{channel['id']}"
    body = json.dumps({"email": "mallory@example.com", "message": "hi"}).encode()
    secret = channel["webhook_secret"]
    attempts = [
        await http.post(path, content=body, headers={"Content-Type": "application/json"}),
        await http.post(path, content=body, headers=signed("wrong-secret", body)),
        await http.post(path, content=body, headers=signed(other["webhook_secret"], body)),
        await http.post(
            path, content=body, headers=signed(secret, body, at=int(time.time()) - 301)
        ),
        await http.post(
            path, content=body + b" ", headers=signed(secret, body)
        ),  # body changed after signing
        await http.post(f"{path}?token={await url_token(tenant, other)}", data={"a": "b"}),
        await http.post(f"{path}?token=", data={"a": "b"}),
    ]
    assert [r.status_code for r in attempts] == [401] * len(attempts)
    assert all(r.json()["error"]["code"] == "unauthenticated" for r in attempts)
    assert await count_messages(tenant, channel) == 0
    assert (await http.post("/hooks/forms/not-a-channel", data={"a": "b"})).status_code == 404
