"""Every console page in a real browser: it renders, says something useful when empty, runs
nothing the CSP refuses, and is saved as a screenshot (test-artifacts/console-*.png)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from parley.config import Settings
from tests.browser.conftest import Probe
from tests.browser.console_support import sign_in
from tests.factories import Tenant

pytestmark = pytest.mark.browser

# path, what the page must show, screenshot name
PAGES = [
    ("/console/flows", "#content h1", "Flows", "console-flows.png"),
    ("/console/channels", "#channels", "Shop chat", "console-channels.png"),
    ("/console/users", "#users", "Agent 1", "console-users.png"),
    ("/console/api-keys", "#api-keys", "tests", "console-api-keys.png"),
    ("/console/webhooks", "#webhooks", "CRM sync", "console-webhooks.png"),
    ("/console/knowledge", "#kb-empty", "No collections yet", "console-knowledge.png"),
    ("/console/procedures", "#procedures-empty", "No procedures yet", "console-procedures.png"),
]


async def test_settings_and_automation_pages(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    admin = tenant.admin.client
    channel = await admin.post("/api/v1/channels", json={"kind": "webchat", "name": "Shop chat"})
    assert channel.status_code == 201, channel.text
    hook = await admin.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "description": "CRM sync"},
    )
    assert hook.status_code == 201, hook.text
    page = probe.page
    await sign_in(page, probe.base_url, tenant.admin.user.email)
    for path, selector, text, shot in PAGES:
        await page.goto(probe.url(path))
        await expect(page.locator(selector)).to_contain_text(text)
        await expect(page.locator(f'.sidenav a[href="{path}"]')).to_have_attribute(
            "aria-current", "page"
        )
        await expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        if settings.is_sqlite:
            await page.screenshot(path=artifacts / shot, full_page=True)
    await probe.assert_clean()


async def test_empty_states_and_not_found(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    page = probe.page
    await sign_in(page, probe.base_url, tenant.agent.user.email)
    await expect(page.locator("#empty-list")).to_contain_text("No open interactions")
    # Agents see no settings and no board in the navigation.
    await expect(page.locator(".sidenav")).not_to_contain_text("Webhooks")
    await expect(page.locator(".sidenav")).not_to_contain_text("Queue board")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-list-empty.png", full_page=True)
    await page.click("#tab-closed")
    await expect(page.locator("#empty-list")).to_contain_text("No closed interactions yet")

    await page.goto(probe.url("/console/i/999999"))
    await expect(page.locator("#page-message h1")).to_have_text("Not found")
    probe.allow_error_document(404, "/console/i/999999")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-not-found.png", full_page=True)
    await page.goto(probe.url("/console/board"))
    await expect(page.locator("#page-message")).to_contain_text("for supervisors")
    probe.allow_error_document(403, "/console/board")
    await probe.assert_clean()


async def test_presence_switcher(probe: Probe, tenant: Tenant) -> None:
    page = probe.page
    await sign_in(page, probe.base_url, tenant.agent.user.email)
    await page.select_option("#presence", "available")
    await expect(page.locator("#presence")).to_have_attribute("data-presence", "available")
    me = await tenant.agent.client.get(f"/api/v1/agents/{tenant.agent.user.id}")
    assert me.json()["presence"] == "available"
    await page.reload()
    await expect(page.locator("#presence")).to_have_value("available")
    await probe.assert_clean()
