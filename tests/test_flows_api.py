"""Flows and channels through the API: validated on save, versioned, traced on every event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from parley import clock
from parley.ingest.event import Happening, InboundEvent, Sender
from parley.ingest.pipeline import do_ingest
from parley.models.enums import ChannelKind, IdentityKind
from tests.factories import Tenant

API = "/api/v1"
VIP_FLOW = """\
name: VIP refunds
event: new_message_received
priority: 5
when:
  text_contains: [refund]
steps:
  - create_interaction: {queue: Billing, priority: high}
  - attach_message: true
  - set_tags: [refund]
"""


async def test_save_validate_and_version_a_flow(tenant: Tenant) -> None:
    saved = await tenant.api.post(f"{API}/flows", json={"source": VIP_FLOW})
    assert saved.status_code == 201, saved.text
    first = saved.json()
    assert (first["name"], first["version"], first["is_active"]) == ("VIP refunds", 1, True)
    again = await tenant.api.post(f"{API}/flows", json={"source": VIP_FLOW.replace("5", "7")})
    assert again.json()["version"] == 2
    versions = await tenant.api.get(f"{API}/flows/{first['id']}/versions")
    assert [v["version"] for v in versions.json()] == [2, 1]
    off = await tenant.api.post(f"{API}/flows/{first['id']}/deactivate")
    assert (off.json()["version"], off.json()["is_active"]) == (3, False)
    listed = await tenant.api.get(f"{API}/flows")
    assert [(f["name"], f["version"]) for f in listed.json()] == [("VIP refunds", 3)]
    on = await tenant.api.post(f"{API}/flows/{first['id']}/activate")
    assert on.json()["is_active"] is True


async def test_invalid_flows_are_refused_with_where_and_why(tenant: Tenant) -> None:
    broken_yaml = await tenant.api.post(f"{API}/flows", json={"source": "name: x\nsteps: [\n"})
    assert broken_yaml.status_code == 422
    assert "line" in broken_yaml.json()["error"]["message"]
    bad = await tenant.api.post(
        f"{API}/flows/validate",
        json={
            "definition": {
                "name": "x",
                "event": "new_message_received",
                "steps": [{"reply": {}}, {"set_priority": "urgent", "close": {}}],
            }
        },
    )
    assert bad.status_code == 422
    fields = bad.json()["error"]["fields"]
    assert "steps.0.reply.text" in fields and "steps.1" in fields
    regex = await tenant.api.post(
        f"{API}/flows/validate",
        json={
            "definition": {
                "name": "x",
                "event": "new_message_received",
                "when": {"text_matches": "(unclosed"},
                "steps": [{"attach_message": True}],
            }
        },
    )
    assert regex.status_code == 422 and "when.text_matches" in regex.json()["error"]["fields"]
    denied = await tenant.agent.client.post(f"{API}/flows", json={"source": VIP_FLOW})
    assert denied.status_code == 403


async def test_every_event_leaves_a_decision_trace(tenant: Tenant) -> None:
    await tenant.api.post(f"{API}/flows", json={"source": VIP_FLOW})
    channel = (
        await tenant.api.post(f"{API}/channels", json={"kind": "sms", "name": "Texts"})
    ).json()
    event = InboundEvent(
        organization_id=tenant.org.id,
        channel_id=uuid.UUID(channel["id"]),
        channel_kind=ChannelKind.sms,
        happening=Happening.message,
        text="I want a refund please",
        provider_message_id="SMx1",
        sender=Sender(identities=((IdentityKind.phone, "+15005550001"),)),
    )
    with clock.frozen(datetime.now(UTC)):
        async with tenant.db.transaction() as s:
            result = await do_ingest(s, event=event)
    assert result.interaction is not None
    detail = (await tenant.api.get(f"{API}/interactions/{result.interaction.id}")).json()
    assert (detail["queue_id"], detail["priority"], detail["tags"]) == (
        str(tenant.queue2.id),
        "high",
        ["refund"],
    )
    runs = (await tenant.api.get(f"{API}/interactions/{result.interaction.id}/flow-runs")).json()
    assert len(runs) == 1
    trace = runs[0]["trace"]
    assert trace["event_type"] == "new_message_received"
    assert trace["flows"][0]["flow"] == "VIP refunds"
    assert trace["flows"][0]["conditions"] == {"text_contains": True}
    assert [s["step"] for s in trace["flows"][0]["steps"]] == [
        "create_interaction",
        "attach_message",
        "set_tags",
    ]


async def test_channels_show_their_secret_once(tenant: Tenant) -> None:
    created = await tenant.api.post(
        f"{API}/channels",
        json={
            "kind": "sms",
            "name": "Support line",
            "config": {"number": "+15005550006"},
            "secrets": {"auth_token": "s3cr3t"},
            "default_queue_id": str(tenant.queue.id),
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert len(body["webhook_secret"]) >= 32
    assert body["secret_names"] == ["auth_token", "webhook_secret"]
    one = (await tenant.api.get(f"{API}/channels/{body['id']}")).json()
    assert "webhook_secret" not in one and "s3cr3t" not in str(one)
    listed = (await tenant.agent.client.get(f"{API}/channels")).json()
    assert any(c["id"] == body["id"] for c in listed) and "s3cr3t" not in str(listed)
    renamed = await tenant.api.patch(f"{API}/channels/{body['id']}", json={"name": "Texts"})
    assert renamed.json()["name"] == "Texts"
    assert (
        await tenant.agent.client.post(f"{API}/channels", json={"kind": "sms", "name": "x"})
    ).status_code == 403
    forged = await tenant.api.post(
        f"{API}/channels", json={"kind": "sms", "name": "x", "secrets": {"webhook_secret": "mine"}}
    )
    assert forged.status_code == 422
