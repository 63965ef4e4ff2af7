"""Live updates: the connection indicator follows the real socket, a cut connection catches up
(nothing lost, nothing twice), and the supervisor's board moves on its own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from parley.config import Settings
from tests.browser.conftest import Probe
from tests.browser.console_support import sign_in
from tests.factories import Tenant

pytestmark = pytest.mark.browser
RECONNECT_MS = 25_000  # the console backs off up to 15 s between attempts


class Cable:
    """Every console socket goes through here; ``cut`` drops them and refuses new ones."""

    def __init__(self) -> None:
        self.up = True
        self.live: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        self.refused = 0

    async def attach(self, page: Page) -> None:
        await page.route_web_socket(re.compile(r".*/api/v1/events.*"), self._route)

    async def _route(self, ws: WebSocketRoute) -> None:
        if not self.up:
            self.refused += 1
            await ws.close(code=1011, reason="cable cut")
            return
        self.live.append((ws, ws.connect_to_server()))

    async def cut(self) -> None:
        self.up = False
        for page_side, server_side in self.live:
            await server_side.close()
            await page_side.close(code=1011, reason="cable cut")
        self.live.clear()


def _normalize(html: str) -> str:
    """Markup as the browser holds it, ignoring whitespace between elements."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


async def _snapshot(page: Page) -> dict[str, Any]:
    return {
        "transcript": _normalize(await page.locator("#transcript").inner_html()),
        "count": await page.locator("#message-count").inner_text(),
        "details": _normalize(await page.locator("#i-details").inner_html()),
        "activity": _normalize(await page.locator("#i-activity").inner_html()),
        "ids": await page.locator("#transcript li.msg").evaluate_all(
            "els => els.map(e => e.dataset.id)"
        ),
    }


async def test_cut_socket_goes_offline_and_catches_up_like_a_fresh_load(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    created = await tenant.create_interaction(subject="Flaky wifi", text="Hello?")
    iid, number = created["id"], created["number"]
    page = probe.page
    cable = Cable()
    await cable.attach(page)
    await sign_in(page, probe.base_url, tenant.agent2.user.email, f"/console/i/{number}")
    conn = page.locator("#conn")
    await expect(conn).to_have_attribute("data-state", "online")
    await expect(conn).to_have_text("Live")
    transcript = page.locator("#transcript li.msg")
    await expect(transcript).to_have_count(1)

    # Live while connected.
    await tenant.api.post(f"/api/v1/interactions/{iid}/messages", json={"text": "Anyone there?"})
    await expect(transcript).to_have_count(2)

    await cable.cut()
    await expect(conn).to_have_attribute("data-state", "offline")
    await expect(conn).to_contain_text("Offline")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-offline.png")

    # While the agent is cut off: customer messages, a colleague's note, a claim.
    for n in range(3):
        response = await tenant.api.post(
            f"/api/v1/interactions/{iid}/messages", json={"text": f"Still waiting {n}"}
        )
        assert response.status_code == 201
    supervisor = tenant.supervisor.client
    note = await supervisor.post(f"/api/v1/interactions/{iid}/notes", json={"text": "VIP"})
    assert note.status_code == 201
    assert (await tenant.agent2.client.post(f"/api/v1/interactions/{iid}/claim")).status_code == 200
    await page.wait_for_timeout(1500)
    assert await transcript.count() == 2  # really cut: nothing arrived
    assert cable.refused >= 1  # and the console kept trying

    cable.up = True
    await expect(conn).to_have_attribute("data-state", "online", timeout=RECONNECT_MS)
    await expect(transcript).to_have_count(6)
    await expect(page.locator("#d-assignee")).to_have_text(tenant.agent2.user.name)
    await page.wait_for_timeout(500)  # let any late duplicate show itself
    live = await _snapshot(page)
    assert len(live["ids"]) == len(set(live["ids"])) == 6

    fresh = await page.context.new_page()
    await fresh.goto(probe.url(f"/console/i/{number}"))
    await expect(fresh.locator("#transcript li.msg")).to_have_count(6)
    assert await _snapshot(fresh) == live
    await fresh.close()

    # And it is live again after the reconnect.
    await tenant.api.post(f"/api/v1/interactions/{iid}/messages", json={"text": "Back!"})
    await expect(transcript).to_have_count(7)
    await expect(transcript.last).to_contain_text("Back!")
    await probe.assert_clean()


async def test_the_board_for_a_supervisor(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    await tenant.create_interaction(subject="Waiting one")
    await tenant.create_interaction(subject="Waiting two", queue_id=str(tenant.queue2.id))
    await tenant.agent.client.put("/api/v1/me/presence", json={"presence": "available"})
    page = probe.page
    await sign_in(page, probe.base_url, tenant.supervisor.user.email, "/console/board")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    support = page.locator(f'.queue-card[data-queue="{tenant.queue.id}"]')
    await expect(support.locator("h2")).to_have_text("Support")
    await expect(support.locator('[data-kpi="waiting"]')).to_have_text("1")
    await expect(page.locator("#agents tbody tr")).to_have_count(3)
    agent_row = page.locator(f'#agents tr[data-user="{tenant.agent.user.id}"]')
    await expect(agent_row).to_contain_text("available")
    # Chart.js drew the aging chart (under the CSP: no inline styles or eval needed).
    assert await page.evaluate("typeof window.Chart") == "function"
    assert await page.evaluate("!!window.Chart.getChart(document.getElementById('aging-chart'))")

    # Live: new waiting work moves the numbers without a reload.
    await tenant.create_interaction(subject="Waiting three")
    await expect(support.locator('[data-kpi="waiting"]')).to_have_text("2")
    await page.select_option("#presence", "away")
    await expect(
        page.locator(f'#agents tr[data-user="{tenant.supervisor.user.id}"]')
    ).to_contain_text("away")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-board.png", full_page=True)
    await probe.assert_clean()


async def test_who_else_is_viewing_and_typing(probe: Probe, tenant: Tenant) -> None:
    created = await tenant.create_interaction(subject="Two pairs of eyes")
    path = f"/console/i/{created['number']}"
    page = probe.page
    await sign_in(page, probe.base_url, tenant.agent2.user.email, path)
    browser = page.context.browser
    assert browser is not None
    other_context = await browser.new_context()
    try:
        other = await other_context.new_page()
        await sign_in(other, probe.base_url, tenant.supervisor.user.email, path)
        for p in (page, other):
            await expect(p.locator("#conn")).to_have_attribute("data-state", "online")
        await expect(page.locator("#viewers")).to_have_text(
            f"Also viewing: {tenant.supervisor.user.name}"
        )
        await expect(other.locator("#viewers")).to_have_text(
            f"Also viewing: {tenant.agent2.user.name}"
        )
        await page.click("#composer-text")
        await page.keyboard.type("Let me check")
        await expect(other.locator("#typing")).to_have_text(f"{tenant.agent2.user.name} is typing…")
        await expect(page.locator("#typing")).to_be_hidden()  # not our own
        await other.close()
        await expect(page.locator("#viewers")).to_be_hidden()
    finally:
        await other_context.close()
    await probe.assert_clean()
