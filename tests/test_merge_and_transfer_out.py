"""Agent work beyond one queue: merging two interactions of a contact, and transfers out of
Parley (the transcript by email or SMS, a live call bridged to a number), end to end against the
provider sandbox (SMTP sink, Twilio's wire format)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from parley.actions.messages import do_add_message
from parley.models.enums import MessageRole
from tests.factories import Tenant
from tests.providers import Sandbox, wait_for
from tests.providers.twilio import new_number, new_sid

API = "/api/v1"


async def twilio_channel(tenant: Tenant, kind: str) -> dict[str, Any]:
    sid = new_sid("AC")
    r = await tenant.api.post(
        f"{API}/channels",
        json={
            "kind": kind,
            "name": f"{kind} {sid[-6:]}",
            "config": {"provider": "twilio", "number": new_number()},
            "secrets": {"account_sid": sid, "auth_token": "token-" + sid},
        },
    )
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def feed(tenant: Tenant, interaction_id: str) -> list[dict[str, Any]]:
    r = await tenant.api.get(f"{API}/interactions/{interaction_id}/activity")
    found: list[dict[str, Any]] = r.json()
    return found


async def wait_for_kind(tenant: Tenant, interaction_id: str, kind: str) -> None:
    """The forward job records its outcome after sending: poll the feed for it."""
    for _ in range(100):
        if kind in [a["kind"] for a in await feed(tenant, interaction_id)]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind!r} in the activity feed")


async def test_forward_the_transcript_by_email(tenant: Tenant, sandbox: Sandbox) -> None:
    work = await tenant.create_interaction(subject="Damaged sofa")
    agent = tenant.agent.client
    await agent.post(f"{API}/interactions/{work['id']}/claim")
    await agent.post(f"{API}/interactions/{work['id']}/notes", json={"text": "SECRET note"})
    r = await agent.post(
        f"{API}/interactions/{work['id']}/transfer-external",
        json={"method": "email", "to": "claims@insurer.example", "note": "Claim 42, photos inside"},
    )
    assert r.status_code == 200, r.text
    await wait_for(lambda: any("claims@insurer.example" in env.rcpt_tos for env, _ in sandbox.mail))
    [(_, mail)] = [(e, m) for e, m in sandbox.mail if "claims@insurer.example" in e.rcpt_tos]
    assert f"#{work['number']}" in str(mail["Subject"]) and "Damaged sofa" in str(mail["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Hi, my parcel has not arrived." in text and "Claim 42, photos inside" in text
    assert "SECRET" not in text  # internal notes never leave
    kinds = [a["kind"] for a in await feed(tenant, work["id"])]
    await wait_for_kind(tenant, work["id"], "forwarded")
    assert "transferred_external" in kinds


async def test_forward_by_sms_and_bridge_a_call(tenant: Tenant, sandbox: Sandbox) -> None:
    sms = await twilio_channel(tenant, "sms")
    work = await tenant.create_interaction(subject="Where is my order?")
    partner = new_number()
    r = await tenant.api.post(
        f"{API}/interactions/{work['id']}/transfer-external",
        json={"method": "sms", "to": partner},
    )
    assert r.status_code == 200, r.text
    await wait_for(lambda: any(c.form.get("To") == [partner] for c in sandbox.calls["twilio"]))
    [call] = [c for c in sandbox.calls["twilio"] if c.form.get("To") == [partner]]
    assert call.form["From"] == [sms["config"]["number"]]
    assert "Hi, my parcel has not arrived." in call.form["Body"][0]

    voice = await twilio_channel(tenant, "voice")
    call_sid = new_sid("CA")
    created = await tenant.api.post(
        f"{API}/interactions",
        json={
            "communication_type": "voice",
            "queue_id": str(tenant.queue.id),
            "contact_id": str(tenant.contact.id),
            "channel_id": voice["id"],
        },
    )
    call_id = created.json()["id"]
    async with tenant.db.transaction() as s:  # the call as Twilio's webhook recorded it
        await do_add_message(
            s,
            actor=tenant.system,
            interaction_id=uuid.UUID(call_id),
            role=MessageRole.system,
            text="Call started",
            meta={"happening": "call_start", "data": {"call_sid": call_sid}},
        )
    expert = new_number()
    r = await tenant.api.post(
        f"{API}/interactions/{call_id}/transfer-external", json={"method": "voice", "to": expert}
    )
    assert r.status_code == 200, r.text
    await wait_for(lambda: any(call_sid in c.path for c in sandbox.calls["twilio-calls"]))
    [bridge] = [c for c in sandbox.calls["twilio-calls"] if call_sid in c.path]
    assert bridge.form["Twiml"] == [f"<Response><Dial>{expert}</Dial></Response>"]
    kinds = [a["kind"] for a in await feed(tenant, call_id)]
    assert "transferred_external" in kinds


async def test_transfer_out_refuses_bad_destinations(tenant: Tenant) -> None:
    work = await tenant.create_interaction()
    url = f"{API}/interactions/{work['id']}/transfer-external"
    bad_email = await tenant.api.post(url, json={"method": "email", "to": "not an address"})
    assert bad_email.status_code == 422 and "to" in bad_email.json()["error"]["fields"]
    bad_phone = await tenant.api.post(url, json={"method": "sms", "to": "0800 CALL ME"})
    assert bad_phone.status_code == 422
    not_a_call = await tenant.api.post(url, json={"method": "voice", "to": "+442079460000"})
    assert not_a_call.status_code == 422 and "method" in not_a_call.json()["error"]["fields"]


async def test_merge_keeps_both_transcripts_in_order(tenant: Tenant) -> None:
    first = await tenant.create_interaction(subject="Order 1", text="A1")
    second = await tenant.create_interaction(subject="Order 1 again", text="B1")
    api = tenant.api
    await api.post(f"{API}/interactions/{first['id']}/messages", json={"text": "A2"})
    await api.post(f"{API}/interactions/{second['id']}/messages", json={"text": "B2"})
    await api.post(f"{API}/interactions/{second['id']}/tags", json={"add": ["duplicate"]})
    r = await api.post(f"{API}/interactions/{first['id']}/merge", json={"source_id": second["id"]})
    assert r.status_code == 200, r.text
    assert "duplicate" in r.json()["tags"]
    detail = (await api.get(f"{API}/interactions/{first['id']}")).json()
    texts = [m["text"] for m in detail["messages"]]
    assert texts == ["A1", "B1", "A2", "B2"]  # interleaved by time
    assert [m["seq"] for m in detail["messages"]] == [1, 2, 3, 4]
    merged = (await api.get(f"{API}/interactions/{second['id']}")).json()
    assert merged["merged_into_id"] == first["id"] and merged["state"] == "completed"
    assert merged["messages"] == []
    assert "merged" in [a["kind"] for a in detail["activity"]]
    assert "merged_into" in [a["kind"] for a in merged["activity"]]
    again = await api.post(
        f"{API}/interactions/{first['id']}/merge", json={"source_id": second["id"]}
    )
    assert again.status_code == 409


async def test_merge_refuses_another_contact_and_what_the_agent_cannot_see(
    tenant: Tenant,
) -> None:
    other = await tenant.api.post(f"{API}/contacts", json={"name": "Someone Else"})
    mine = await tenant.create_interaction()
    theirs = await tenant.create_interaction(contact_id=other.json()["id"])
    r = await tenant.api.post(
        f"{API}/interactions/{mine['id']}/merge", json={"source_id": theirs["id"]}
    )
    assert r.status_code == 422 and "source_id" in r.json()["error"]["fields"]
    billing = await tenant.create_interaction(queue_id=str(tenant.queue2.id))
    # Agent 1 does not work Billing: for them it does not exist.
    r = await tenant.agent.client.post(
        f"{API}/interactions/{mine['id']}/merge", json={"source_id": billing["id"]}
    )
    assert r.status_code == 404
