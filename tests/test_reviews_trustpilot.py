"""Trustpilot reviews from the real service-review-created payload: Review Received, an edit is a
Response Received on the same interaction, and an agent's answer is posted as a public reply."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from parley.models import Message
from tests.factories import Tenant
from tests.providers import Sandbox, wait_for
from tests.test_forms_api import wait_for_status
from tests.test_webchat_api import API, count_messages, event_types, interaction_of

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "webhooks" / "trustpilot"
REVIEW_ID = "53bffd360000640002975387"


def created_payload() -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DATA / "service_review_created.json").read_text())[
        "payload"
    ]
    return payload


def edited_payload(stars: int, text: str) -> dict[str, Any]:
    payload = copy.deepcopy(created_payload())
    event = payload["events"][0]
    event["eventName"] = "service-review-updated"
    event["eventData"].update(stars=stars, text=text)
    return payload


async def review_channel(tenant: Tenant, sandbox: Sandbox) -> tuple[dict[str, Any], str]:
    access_token = f"tp-{uuid.uuid4().hex}"
    response = await tenant.api.post(
        f"{API}/channels",
        json={
            "kind": "review",
            "name": "Trustpilot",
            "config": {"api_url": f"{sandbox.url}/trustpilot", "business_user_id": "bu-42"},
            "secrets": {"access_token": access_token},
            "default_queue_id": str(tenant.queue.id),
        },
    )
    assert response.status_code == 201, response.text
    channel: dict[str, Any] = response.json()
    return channel, access_token


async def basic_auth(tenant: Tenant, channel: dict[str, Any]) -> dict[str, str]:
    """What Trustpilot sends for a subscription URL https://trustpilot:<token>@host/..."""
    info = (await tenant.api.get(f"{API}/channels/{channel['id']}/inbound")).json()
    assert info["path"] == f"/hooks/reviews/{channel['id']}"
    credentials = base64.b64encode(f"trustpilot:{info['url_token']}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


async def test_review_edit_and_public_reply(
    tenant: Tenant, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    channel, access_token = await review_channel(tenant, sandbox)
    auth = await basic_auth(tenant, channel)
    hook = f"/hooks/reviews/{channel['id']}"
    response = await http.post(hook, json=created_payload(), headers=auth)
    assert response.status_code == 200, response.text
    interaction = await interaction_of(tenant, channel)
    assert interaction["subject"] == "5★ Great service"
    assert interaction["subtype"] == "review"
    assert await event_types(tenant, interaction["id"]) == ["review_received"]

    edit = edited_payload(2, "Changed my mind: the parcel never came.")
    assert (await http.post(hook, json=edit, headers=auth)).status_code == 200
    assert (await http.post(hook, json=edit, headers=auth)).json()["duplicates"] == 1
    assert (await interaction_of(tenant, channel))["id"] == interaction["id"]
    assert await event_types(tenant, interaction["id"]) == ["review_received", "response_received"]
    async with tenant.db.transaction() as session:
        rows = await session.execute(
            select(Message)
            .where(Message.interaction_id == uuid.UUID(interaction["id"]))
            .order_by(Message.seq)
        )
        review, edited = rows.scalars()
    assert review.meta["data"]["stars"] == 5
    assert review.meta["data"]["reference_id"] == "ABC-123-xyz"
    assert review.author_name == "Customer"
    assert edited.meta["data"]["stars"] == 2
    assert "never came" in edited.text

    base = f"{API}/interactions/{interaction['id']}"
    reply = await tenant.agent.client.post(
        f"{base}/messages", json={"text": "We are sorry, a new parcel is on its way."}
    )
    assert reply.status_code == 201, reply.text

    def calls() -> list[Any]:
        return [
            c
            for c in sandbox.calls["trustpilot"]
            if c.headers.get("authorization") == f"Bearer {access_token}"
        ]

    await wait_for(lambda: bool(calls()))
    [call] = calls()
    assert call.method == "POST"
    assert call.path == f"/trustpilot/v1/private/reviews/{REVIEW_ID}/reply"
    assert call.json == {
        "message": "We are sorry, a new parcel is on its way.",
        "authorBusinessUserId": "bu-42",
    }
    await wait_for_status(tenant, reply.json()["id"], "sent")


async def test_a_refused_reply_is_marked_failed(
    tenant: Tenant, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    channel, _ = await review_channel(tenant, sandbox)
    hook = f"/hooks/reviews/{channel['id']}"
    await http.post(hook, json=created_payload(), headers=await basic_auth(tenant, channel))
    interaction = await interaction_of(tenant, channel)
    sandbox.script["trustpilot"].append((404, {"message": "Review not found"}, {}))
    reply = await tenant.agent.client.post(
        f"{API}/interactions/{interaction['id']}/messages", json={"text": "Thanks!"}
    )
    await wait_for_status(tenant, reply.json()["id"], "failed")


async def test_replays_are_stored_once(
    tenant: Tenant, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    channel, _ = await review_channel(tenant, sandbox)
    info = (await tenant.api.get(f"{API}/channels/{channel['id']}/inbound")).json()
    hook = f"/hooks/reviews/{channel['id']}?token={info['url_token']}"
    for times in range(1, 6):
        payload = created_payload()
        payload["events"][0]["eventData"]["id"] = f"{REVIEW_ID}-{times}"
        answers = await asyncio.gather(*(http.post(hook, json=payload) for _ in range(times)))
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert await count_messages(tenant, channel) == 5


async def test_without_the_subscription_secret_nothing_is_stored(
    tenant: Tenant, other_tenant: Tenant, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    channel, _ = await review_channel(tenant, sandbox)
    foreign, _ = await review_channel(other_tenant, sandbox)
    hook = f"/hooks/reviews/{channel['id']}"
    wrong = base64.b64encode(b"trustpilot:guess").decode()
    attempts = [
        await http.post(hook, json=created_payload()),
        await http.post(hook, json=created_payload(), headers={"Authorization": f"Basic {wrong}"}),
        await http.post(
            hook, json=created_payload(), headers=await basic_auth(other_tenant, foreign)
        ),
        await http.post(f"{hook}?token=guess", json=created_payload()),
    ]
    assert [a.status_code for a in attempts] == [401, 401, 401, 401]
    assert attempts[0].headers["www-authenticate"].startswith("Basic")
    assert await count_messages(tenant, channel) == 0
    auth = await basic_auth(tenant, channel)
    assert (await http.post(hook, content=b"{not json", headers=auth)).status_code == 400
    # Review events Parley does not handle are acknowledged and ignored.
    other_event = {"events": [{"eventName": "product-review-created", "eventData": {}}]}
    ignored = await http.post(hook, json=other_event, headers=auth)
    assert ignored.status_code == 200 and ignored.json()["received"] == 0
