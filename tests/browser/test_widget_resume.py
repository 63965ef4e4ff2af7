"""The widget loses its connection while an agent writes; after reconnecting, each message is
shown exactly once (resume by last event id, dedupe by message id), also after a page reload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from parley.config import Settings
from tests.browser.conftest import Probe
from tests.browser.test_widget_chat import HostSite, bubbles, open_host, started_chat
from tests.browser.test_widget_chat import host_site as host_site  # a fixture
from tests.factories import Tenant
from tests.test_webchat_api import make_channel

pytestmark = pytest.mark.browser


async def agent_says(tenant: Tenant, path: str, text: str) -> None:
    response = await tenant.agent.client.post(f"{path}/messages", json={"text": text})
    assert response.status_code == 201, response.text


async def each_once(page: Page, *texts: str) -> None:
    for text in texts:
        await expect(bubbles(page, "agent", text)).to_have_count(1)
    await page.wait_for_timeout(500)  # a late duplicate would show up by now
    for text in texts:
        await expect(bubbles(page, "agent", text)).to_have_count(1)


async def test_offline_then_online_shows_missed_messages_once(
    probe: Probe, host_site: HostSite, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    channel = await make_channel(tenant)
    page = await open_host(probe, host_site, channel)
    path = await started_chat(probe, tenant, channel, "Where is order A1004?")
    await agent_says(tenant, path, "Let me look.")
    await expect(bubbles(page, "agent", "Let me look.")).to_have_count(1)
    status = page.locator("[data-parley-widget] .status")

    await page.context.set_offline(True)
    await expect(status).to_have_text("Reconnecting\u2026")
    await agent_says(tenant, path, "It left our warehouse today.")
    await agent_says(tenant, path, "Tracking: UPS 1Z999.")
    await page.wait_for_timeout(300)
    await expect(bubbles(page, "agent", "Tracking: UPS 1Z999.")).to_have_count(0)
    await page.context.set_offline(False)
    await expect(status).to_have_text("Online")
    await each_once(page, "Let me look.", "It left our warehouse today.", "Tracking: UPS 1Z999.")

    # A reload reads the transcript and resumes: still once each, in order.
    await page.reload()
    await page.locator("[data-parley-widget] .launcher").click()
    await each_once(page, "Let me look.", "It left our warehouse today.", "Tracking: UPS 1Z999.")
    order = await bubbles(page, "agent").locator(".text").all_text_contents()
    assert order == ["Let me look.", "It left our warehouse today.", "Tracking: UPS 1Z999."]
    await expect(bubbles(page, "customer", "Where is order A1004?")).to_have_count(1)
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "widget-after-reconnect.png")
    await probe.assert_clean()


async def test_a_socket_cut_by_the_server_side_resumes_without_duplicates(
    probe: Probe, host_site: HostSite, tenant: Tenant
) -> None:
    channel = await make_channel(tenant)
    sockets: list[WebSocketRoute] = []
    blocked = False

    async def relay(ws: WebSocketRoute) -> None:
        if blocked:
            await ws.close(code=1011, reason="cut")
            return
        ws.connect_to_server()
        sockets.append(ws)

    await probe.page.route_web_socket(re.compile(r"/chats/.*/ws"), relay)
    page = await open_host(probe, host_site, channel)
    path = await started_chat(probe, tenant, channel, "hello")
    await agent_says(tenant, path, "Hi there.")
    await expect(bubbles(page, "agent", "Hi there.")).to_have_count(1)

    blocked = True
    for ws in sockets:
        await ws.close(code=1011, reason="cut")
    await agent_says(tenant, path, "First while cut.")
    await agent_says(tenant, path, "Second while cut.")
    await page.wait_for_timeout(800)  # a few refused reconnects
    blocked = False
    await each_once(page, "Hi there.", "First while cut.", "Second while cut.")
    assert len(sockets) >= 2  # it did reconnect through a new socket
    # Console noise from the refused handshakes is expected here; the page itself stays clean.
    assert probe.page_errors == []
