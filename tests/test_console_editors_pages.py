"""The knowledge-base and procedure pages over HTTP: who edits, tenants, escaping, no inline
script (the browser flows are in tests/browser/test_console_editors.py)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from parley.web.console.editors import PROCEDURE_TEMPLATE
from tests.browser.console_support import XSS
from tests.factories import Tenant


class _Tags(HTMLParser):
    """Every tag's attribute names, and scripts without src, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.handlers: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        self.handlers += [f"{tag} {n}" for n in names if n.startswith("on")]
        if tag == "script" and "src" not in names:
            self.inline_scripts += 1


def _no_inline_script(html: str) -> None:
    """No inline script and no on* handler attribute (customer text containing ``onerror=``
    is escaped into text or attribute values, which is not a handler)."""
    tags = _Tags()
    tags.feed(html)
    assert tags.inline_scripts == 0
    assert tags.handlers == []


async def _procedure(tenant: Tenant, description: str = "Look up orders") -> dict[str, str]:
    source = PROCEDURE_TEMPLATE.replace(
        "description: Tell a customer we are looking at their order.",
        "description: " + json.dumps(description),
    )
    saved = await tenant.admin.client.post("/api/v1/procedures", json={"source": source})
    assert saved.status_code == 201, saved.text
    data: dict[str, str] = saved.json()
    return data


async def test_procedure_pages_and_who_may_edit(tenant: Tenant, other_tenant: Tenant) -> None:
    saved = await _procedure(tenant)
    admin, supervisor, agent = tenant.admin.client, tenant.supervisor.client, tenant.agent.client
    listing = await agent.get("/console/procedures")
    assert listing.status_code == 200 and "new_procedure" in listing.text
    assert 'id="proc-new"' not in listing.text
    assert 'id="proc-new"' in (await admin.get("/console/procedures")).text

    new = await admin.get("/console/procedures/new")
    assert new.status_code == 200
    assert "name: new_procedure" in new.text and 'id="proc-save"' in new.text
    _no_inline_script(new.text)
    assert '<script src="/static/console-editors.js" defer></script>' in new.text
    for client in (supervisor, agent):
        assert (await client.get("/console/procedures/new")).status_code == 403

    mine = f"/console/procedures/{saved['id']}"
    editable = await admin.get(mine)
    assert editable.status_code == 200
    assert 'id="proc-save"' in editable.text and 'id="proc-toggle"' in editable.text
    _no_inline_script(editable.text)
    readonly = (await agent.get(mine)).text
    assert "readonly" in readonly and 'id="proc-save"' not in readonly
    assert 'id="proc-test"' in readonly

    # Another organization's procedure, or a malformed id, is a 404 page.
    assert (await other_tenant.admin.client.get(mine)).status_code == 404
    assert (await admin.get("/console/procedures/not-an-id")).status_code == 404


async def test_procedure_text_is_escaped(tenant: Tenant) -> None:
    saved = await _procedure(tenant, description=" ".join(XSS))
    for path in ("/console/procedures", f"/console/procedures/{saved['id']}"):
        body = (await tenant.admin.client.get(path)).text
        for payload in XSS:
            assert payload not in body, (path, payload)
    editor = (await tenant.admin.client.get(f"/console/procedures/{saved['id']}")).text
    # The source sits in the textarea escaped: "</textarea>" cannot close it early.
    assert editor.count("</textarea>") == 1
    assert "&lt;/textarea&gt;&lt;script&gt;" in editor


async def test_knowledge_page_roles_tenants_search_and_escaping(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    admin = tenant.admin.client
    collection = (
        await admin.post("/api/v1/knowledge/collections", json={"name": XSS[1][:100]})
    ).json()
    cid = collection["id"]
    faq = await admin.post(
        f"/api/v1/knowledge/collections/{cid}/faqs",
        json={"question": "Parcel help " + XSS[0], "answer": " ".join(XSS), "alternatives": XSS},
    )
    assert faq.status_code == 201, faq.text

    page = await admin.get(f"/console/knowledge?collection={cid}&q=parcel+help")
    assert page.status_code == 200
    _no_inline_script(page.text)
    for payload in XSS:
        assert payload not in page.text, payload
    assert 'class="kb-hit"' in page.text and "Source: faq" in page.text
    assert 'id="faq-form"' in page.text

    # Supervisors edit the knowledge base (the API lets them); agents only read and search.
    assert 'id="faq-form"' in (await tenant.supervisor.client.get("/console/knowledge")).text
    agent_page = (await tenant.agent.client.get("/console/knowledge?q=parcel")).text
    assert 'id="faq-form"' not in agent_page and 'id="collection-form"' not in agent_page
    assert "faq-edit" not in agent_page and 'class="kb-hit"' in agent_page

    # Another organization neither opens the collection nor finds its FAQs.
    theirs = other_tenant.admin.client
    assert (await theirs.get(f"/console/knowledge?collection={cid}")).status_code == 404
    assert (await admin.get("/console/knowledge?collection=nope")).status_code == 404
    found = (await theirs.get("/console/knowledge?q=parcel+help")).text
    assert 'class="kb-hit"' not in found and "Nothing found" in found
