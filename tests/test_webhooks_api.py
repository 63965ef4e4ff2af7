"""/api/v1/webhooks: subscribing (SSRF-checked, secret shown once), admins only, tenant-scoped,
the delivery log, redelivery, 410 and secret rotation, against the live server and sandbox.

Every delivery is verified with the ``standardwebhooks`` reference library, never Parley's signer.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook, WebhookVerificationError

from parley.db.engine import Database
from parley.models import OutboxEvent
from tests.factories import Tenant
from tests.providers import Call, Sandbox, wait_for
from tests.providers.webhooks import answer, calls, receiver_url

API = "/api/v1"


async def subscribe(
    tenant: Tenant, sandbox: Sandbox, event_types: list[str], name: str | None = None
) -> tuple[str, dict[str, Any]]:
    """A subscription to a fresh sandbox receiver; returns the receiver's name and the answer."""
    name = name or f"r-{uuid.uuid4().hex[:10]}"
    r = await tenant.api.post(
        f"{API}/webhooks",
        json={"url": receiver_url(sandbox, name), "event_types": event_types, "description": "t"},
    )
    assert r.status_code == 201, r.text
    return name, r.json()


def verified(secret: str, call: Call) -> dict[str, Any]:
    """The payload, after the reference library accepted the signature on the raw bytes."""
    payload: dict[str, Any] = Webhook(secret).verify(call.body, call.headers)
    return payload


async def deliveries(tenant: Tenant, webhook_id: str, **params: Any) -> dict[str, Any]:
    r = await tenant.api.get(f"{API}/webhooks/{webhook_id}/deliveries", params=params)
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


async def logged(tenant: Tenant, webhook_id: str, count: int) -> list[dict[str, Any]]:
    """Wait until the log has ``count`` rows (a row commits just after its request was sent)."""
    for _ in range(200):
        items: list[dict[str, Any]] = (await deliveries(tenant, webhook_id))["items"]
        if len(items) >= count:
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"the delivery log never reached {count} rows")


async def test_subscribe_read_update_delete(tenant: Tenant, sandbox: Sandbox) -> None:
    _, created = await subscribe(tenant, sandbox, ["interaction.*", "note.created"])
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"][6:])) == 32
    assert created["event_types"] == ["interaction.*", "note.created"]
    assert created["is_active"] is True and created["disabled_reason"] is None
    wid = created["id"]
    r = await tenant.api.get(f"{API}/webhooks/{wid}")
    assert r.status_code == 200 and "secret" not in r.json()
    listed = (await tenant.api.get(f"{API}/webhooks")).json()
    assert [w["id"] for w in listed] == [wid] and "secret" not in listed[0]
    assert created["secret"] not in json.dumps(listed)

    r = await tenant.api.patch(
        f"{API}/webhooks/{wid}", json={"event_types": ["message.created"], "description": "x"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["event_types"] == ["message.created"] and r.json()["description"] == "x"
    assert (await tenant.api.patch(f"{API}/webhooks/{wid}", json={})).status_code == 422

    r = await tenant.api.post(f"{API}/webhooks/{wid}/rotate-secret")
    assert r.status_code == 200 and r.json()["secret"] != created["secret"]

    assert (await tenant.api.delete(f"{API}/webhooks/{wid}")).status_code == 204
    assert (await tenant.api.get(f"{API}/webhooks/{wid}")).status_code == 404
    assert (await tenant.api.get(f"{API}/webhooks/{wid}/deliveries")).status_code == 404
    assert (await tenant.api.get(f"{API}/webhooks")).json() == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://2852039166/",  # 169.254.169.254 as one decimal number
        "http://0x7f.1/",
        "ftp://example.com/",
        "http://user:secret@127.0.0.1/",
        "http://0.0.0.0:8080/",
    ],
)
async def test_unsafe_urls_are_refused_when_saved(
    tenant: Tenant, sandbox: Sandbox, url: str
) -> None:
    """The test server allows private addresses (its receivers are on 127.0.0.1); these are
    refused whatever that setting says. The guard with it off is unit-tested in test_ssrf.py."""
    r = await tenant.api.post(f"{API}/webhooks", json={"url": url, "event_types": []})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "unsafe_url" and set(error["fields"]) == {"url"}
    assert (await tenant.api.get(f"{API}/webhooks")).json() == []
    _, sub = await subscribe(tenant, sandbox, [])
    r = await tenant.api.patch(f"{API}/webhooks/{sub['id']}", json={"url": url})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsafe_url"
    assert (await tenant.api.get(f"{API}/webhooks/{sub['id']}")).json()["url"] == sub["url"]


async def test_unknown_event_types_are_refused(tenant: Tenant) -> None:
    for bad in (["interaction.nope"], ["channel.created"], ["*"], ["note.*"]):
        r = await tenant.api.post(
            f"{API}/webhooks", json={"url": "http://127.0.0.1:9/x", "event_types": bad}
        )
        assert r.status_code == 422, r.text
        assert set(r.json()["error"]["fields"]) == {"event_types"}


async def test_only_admins_manage_webhooks(tenant: Tenant, sandbox: Sandbox) -> None:
    _, created = await subscribe(tenant, sandbox, [])
    wid = created["id"]
    for person in (tenant.agent, tenant.supervisor):
        c = person.client
        for r in (
            await c.get(f"{API}/webhooks"),
            await c.get(f"{API}/webhooks/{wid}"),
            await c.post(f"{API}/webhooks", json={"url": "http://127.0.0.1:9/", "event_types": []}),
            await c.patch(f"{API}/webhooks/{wid}", json={"is_active": False}),
            await c.delete(f"{API}/webhooks/{wid}"),
            await c.post(f"{API}/webhooks/{wid}/rotate-secret"),
            await c.get(f"{API}/webhooks/{wid}/deliveries"),
            await c.get(f"{API}/webhooks/flow-secret"),
            await c.post(f"{API}/webhooks/flow-secret/rotate"),
        ):
            assert r.status_code == 403, r.text
    r = await tenant.admin.client.get(f"{API}/webhooks/{wid}")
    assert r.status_code == 200 and r.json()["is_active"] is True


async def test_another_organizations_webhooks_are_404(
    tenant: Tenant, other_tenant: Tenant, sandbox: Sandbox
) -> None:
    name, theirs = await subscribe(other_tenant, sandbox, ["interaction.created"])
    await other_tenant.create_interaction()
    await wait_for(lambda: len(calls(sandbox, name)) == 1)
    (row,) = await logged(other_tenant, theirs["id"], 1)
    wid, did = theirs["id"], row["id"]
    a = tenant.api
    for r in (
        await a.get(f"{API}/webhooks/{wid}"),
        await a.patch(f"{API}/webhooks/{wid}", json={"is_active": False}),
        await a.post(f"{API}/webhooks/{wid}/rotate-secret"),
        await a.get(f"{API}/webhooks/{wid}/deliveries"),
        await a.post(f"{API}/webhooks/{wid}/deliveries/{did}/redeliver"),
        await a.delete(f"{API}/webhooks/{wid}"),
    ):
        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == "not_found"
    assert (await a.get(f"{API}/webhooks")).json() == []
    # A's own webhook with B's delivery id is 404 too.
    _, mine = await subscribe(tenant, sandbox, [])
    r = await a.post(f"{API}/webhooks/{mine['id']}/deliveries/{did}/redeliver")
    assert r.status_code == 404
    after = (await other_tenant.api.get(f"{API}/webhooks/{wid}")).json()
    assert after["is_active"] is True
    assert len(calls(sandbox, name)) == 1
    secret_b = (await other_tenant.api.get(f"{API}/webhooks/flow-secret")).json()["secret"]
    secret_a = (await a.get(f"{API}/webhooks/flow-secret")).json()["secret"]
    assert secret_a != secret_b


async def test_delivery_is_signed_the_standard_way(
    tenant: Tenant, sandbox: Sandbox, db: Database
) -> None:
    name, sub = await subscribe(tenant, sandbox, ["interaction.created"])
    item = await tenant.create_interaction()
    await wait_for(lambda: len(calls(sandbox, name)) == 1)
    (call,) = calls(sandbox, name)
    payload = verified(sub["secret"], call)
    assert payload["type"] == "interaction.created"
    assert payload["data"]["interaction"]["id"] == item["id"]
    assert "audience" not in payload["data"]
    assert payload["timestamp"].endswith("Z")
    # Compact JSON with sorted keys: the same bytes on every attempt.
    assert call.body == json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    assert call.headers["content-type"] == "application/json"
    async with db.transaction() as s:
        event = await s.get(OutboxEvent, uuid.UUID(call.headers["webhook-id"]))
    assert event is not None and event.type == "interaction.created"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(call.body, call.headers)
    with pytest.raises(WebhookVerificationError):
        verified(sub["secret"], Call(**{**call.__dict__, "body": call.body.replace(b"}", b" }")}))

    (row,) = await logged(tenant, sub["id"], 1)
    assert row["succeeded"] is True and row["attempt"] == 1 and row["status_code"] == 200
    assert row["event_id"] == call.headers["webhook-id"]
    assert row["event_type"] == "interaction.created"
    assert row["response_body"] == "ok" and row["error"] is None
    assert row["duration_ms"] >= 0


async def test_the_insight_reaches_subscribers_when_computed(
    tenant: Tenant, sandbox: Sandbox
) -> None:
    name, sub = await subscribe(tenant, sandbox, ["interaction.insight"])
    item = await tenant.create_interaction()
    url = f"{API}/interactions/{item['id']}"
    r = await tenant.api.post(f"{url}/messages", json={"text": "Your refund is on its way."})
    assert r.status_code == 201, r.text
    r = await tenant.api.post(f"{url}/complete", json={})
    assert r.status_code == 200, r.text
    # The insight job runs after the completion commits; its event is delivered like any other.
    await wait_for(lambda: len(calls(sandbox, name)) == 1, within=20)
    payload = verified(sub["secret"], calls(sandbox, name)[0])
    assert payload["type"] == "interaction.insight"
    sent = payload["data"]["interaction"]
    assert sent["id"] == item["id"] and sent["state"] == "completed"
    r = await tenant.api.get(url)
    stored = r.json()
    for field in ("csat", "csat_description", "summary", "keywords", "sentiment_description"):
        assert sent[field] == stored[field], field
    assert sent["csat"] is not None and sent["csat_description"]


async def test_event_types_families_and_internal_notes(tenant: Tenant, sandbox: Sandbox) -> None:
    messages, _ = await subscribe(tenant, sandbox, ["message.*"])
    notes, notes_sub = await subscribe(tenant, sandbox, ["note.created"])
    everything, _ = await subscribe(tenant, sandbox, [])
    item = await tenant.create_interaction()
    url = f"{API}/interactions/{item['id']}"
    r = await tenant.supervisor.client.post(f"{url}/notes", json={"text": "internal only"})
    assert r.status_code == 201, r.text
    r = await tenant.api.post(f"{url}/messages", json={"text": "after the note"})
    assert r.status_code == 201, r.text

    def types(name: str) -> list[str]:
        return [json.loads(c.body)["type"] for c in calls(sandbox, name)]

    await wait_for(lambda: types(messages).count("message.created") == 2)
    await wait_for(lambda: len(types(notes)) == 1)
    await wait_for(lambda: types(everything).count("message.created") == 2)
    assert set(types(messages)) == {"message.created"}
    assert types(notes) == ["note.created"]
    note = verified(notes_sub["secret"], calls(sandbox, notes)[0])
    assert note["data"]["message"]["text"] == "internal only"
    # "Everything" means every public event: interactions and messages, never the note.
    assert "note.created" not in types(everything)
    assert "interaction.created" in types(everything)
    assert all("internal only" not in c.body.decode() for c in calls(sandbox, everything))


async def test_410_disables_until_re_enabled_and_redelivery_keeps_the_id(
    tenant: Tenant, sandbox: Sandbox
) -> None:
    gone, sub = await subscribe(tenant, sandbox, ["interaction.created"])
    witness, _ = await subscribe(tenant, sandbox, ["interaction.created"])
    answer(sandbox, gone, 410)
    await tenant.create_interaction()
    (row,) = await logged(tenant, sub["id"], 1)
    assert row["status_code"] == 410 and not row["succeeded"]
    state = (await tenant.api.get(f"{API}/webhooks/{sub['id']}")).json()
    assert state["is_active"] is False and "410" in state["disabled_reason"]

    # Nothing more is sent while disabled (the witness shows the next event went out).
    await tenant.create_interaction()
    await wait_for(lambda: len(calls(sandbox, witness)) == 2)
    assert len(calls(sandbox, gone)) == 1
    redeliver = f"{API}/webhooks/{sub['id']}/deliveries/{row['id']}/redeliver"
    r = await tenant.api.post(redeliver)
    assert r.status_code == 409, r.text

    r = await tenant.api.patch(f"{API}/webhooks/{sub['id']}", json={"is_active": True})
    assert r.status_code == 200
    assert r.json()["is_active"] is True and r.json()["disabled_reason"] is None
    r = await tenant.api.post(redeliver)
    assert r.status_code == 202, r.text
    assert r.json()["event_id"] == row["event_id"]
    await wait_for(lambda: len(calls(sandbox, gone)) == 2)
    first, again = calls(sandbox, gone)
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == row["event_id"]
    assert again.body == first.body
    verified(sub["secret"], again)
    items = await logged(tenant, sub["id"], 2)
    assert [(i["attempt"], i["succeeded"]) for i in items] == [(1, True), (1, False)]


async def test_rotated_secret_signs_from_then_on(tenant: Tenant, sandbox: Sandbox) -> None:
    name, sub = await subscribe(tenant, sandbox, ["interaction.created"])
    await tenant.create_interaction()
    await wait_for(lambda: len(calls(sandbox, name)) == 1)
    r = await tenant.api.post(f"{API}/webhooks/{sub['id']}/rotate-secret")
    new_secret = r.json()["secret"]
    await tenant.create_interaction()
    await wait_for(lambda: len(calls(sandbox, name)) == 2)
    verified(sub["secret"], calls(sandbox, name)[0])
    verified(new_secret, calls(sandbox, name)[1])
    with pytest.raises(WebhookVerificationError):
        verified(sub["secret"], calls(sandbox, name)[1])


async def test_delivery_log_pages_newest_first(
    tenant: Tenant, sandbox: Sandbox, db: Database
) -> None:
    _, sub = await subscribe(tenant, sandbox, ["interaction.created"])
    for _ in range(3):
        await tenant.create_interaction()
    await logged(tenant, sub["id"], 3)
    first = await deliveries(tenant, sub["id"], limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = await deliveries(tenant, sub["id"], limit=2, cursor=first["next_cursor"])
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    rows = first["items"] + rest["items"]
    stamps = [r["created_at"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    async with db.transaction() as s:
        ids = {
            str(i)
            for i in (
                await s.execute(
                    select(OutboxEvent.id).where(
                        OutboxEvent.organization_id == tenant.org.id,
                        OutboxEvent.type == "interaction.created",
                    )
                )
            ).scalars()
        }
    assert {r["event_id"] for r in rows} == ids
    r = await tenant.api.get(f"{API}/webhooks/{sub['id']}/deliveries", params={"cursor": "junk"})
    assert r.status_code == 422
