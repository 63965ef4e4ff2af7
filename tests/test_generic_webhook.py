"""The generic signed webhook (kind api): External HTTP Request, signature and freshness checked
on the raw body before anything is stored, and deduplicated on event_id."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx

from parley.channels.generic.signing import TOLERANCE_S, signature
from tests.factories import Tenant
from tests.test_forms_api import signed, wait_for_status
from tests.test_webchat_api import API, count_messages, event_types, interaction_of, make_channel


def event(event_id: str = "evt-1", **extra: Any) -> bytes:
    body = {
        "event_id": event_id,
        "sender": {
            "id": "cust-42",
            "name": "Linus Torvalds",
            "email": "linus@example.com",
            "phone": "+1 555 0100",
        },
        "text": "Order #1234 was refunded by the shop; please follow up.",
        "subject": "Refund issued",
        "data": {"order": 1234, "amount": {"value": 19.99, "currency": "EUR"}},
        **extra,
    }
    return json.dumps(body).encode()


async def post(
    http: httpx.AsyncClient, channel: dict[str, Any], body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return await http.post(f"/hooks/api/{channel['id']}", content=body, headers=headers)


async def test_signed_request_is_an_external_http_request(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant, "api")
    body = event()
    response = await post(http, channel, body, signed(channel["webhook_secret"], body))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["duplicate"] is False
    interaction = await interaction_of(tenant, channel)
    assert answer["interaction_id"] == interaction["id"]
    assert interaction["subject"] == "Refund issued"
    assert await event_types(tenant, interaction["id"]) == ["external_http_request"]
    contact = (await tenant.api.get(f"{API}/contacts/{interaction['contact_id']}")).json()
    assert (contact["name"], contact["email"]) == ("Linus Torvalds", "linus@example.com")
    # Replies leave by outbound webhooks: the channel's sender only marks them sent.
    reply = await tenant.agent.client.post(
        f"{API}/interactions/{interaction['id']}/messages", json={"text": "On it."}
    )
    assert reply.status_code == 201
    await wait_for_status(tenant, reply.json()["id"], "sent")


async def test_bad_or_stale_signatures_are_refused_and_store_nothing(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant, "api")
    secret = channel["webhook_secret"]
    body = event()
    now = int(time.time())
    # A minute beyond the tolerance: the requests before this one may take seconds on a busy
    # machine, and one second of margin let "future" fall back inside it.
    stale = signed(secret, body, at=now - TOLERANCE_S - 60)
    future = signed(secret, body, at=now + TOLERANCE_S + 60)
    tampered = signed(secret, body)
    attempts = [
        await post(http, channel, body, stale),
        await post(http, channel, body, future),
        await post(http, channel, event(text="changed in transit"), tampered),
        await post(http, channel, body, signed("not-the-secret", body)),
        await post(http, channel, body, {"Content-Type": "application/json"}),
        await post(
            http,
            channel,
            body,
            {
                "X-Parley-Timestamp": "yesterday",
                "X-Parley-Signature": signature(secret, "yesterday", body),
            },
        ),
        await post(http, channel, body, {**tampered, "X-Parley-Signature": "sha256=00"}),
    ]
    assert [a.status_code for a in attempts] == [401] * len(attempts)
    assert await count_messages(tenant, channel) == 0
    # Signed but malformed: refused after the signature, still nothing stored.
    bad = json.dumps({"event_id": "", "unexpected": 1}).encode()
    invalid = await post(http, channel, bad, signed(secret, bad))
    assert invalid.status_code == 422
    assert set(invalid.json()["error"]["fields"]) >= {"event_id", "unexpected"}
    assert await count_messages(tenant, channel) == 0
    # Another kind of channel is not an api endpoint.
    form = await make_channel(tenant, "form")
    assert (await post(http, form, body, signed(form["webhook_secret"], body))).status_code == 404


async def test_replays_one_to_five_times_concurrently_store_one_message_each(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant, "api")
    for times in range(1, 6):
        body = event(f"evt-{times}-{uuid.uuid4().hex[:6]}")
        headers = signed(channel["webhook_secret"], body)
        answers = await asyncio.gather(*(post(http, channel, body, headers) for _ in range(times)))
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        assert sum(not a.json()["duplicate"] for a in answers) == 1
        assert len({a.json()["message_id"] for a in answers}) == 1
    assert await count_messages(tenant, channel) == 5
