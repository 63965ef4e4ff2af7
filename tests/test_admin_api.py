"""The settings API: API keys, adding people and changing roles, canned replies.

Admin-only where the console says so, tenant-scoped like every other id, and secrets (a new key,
a generated password) answered exactly once.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from parley.actions.sessions import do_sign_in
from parley.config import Settings
from parley.models import ApiKey, IdempotencyKey, Organization, OutboxEvent
from tests.factories import PASSWORDS, Tenant


def _fields(response: httpx.Response) -> dict[str, str]:
    body: dict[str, Any] = response.json()
    fields: dict[str, str] = body["error"]["fields"]
    return fields


async def _key(tenant: Tenant, name: str = "CRM", role: str = "admin") -> dict[str, Any]:
    response = await tenant.admin.client.post("/api/v1/api-keys", json={"name": name, "role": role})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _bearer(tenant: Tenant, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=str(tenant.api.base_url), headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


# --- API keys -------------------------------------------------------------------------------------


async def test_only_admins_manage_keys_people_and_roles(tenant: Tenant) -> None:
    for person in (tenant.agent, tenant.supervisor):
        client = person.client
        assert (await client.get("/api/v1/api-keys")).status_code == 403
        refused = await client.post("/api/v1/api-keys", json={"name": "x", "role": "agent"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        adding = {"email": "new@example.com", "name": "New", "role": "agent"}
        assert (await client.post("/api/v1/users", json=adding)).status_code == 403
        patch = await client.patch(f"/api/v1/users/{tenant.agent2.user.id}", json={"role": "admin"})
        assert patch.status_code == 403
    key = await _key(tenant)
    revoke = await tenant.agent.client.post(f"/api/v1/api-keys/{key['id']}/revoke")
    assert revoke.status_code == 403


async def test_a_new_key_authenticates_and_its_secret_is_shown_once(tenant: Tenant) -> None:
    created = await _key(tenant, "Helpdesk sync", role="supervisor")
    secret = created["key"]
    assert secret.startswith(f"pk_{created['prefix']}_")
    assert created["role"] == "supervisor" and created["revoked_at"] is None
    assert created["created_by_id"] == str(tenant.admin.user.id)
    async with _bearer(tenant, secret) as client:
        me = await client.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json() == {
            "organization_id": str(tenant.org.id),
            "actor_type": "api_key",
            "id": created["id"],
            "name": "API key Helpdesk sync",
            "role": "supervisor",
            "csrf_token": None,
        }
        # The key carries its role: a supervisor key may not manage keys.
        assert (await client.get("/api/v1/api-keys")).status_code == 403
    listed = await tenant.admin.client.get("/api/v1/api-keys")
    assert listed.status_code == 200
    assert secret not in listed.text and secret.rsplit("_", 1)[1] not in listed.text
    mine = [k for k in listed.json() if k["id"] == created["id"]]
    assert len(mine) == 1 and "key" not in mine[0] and "key_hash" not in mine[0]
    assert mine[0]["last_used_at"] is not None
    # The factory's own key is listed too; the list is the organization's only.
    assert {k["name"] for k in listed.json()} == {"tests", "Helpdesk sync"}


async def test_a_new_key_is_not_kept_for_idempotent_replay(tenant: Tenant) -> None:
    headers = {"Idempotency-Key": "same-request-twice"}
    body = {"name": "Retried", "role": "admin"}
    first = await tenant.admin.client.post("/api/v1/api-keys", json=body, headers=headers)
    again = await tenant.admin.client.post("/api/v1/api-keys", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.headers["cache-control"] == "no-store"
    assert "idempotent-replayed" not in again.headers
    assert first.json()["key"] != again.json()["key"]
    async with tenant.db.transaction() as s:
        kept = await s.execute(
            select(IdempotencyKey).where(IdempotencyKey.organization_id == tenant.org.id)
        )
        assert list(kept.scalars()) == []


async def test_a_revoked_key_stops_authenticating(tenant: Tenant) -> None:
    created = await _key(tenant)
    async with _bearer(tenant, created["key"]) as client:
        assert (await client.get("/api/v1/interactions")).status_code == 200
        revoked = await tenant.admin.client.post(f"/api/v1/api-keys/{created['id']}/revoke")
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_at"] is not None
        refused = await client.get("/api/v1/interactions")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthenticated"
    again = await tenant.admin.client.post(f"/api/v1/api-keys/{created['id']}/revoke")
    assert again.status_code == 200
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    # Other keys are untouched.
    assert (await tenant.api.get("/api/v1/interactions")).status_code == 200


async def test_another_organizations_keys_are_404(tenant: Tenant, other_tenant: Tenant) -> None:
    created = await _key(tenant)
    theirs = await other_tenant.admin.client.post(f"/api/v1/api-keys/{created['id']}/revoke")
    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "not_found"
    assert created["id"] not in (await other_tenant.admin.client.get("/api/v1/api-keys")).text
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert (await tenant.admin.client.post(f"/api/v1/api-keys/{bad}/revoke")).status_code == 404
    async with tenant.db.transaction() as s:
        key = await s.get(ApiKey, uuid.UUID(created["id"]))
        assert key is not None and key.revoked_at is None
    async with _bearer(tenant, created["key"]) as client:
        assert (await client.get("/api/v1/me")).status_code == 200


async def test_key_requests_are_validated(tenant: Tenant) -> None:
    admin = tenant.admin.client
    empty = await admin.post("/api/v1/api-keys", json={"name": " ", "role": "admin"})
    assert empty.status_code == 422 and "name" in _fields(empty)
    role = await admin.post("/api/v1/api-keys", json={"name": "x", "role": "owner"})
    assert role.status_code == 422 and "role" in _fields(role)
    extra = await admin.post(
        "/api/v1/api-keys", json={"name": "x", "role": "admin", "key_hash": "0" * 64}
    )
    assert _fields(extra) == {"key_hash": "this field cannot be set"}


# --- people ---------------------------------------------------------------------------------------


async def _sign_in(settings: Settings, tenant: Tenant, email: str, password: str) -> bool:
    async with tenant.db.transaction() as session:
        result = await do_sign_in(
            session,
            settings=settings,
            passwords=PASSWORDS,
            email=email,
            password=password,
            organization_slug=tenant.org.slug,
            ip="10.9.8.7",
            user_agent="pytest",
        )
    return result.session is not None


async def test_adding_a_person_with_a_generated_password(
    tenant: Tenant, settings: Settings
) -> None:
    email = f"Dana@{tenant.org.slug}.example"
    created = await tenant.admin.client.post(
        "/api/v1/users", json={"email": email, "name": "Dana Scully", "role": "agent"}
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    assert body["email"] == email.lower() and body["role"] == "agent"
    assert body["existing_account"] is False and len(body["password"]) >= 10
    assert await _sign_in(settings, tenant, email, body["password"])
    listed = (await tenant.supervisor.client.get("/api/v1/users")).json()
    assert [u["role"] for u in listed if u["id"] == body["id"]] == ["agent"]
    assert body["password"] not in (await tenant.admin.client.get("/api/v1/users")).text

    again = await tenant.admin.client.post(
        "/api/v1/users", json={"email": email.upper(), "name": "Dana", "role": "admin"}
    )
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "that user is already a member of this organization"
    assert _fields(again) == {"email": "already a member"}


async def test_adding_a_person_with_a_chosen_password(tenant: Tenant, settings: Settings) -> None:
    email = f"fox@{tenant.org.slug}.example"
    short = await tenant.admin.client.post(
        "/api/v1/users",
        json={"email": email, "name": "Fox", "role": "supervisor", "password": "short"},
    )
    assert short.status_code == 422
    assert _fields(short) == {"password": "use at least 10 characters"}
    bad = await tenant.admin.client.post(
        "/api/v1/users", json={"email": "not-an-email", "name": "Fox", "role": "agent"}
    )
    assert bad.status_code == 422 and "email" in _fields(bad)
    created = await tenant.admin.client.post(
        "/api/v1/users",
        json={"email": email, "name": "Fox", "role": "supervisor", "password": "trust no one 1013"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["password"] is None and created.json()["role"] == "supervisor"
    assert await _sign_in(settings, tenant, email, "trust no one 1013")


async def test_someone_with_an_account_elsewhere_gets_a_membership(
    tenant: Tenant, other_tenant: Tenant, settings: Settings
) -> None:
    theirs = other_tenant.agent.user
    created = await tenant.admin.client.post(
        "/api/v1/users",
        json={
            "email": theirs.email,
            "name": "Renamed?",
            "role": "supervisor",
            "password": "x" * 12,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    # Their account, their name, their password: only the membership is new.
    assert body["id"] == str(theirs.id) and body["name"] == theirs.name
    assert body["existing_account"] is True and body["password"] is None
    assert not await _sign_in(settings, tenant, theirs.email, "x" * 12)
    # Both organizations list them, each with its own role.
    here = (await tenant.admin.client.get(f"/api/v1/users/{theirs.id}")).json()
    there = (await other_tenant.admin.client.get(f"/api/v1/users/{theirs.id}")).json()
    assert (here["role"], there["role"]) == ("supervisor", "agent")


async def test_changing_a_role(tenant: Tenant, other_tenant: Tenant) -> None:
    agent = tenant.agent
    assert (await agent.client.get("/console/board")).status_code == 403
    changed = await tenant.admin.client.patch(
        f"/api/v1/users/{agent.user.id}", json={"role": "supervisor"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "supervisor"
    # The session reads the role on every request: the change applies at once.
    assert (await agent.client.get("/console/board")).status_code == 200
    nothing = await tenant.admin.client.patch(f"/api/v1/users/{agent.user.id}", json={})
    assert nothing.status_code == 422
    unknown = await tenant.admin.client.patch(
        f"/api/v1/users/{agent.user.id}", json={"is_active": False}
    )
    assert _fields(unknown) == {"is_active": "this field cannot be set"}
    foreign = await other_tenant.admin.client.patch(
        f"/api/v1/users/{agent.user.id}", json={"role": "agent"}
    )
    assert foreign.status_code == 404


async def test_the_last_admin_cannot_step_down(tenant: Tenant) -> None:
    me = tenant.admin
    refused = await me.client.patch(f"/api/v1/users/{me.user.id}", json={"role": "agent"})
    assert refused.status_code == 409
    assert _fields(refused) == {"role": "last admin"}
    promoted = await me.client.patch(
        f"/api/v1/users/{tenant.supervisor.user.id}", json={"role": "admin"}
    )
    assert promoted.status_code == 200
    stepped = await me.client.patch(f"/api/v1/users/{me.user.id}", json={"role": "agent"})
    assert stepped.status_code == 200 and stepped.json()["role"] == "agent"
    assert (await me.client.get("/api/v1/api-keys")).status_code == 403


# --- canned replies -------------------------------------------------------------------------------

REPLIES = [
    {"title": "Greeting", "text": "Hello! How can I help you today?"},
    {"title": "Refund policy", "text": "Refunds take 5-7 working days to reach your account."},
]


async def test_canned_replies_replace_read_and_reach_the_composer(tenant: Tenant) -> None:
    empty = await tenant.agent.client.get("/api/v1/canned-replies")
    assert empty.json() == {"replies": [], "updated_by": None, "updated_at": None}
    flow_secret = (await tenant.admin.client.get("/api/v1/webhooks/flow-secret")).json()
    saved = await tenant.supervisor.client.put(
        "/api/v1/canned-replies",
        json={"replies": [{"title": " Greeting ", "text": REPLIES[0]["text"]}, REPLIES[1]]},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["replies"] == REPLIES
    assert saved.json()["updated_by"] == tenant.supervisor.user.name
    read = (await tenant.agent.client.get("/api/v1/canned-replies")).json()
    assert read["replies"] == REPLIES and read["updated_at"] is not None
    # Other organization settings are kept.
    assert (await tenant.admin.client.get("/api/v1/webhooks/flow-secret")).json() == flow_secret
    created = await tenant.create_interaction()
    page = (await tenant.agent.client.get(f"/console/i/{created['number']}")).text
    assert '<option value="Hello! How can I help you today?">Greeting</option>' in page
    async with tenant.db.transaction() as s:
        org = await s.get(Organization, tenant.org.id)
        assert org is not None and org.settings["canned_replies"] == REPLIES
        events = await s.execute(
            select(OutboxEvent).where(
                OutboxEvent.organization_id == tenant.org.id,
                OutboxEvent.type == "canned_replies.updated",
            )
        )
        [event] = events.scalars()
        assert event.payload["by"] == {
            "type": "user",
            "id": str(tenant.supervisor.user.id),
            "name": tenant.supervisor.user.name,
        }
        assert event.payload["count"] == 2 and event.payload["audience"]["internal"] is True
    # Reordered and one removed: the list is replaced as given.
    again = await tenant.admin.client.put("/api/v1/canned-replies", json={"replies": [REPLIES[1]]})
    assert again.json()["replies"] == [REPLIES[1]]
    cleared = await tenant.admin.client.put("/api/v1/canned-replies", json={"replies": []})
    assert cleared.json()["replies"] == []


async def test_agents_may_not_edit_canned_replies(tenant: Tenant, other_tenant: Tenant) -> None:
    refused = await tenant.agent.client.put("/api/v1/canned-replies", json={"replies": REPLIES})
    assert refused.status_code == 403
    ok = await other_tenant.admin.client.put("/api/v1/canned-replies", json={"replies": REPLIES})
    assert ok.status_code == 200
    # Each organization has its own list.
    assert (await tenant.agent.client.get("/api/v1/canned-replies")).json()["replies"] == []


async def test_canned_replies_validation_names_each_field(tenant: Tenant) -> None:
    async def put(replies: Any) -> httpx.Response:
        return await tenant.supervisor.client.put(
            "/api/v1/canned-replies", json={"replies": replies}
        )

    blank = await put([{"title": "  ", "text": "x"}, {"title": "Ok", "text": ""}])
    assert blank.status_code == 422
    assert blank.json()["error"]["code"] == "invalid_input"
    assert set(_fields(blank)) == {"replies.0.title", "replies.1.text"}
    assert "at least 1 character" in _fields(blank)["replies.0.title"]
    long = await put([{"title": "t" * 81, "text": "x" * 4001}])
    assert set(_fields(long)) == {"replies.0.title", "replies.0.text"}
    assert "at most 80 characters" in _fields(long)["replies.0.title"]
    assert "at most 4000 characters" in _fields(long)["replies.0.text"]
    edge = await put([{"title": "t" * 80, "text": "x" * 4000}])
    assert edge.status_code == 200
    too_many = await put([{"title": f"Reply {n}", "text": "x"} for n in range(201)])
    assert too_many.status_code == 422 and "replies" in _fields(too_many)
    most = await put([{"title": f"Reply {n}", "text": "x"} for n in range(200)])
    assert most.status_code == 200 and len(most.json()["replies"]) == 200
    duplicate = await put(
        [
            {"title": "Refund", "text": "a"},
            {"title": "Other", "text": "b"},
            {"title": "REFUND ", "text": "c"},
        ]
    )
    assert duplicate.status_code == 422
    assert _fields(duplicate) == {"replies.2.title": "reply 1 already has this title"}
    extra = await put([{"title": "a", "text": "b", "html": "<b>"}])
    assert _fields(extra) == {"replies.0.html": "this field cannot be set"}
    not_a_list = await tenant.supervisor.client.put("/api/v1/canned-replies", json=REPLIES)
    assert not_a_list.status_code == 422
    # Nothing invalid was stored: the last valid list (200 replies) is still there.
    read = (await tenant.agent.client.get("/api/v1/canned-replies")).json()
    assert len(read["replies"]) == 200


# --- the console pages that drive these endpoints -------------------------------------------------

MARKUP = "<img src=x onerror=\"window.__xss('img')\">"


async def test_settings_pages_show_stored_text_inert(tenant: Tenant) -> None:
    admin = tenant.admin.client
    await _key(tenant, "Key " + MARKUP)
    await admin.put("/api/v1/canned-replies", json={"replies": [{"title": MARKUP, "text": MARKUP}]})
    hook = {"url": "http://127.0.0.1:9/hook", "description": "Hook " + MARKUP}
    assert (await admin.post("/api/v1/webhooks", json=hook)).status_code == 201
    channel = {"kind": "api", "name": "Channel " + MARKUP}
    assert (await admin.post("/api/v1/channels", json=channel)).status_code == 201
    escaped = "&lt;img src=x onerror=&#34;window.__xss(&#39;img&#39;)&#34;&gt;"
    for path in ("api-keys", "canned-replies", "webhooks", "channels"):
        body = (await admin.get(f"/console/{path}")).text
        assert MARKUP not in body, path
        assert escaped in body, path
        assert '<script src="/static/console-admin.js" defer></script>' in body


async def test_only_admins_get_the_people_form(tenant: Tenant) -> None:
    admin_page = (await tenant.admin.client.get("/console/users")).text
    assert 'id="person-form"' in admin_page and "console-admin.js" in admin_page
    assert admin_page.count('class="role-select user-role"') == 3  # all but the admin
    supervisor_page = (await tenant.supervisor.client.get("/console/users")).text
    assert "person-form" not in supervisor_page and "console-admin.js" not in supervisor_page
    assert "role-select" not in supervisor_page
