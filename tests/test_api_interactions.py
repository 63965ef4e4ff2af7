"""The interactions API as an agent and an integration use it: filters, pages, the lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories import Tenant


async def _ids(tenant: Tenant, client: Any = None, **params: Any) -> list[str]:
    response = await (client or tenant.api).get("/api/v1/interactions", params=params)
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()["items"]]


async def test_filters(tenant: Tenant) -> None:
    a = await tenant.create_interaction(subject="Tent pole snapped", tags=["returns"])
    b = await tenant.create_interaction(
        queue_id=str(tenant.queue2.id),
        communication_type="email",
        subject="Invoice copy",
        text="Could you send the VAT invoice?",
    )
    c = await tenant.create_interaction(contact_id=None, queue_id=None, subject="Bot only")
    await tenant.agent.client.post(f"/api/v1/interactions/{a['id']}/claim")
    await tenant.api.post(f"/api/v1/interactions/{b['id']}/complete", json={})

    assert set(await _ids(tenant, status="open")) == {a["id"], c["id"]}
    assert await _ids(tenant, status="closed") == [b["id"]]
    assert await _ids(tenant, state="automated") == [c["id"]]
    assert set(await _ids(tenant, state=["automated", "assigned"])) == {a["id"], c["id"]}
    assert await _ids(tenant, queue_id=str(tenant.queue2.id)) == [b["id"]]
    assert await _ids(tenant, assignee_id=str(tenant.agent.user.id)) == [a["id"]]
    assert await _ids(tenant, tenant.agent.client, assignee_id="me") == [a["id"]]
    assert set(await _ids(tenant, assignee_id="none")) == {b["id"], c["id"]}
    assert set(await _ids(tenant, contact_id=str(tenant.contact.id))) == {a["id"], b["id"]}
    assert await _ids(tenant, communication_type="email") == [b["id"]]
    assert await _ids(tenant, tag="Returns") == [a["id"]]
    assert await _ids(tenant, q="vat invoice") == [b["id"]]  # message text
    assert await _ids(tenant, q="tent POLE") == [a["id"]]  # subject
    assert set(await _ids(tenant, q="joe bloggs")) == {a["id"], b["id"]}  # contact name
    assert await _ids(tenant, q=f"#{c['number']}") == [c["id"]]
    assert await _ids(tenant, q="100%_") == []  # LIKE wildcards are literal
    now = datetime.now(UTC)
    assert len(await _ids(tenant, created_after=(now - timedelta(minutes=5)).isoformat())) == 3
    assert await _ids(tenant, created_before=(now - timedelta(minutes=5)).isoformat()) == []


async def test_cursor_pagination_walks_everything_once(tenant: Tenant) -> None:
    created = [(await tenant.create_interaction(subject=f"n{n}"))["id"] for n in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = (await tenant.api.get("/api/v1/interactions", params=params)).json()
        seen += [i["id"] for i in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        # Rows created while paging do not disturb the pages already handed out.
        if pages == 1:
            await tenant.create_interaction(subject="late arrival")
    assert pages == 3
    assert seen == list(reversed(created))


async def test_agent_works_an_interaction_end_to_end(tenant: Tenant) -> None:
    agent = tenant.agent.client
    created = await tenant.create_interaction()
    iid = created["id"]
    assert (await agent.post(f"/api/v1/interactions/{iid}/claim")).json()["state"] == "assigned"
    sent = await agent.post(f"/api/v1/interactions/{iid}/messages", json={"text": "On its way!"})
    assert sent.status_code == 201 and sent.json()["role"] == "agent"
    assert sent.json()["author_id"] == str(tenant.agent.user.id)
    note = await agent.post(f"/api/v1/interactions/{iid}/notes", json={"text": "Courier: DPD"})
    assert note.json()["kind"] == "note"
    tags = await agent.post(f"/api/v1/interactions/{iid}/tags", json={"add": ["delivery"]})
    assert tags.json()["tags"] == ["delivery"]
    moved = await agent.post(
        f"/api/v1/interactions/{iid}/transfer",
        json={"queue_id": str(tenant.queue2.id), "note": "billing question"},
    )
    assert moved.json()["state"] == "queued"
    await tenant.agent2.client.post(f"/api/v1/interactions/{iid}/claim")
    assert (
        await tenant.agent2.client.post(f"/api/v1/interactions/{iid}/wrap-up")
    ).status_code == 200
    done = await tenant.agent2.client.post(
        f"/api/v1/interactions/{iid}/complete",
        json={"outcome": "resolved", "disposition": "refund issued"},
    )
    assert done.json()["completed_by_id"] == str(tenant.agent2.user.id)
    # The first agent handed it to Billing, a queue they do not work: it is no longer theirs to see.
    assert (await agent.get(f"/api/v1/interactions/{iid}")).status_code == 404
    agent = tenant.agent2.client
    edited = await agent.patch(f"/api/v1/interactions/{iid}", json={"notes": "all good"})
    assert edited.status_code == 200 and edited.json()["notes"] == "all good"
    clone = await agent.post(f"/api/v1/interactions/{iid}/clone")
    assert clone.status_code == 201 and clone.json()["cloned_from_id"] == iid

    detail = (await agent.get(f"/api/v1/interactions/{iid}")).json()
    assert [m["seq"] for m in detail["messages"]] == [1, 2, 3, 4]
    assert [a["kind"] for a in detail["activity"]] == [
        "created",
        "message",
        "claimed",
        "message",
        "note",
        "tagged",
        "note",
        "transferred",
        "claimed",
        "wrapped_up",
        "completed",
        "edited",
        "cloned",
    ]
    assert all(a["actor_name"] for a in detail["activity"])
    one = await agent.get(f"/api/v1/messages/{sent.json()['id']}")
    assert one.json()["text"] == "On its way!"
    listed = await agent.get(f"/api/v1/interactions/{iid}/messages")
    assert [m["text"] for m in listed.json()][:2] == [
        "Hi, my parcel has not arrived.",
        "On its way!",
    ]


async def test_agent_cannot_take_someone_elses_interaction(tenant: Tenant) -> None:
    created = await tenant.create_interaction()
    iid = created["id"]
    await tenant.agent.client.post(f"/api/v1/interactions/{iid}/claim")
    for path, body in (("messages", {"text": "mine now"}), ("complete", {}), ("wrap-up", None)):
        r = await tenant.agent2.client.post(f"/api/v1/interactions/{iid}/{path}", json=body)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    # A supervisor may step in.
    r = await tenant.supervisor.client.post(
        f"/api/v1/interactions/{iid}/messages", json={"text": "Hi"}
    )
    assert r.status_code == 201


async def test_directory_endpoints(tenant: Tenant) -> None:
    users = (await tenant.api.get("/api/v1/users")).json()
    assert {u["role"] for u in users} == {"admin", "supervisor", "agent"} and len(users) == 4
    me = (await tenant.agent.client.get("/api/v1/me")).json()
    assert me["id"] == str(tenant.agent.user.id) and me["role"] == "agent" and me["csrf_token"]
    queues = (await tenant.api.get("/api/v1/queues")).json()
    assert [q["name"] for q in queues] == ["Billing", "Support"]
    created = await tenant.api.post(
        "/api/v1/queues", json={"name": "Returns", "member_ids": [str(tenant.agent.user.id)]}
    )
    assert created.status_code == 201 and created.json()["member_ids"] == [
        str(tenant.agent.user.id)
    ]
    dup = await tenant.api.post("/api/v1/queues", json={"name": "Returns"})
    assert dup.status_code == 409
    denied = await tenant.agent.client.post("/api/v1/queues", json={"name": "Mine"})
    assert denied.status_code == 403
    renamed = await tenant.api.patch(
        f"/api/v1/queues/{created.json()['id']}", json={"name": "Returns & Exchanges"}
    )
    assert renamed.json()["name"] == "Returns & Exchanges"
    contact = await tenant.api.post(
        "/api/v1/contacts", json={"name": "Ann", "email": "ann@x.example"}
    )
    assert (
        contact.status_code == 201 and contact.json()["identities"][0]["value"] == "ann@x.example"
    )
    found = (await tenant.api.get("/api/v1/contacts", params={"q": "ann@"})).json()["items"]
    assert [c["id"] for c in found] == [contact.json()["id"]]
    clash = await tenant.api.post("/api/v1/contacts", json={"email": "ANN@x.example"})
    assert clash.status_code == 409
