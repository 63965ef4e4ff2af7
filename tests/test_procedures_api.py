"""Procedures, AI agents and secrets through the API: validated, versioned, organization-scoped."""

from __future__ import annotations

from pathlib import Path

from parley.automation.procedures.agents import agent_for_channel, load_secrets
from parley.automation.procedures.store import active_procedures
from tests.factories import Tenant

API = "/api/v1"
DEMO = Path(__file__).resolve().parent.parent / "parley" / "demo" / "procedures"
SIMPLE = """\
name: greet
description: Say hello.
triggers:
  examples: [hello]
steps:
  - say: "Hello {{contact.name|there}}!"
  - resolve: {}
tests:
  - name: says hello
    conversation:
      - user: hi
        replies: ["Hello there!"]
    expect: {resolve: resolved}
"""


async def test_save_version_activate_and_list(tenant: Tenant) -> None:
    saved = await tenant.api.post(f"{API}/procedures", json={"source": SIMPLE})
    assert saved.status_code == 201, saved.text
    first = saved.json()
    assert (first["name"], first["version"], first["is_active"]) == ("greet", 1, True)
    assert first["description"] == "Say hello." and first["source"] == SIMPLE.strip()
    again = await tenant.api.post(
        f"{API}/procedures", json={"source": SIMPLE.replace("Hello", "Hi")}
    )
    assert again.json()["version"] == 2
    off = await tenant.api.post(f"{API}/procedures/{first['id']}/deactivate")
    assert (off.json()["version"], off.json()["is_active"]) == (3, False)
    versions = await tenant.api.get(f"{API}/procedures/{first['id']}/versions")
    assert [v["version"] for v in versions.json()] == [3, 2, 1]
    listed = await tenant.api.get(f"{API}/procedures")
    assert [(p["name"], p["version"]) for p in listed.json()] == [("greet", 3)]
    async with tenant.db.transaction() as session:
        assert await active_procedures(session, tenant.org.id) == []
    on = await tenant.api.post(f"{API}/procedures/{first['id']}/activate")
    assert on.json()["is_active"] is True
    async with tenant.db.transaction() as session:
        [(row, definition)] = await active_procedures(session, tenant.org.id)
    assert (row.version, definition.name) == (4, "greet")


async def test_invalid_procedures_say_where_and_why(tenant: Tenant) -> None:
    broken = SIMPLE.replace("  - resolve: {}", "  - resolve: {outcome: maybe}")
    r = await tenant.api.post(f"{API}/procedures/validate", json={"source": broken})
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert fields["steps.1.resolve.outcome"].startswith("line 7: ")
    ok = await tenant.api.post(f"{API}/procedures/validate", json={"source": SIMPLE})
    assert ok.status_code == 200 and ok.json()["name"] == "greet"
    assert (await tenant.api.get(f"{API}/procedures")).json() == []


async def test_run_a_procedures_tests_without_saving(tenant: Tenant) -> None:
    r = await tenant.api.post(f"{API}/procedures/test", json={"source": SIMPLE})
    assert r.status_code == 200, r.text
    assert r.json()["passed"] is True and r.json()["tests"][0]["test"] == "says hello"
    failing = SIMPLE.replace('replies: ["Hello there!"]', 'replies: ["Bye"]')
    r = await tenant.api.post(f"{API}/procedures/test", json={"source": failing})
    assert r.json()["passed"] is False
    assert "reply 1 is 'Hello there!'" in r.json()["tests"][0]["failures"][0]


async def test_import_is_all_or_nothing(tenant: Tenant) -> None:
    files = [
        {"filename": p.name, "source": p.read_text(encoding="utf-8")}
        for p in sorted(DEMO.glob("*.yaml"))
    ]
    bad = [*files, {"filename": "broken.yaml", "source": "name: x\ntriggers: {}\nsteps: []\n"}]
    r = await tenant.api.post(f"{API}/procedures/import", json={"files": bad})
    assert r.status_code == 422
    assert all(k.startswith(f"files.{len(files)}.") for k in r.json()["error"]["fields"])
    assert all(v.startswith("broken.yaml: ") for v in r.json()["error"]["fields"].values())
    assert (await tenant.api.get(f"{API}/procedures")).json() == []
    r = await tenant.api.post(f"{API}/procedures/import", json={"files": files})
    assert r.status_code == 201, r.text
    assert len(r.json()) == len(files) >= 5


async def test_only_admins_change_procedures(tenant: Tenant) -> None:
    for person in (tenant.agent, tenant.supervisor):
        r = await person.client.post(f"{API}/procedures", json={"source": SIMPLE})
        assert r.status_code == 403, r.text
        r = await person.client.post(f"{API}/secrets", json={"name": "x", "value": "y"})
        assert r.status_code == 403
        assert (await person.client.get(f"{API}/secrets")).status_code == 403
    r = await tenant.admin.client.post(f"{API}/procedures", json={"source": SIMPLE})
    assert r.status_code == 201
    assert (await tenant.agent.client.get(f"{API}/procedures")).status_code == 200


async def test_tool_hosts_are_vetted_on_save(tenant: Tenant) -> None:
    source = SIMPLE.replace(
        "steps:",
        "tools:\n  t:\n    url: https://169.254.169.254/latest/{{message}}\nsteps:",
    )
    r = await tenant.api.post(f"{API}/procedures", json={"source": source})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "unsafe_url"
    assert "tools.t.url" in r.json()["error"]["fields"]


async def test_ai_agents(tenant: Tenant) -> None:
    await tenant.api.post(f"{API}/procedures", json={"source": SIMPLE})
    unknown = await tenant.api.post(
        f"{API}/ai-agents", json={"name": "Ava", "procedures": ["greet", "nope"]}
    )
    assert unknown.status_code == 422
    assert "nope" in unknown.json()["error"]["fields"]["procedures"]
    chat = await tenant.api.post(
        f"{API}/ai-agents",
        json={
            "name": "Ava",
            "greeting": "Hi, I'm Ava.",
            "tone": "warm, brief",
            "procedures": ["greet"],
            "knowledge_collections": ["faq"],
            "channel_kinds": ["webchat"],
            "is_default": True,
        },
    )
    assert chat.status_code == 201, chat.text
    mail = await tenant.api.post(
        f"{API}/ai-agents", json={"name": "Max", "channel_kinds": ["email"], "is_default": True}
    )
    assert mail.status_code == 201
    assert (await tenant.api.get(f"{API}/ai-agents/{chat.json()['id']}")).json()[
        "is_default"
    ] is False
    taken = await tenant.api.post(f"{API}/ai-agents", json={"name": "Ava"})
    assert taken.status_code == 409
    r = await tenant.api.patch(f"{API}/ai-agents/{chat.json()['id']}", json={"llm_model": "m"})
    assert r.status_code == 200 and r.json()["llm_model"] == "m"
    r = await tenant.api.patch(f"{API}/ai-agents/{chat.json()['id']}", json={"name": None})
    assert r.status_code == 422
    async with tenant.db.transaction() as session:
        webchat = await agent_for_channel(
            session, organization_id=tenant.org.id, channel_kind="webchat"
        )
        sms = await agent_for_channel(session, organization_id=tenant.org.id, channel_kind="sms")
    assert webchat is not None and webchat.name == "Ava"
    assert sms is not None and sms.name == "Max"  # the default
    r = await tenant.api.delete(f"{API}/ai-agents/{mail.json()['id']}")
    assert r.status_code == 204
    assert [a["name"] for a in (await tenant.api.get(f"{API}/ai-agents")).json()] == ["Ava"]


async def test_secrets_are_write_only_and_scoped(tenant: Tenant, other_tenant: Tenant) -> None:
    r = await tenant.api.post(f"{API}/secrets", json={"name": "shop_api_token", "value": "s3cr3t"})
    assert r.status_code == 200 and "s3cr3t" not in r.text
    again = await tenant.api.post(f"{API}/secrets", json={"name": "shop_api_token", "value": "v2"})
    assert again.json()["id"] == r.json()["id"]
    listed = await tenant.api.get(f"{API}/secrets")
    assert [s["name"] for s in listed.json()] == ["shop_api_token"] and "v2" not in listed.text
    async with tenant.db.transaction() as session:
        assert await load_secrets(session, organization_id=tenant.org.id) == {
            "shop_api_token": "v2"
        }
        assert await load_secrets(session, organization_id=other_tenant.org.id) == {}
    gone = await tenant.api.delete(f"{API}/secrets/{r.json()['id']}")
    assert gone.status_code == 204
    assert (await tenant.api.get(f"{API}/secrets")).json() == []
