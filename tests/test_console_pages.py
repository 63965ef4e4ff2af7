"""The console's pages over HTTP: sign-in required, tenants and visibility, escaping, roles."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.console_support import ALL, XSS, seed_xss
from tests.factories import Tenant

PAGES = [
    "/console",
    "/console?status=closed",
    "/console/board",
    "/console/knowledge",
    "/console/procedures",
    "/console/flows",
    "/console/channels",
    "/console/users",
    "/console/api-keys",
    "/console/webhooks",
    "/console/canned-replies",
]


@pytest.mark.parametrize("path", [*PAGES, "/console/i/1"])
async def test_signed_out_visitors_go_to_sign_in(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_fragments_answer_401_when_signed_out(http: httpx.AsyncClient) -> None:
    response = await http.get("/console/i/1/messages", headers={"X-Parley-Fragment": "1"})
    assert response.status_code == 401


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_renders_for_an_admin(tenant: Tenant, path: str) -> None:
    await tenant.create_interaction()
    response = await tenant.admin.client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    # No inline scripts or handlers: every script is a file from our origin.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text)
    assert not re.search(r"\son[a-z]+\s*=", response.text)


async def test_the_list_shows_open_and_closed(tenant: Tenant) -> None:
    first = await tenant.create_interaction(subject="Parcel lost")
    await tenant.create_interaction(subject="Refund please")
    await tenant.admin.client.post(f"/api/v1/interactions/{first['id']}/complete", json={})
    client = tenant.agent.client
    open_page = (await client.get("/console")).text
    assert "Refund please" in open_page and "Parcel lost" not in open_page
    closed_page = (await client.get("/console?status=closed")).text
    assert "Parcel lost" in closed_page and "Refund please" not in closed_page
    searched = (await client.get("/console?q=refund")).text
    assert "Refund please" in searched
    assert "Nothing matches" in (await client.get("/console?q=zzzz-nothing")).text


async def test_interaction_page_and_fragments(tenant: Tenant) -> None:
    created = await tenant.create_interaction(subject="Broken kettle", text="It sparks.")
    number = created["number"]
    page = await tenant.agent.client.get(f"/console/i/{number}")
    assert page.status_code == 200
    assert "Broken kettle" in page.text and "It sparks." in page.text
    assert 'id="composer-text"' in page.text
    messages = await tenant.agent.client.get(f"/console/i/{number}/messages?after=0")
    assert messages.text.count('class="msg ') == 1
    after = await tenant.agent.client.get(f"/console/i/{number}/messages?after=1")
    assert 'class="msg ' not in after.text
    panels = await tenant.agent.client.get(f"/console/i/{number}/panels")
    assert 'id="i-header"' in panels.text and 'id="i-activity"' in panels.text


async def test_other_tenants_and_invisible_queues_are_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await other_tenant.create_interaction(subject="Their secret")
    billing = await tenant.create_interaction(
        subject="Billing only", queue_id=str(tenant.queue2.id)
    )
    # The number exists in the other organization only (or names another interaction here).
    response = await tenant.agent.client.get(f"/console/i/{theirs['number'] + 1000}")
    assert response.status_code == 404
    own = await tenant.agent.client.get(f"/console/i/{theirs['number']}")
    assert "Their secret" not in own.text
    # Agent 1 is not in Billing: the interaction does not exist for them, page or fragment.
    for path in ("", "/messages", "/panels"):
        hidden = await tenant.agent.client.get(f"/console/i/{billing['number']}{path}")
        assert hidden.status_code == 404
        assert "Billing only" not in hidden.text
    assert "Billing only" not in (await tenant.agent.client.get("/console")).text
    assert (await tenant.agent2.client.get(f"/console/i/{billing['number']}")).status_code == 200


async def test_roles_gate_the_board_and_settings(tenant: Tenant) -> None:
    agent = tenant.agent.client
    assert (await agent.get("/console/board")).status_code == 403
    assert (await agent.get("/console/board/panel")).status_code == 403
    for path in ("/console/flows", "/console/channels", "/console/api-keys", "/console/webhooks"):
        assert (await agent.get(path)).status_code == 403
        assert (await tenant.supervisor.client.get(path)).status_code == 403
    assert (await tenant.supervisor.client.get("/console/board")).status_code == 200
    assert (await tenant.supervisor.client.get("/console/users")).status_code == 200
    assert (await agent.get("/console/canned-replies")).status_code == 403
    assert (await tenant.supervisor.client.get("/console/canned-replies")).status_code == 200
    assert "API keys" not in (await agent.get("/console")).text


async def test_customer_markup_is_escaped_everywhere(tenant: Tenant) -> None:
    created = await seed_xss(tenant)
    number = created["number"]
    for path in (f"/console/i/{number}", f"/console/i/{number}/panels", "/console"):
        body = (await tenant.admin.client.get(path)).text
        for payload in XSS:
            assert payload not in body, (path, payload)
        assert "window.__xss" not in body.replace("window.__xss(&#39;", "").replace(
            "window.__xss(&#34;", ""
        )
    page = (await tenant.admin.client.get(f"/console/i/{number}")).text
    assert "&lt;script&gt;window.__xss(&#34;script&#34;)&lt;/script&gt;" in page
    # Email HTML is cleaned (no scripts, handlers, javascript: links) and framed without rights.
    frame = re.search(r'<iframe sandbox="" [^>]*srcdoc="([^"]*)"', page)
    assert frame is not None
    assert "&lt;b&gt;team&lt;/b&gt;" in frame.group(1)
    for banned in ("script", "onerror", "onload", "javascript:", "srcdoc", "&lt;style"):
        assert banned not in frame.group(1), banned
    assert ALL not in page
