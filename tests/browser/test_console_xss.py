"""An XSS corpus in every customer-controlled field runs nothing in the console.

A trap (``window.__xss``) is installed before any page script; every payload would call it with
its own name. It must never be called, no dialog may open, and the CSP must have had nothing to
block (escaped markup never reaches the parser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Dialog, Page, expect

from parley.config import Settings
from tests.browser.conftest import Probe
from tests.browser.console_support import ALL, TRAP, XSS, seed_xss, sign_in
from tests.factories import Tenant

pytestmark = pytest.mark.browser


async def _assert_inert(page: Page) -> None:
    assert await page.evaluate("window.__xssCalls") == []
    # Only our own scripts exist: none was injected, whatever the route.
    sources = await page.locator("script").evaluate_all("els => els.map(e => e.src)")
    assert all(s.startswith(page.url.split("/console")[0] + "/static/") for s in sources), sources
    assert await page.locator("img[src=x], svg[onload], iframe:not([sandbox])").count() == 0
    assert await page.locator('a[href^="javascript:"]').count() == 0


async def test_xss_corpus_executes_nothing(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    created = await seed_xss(tenant)
    iid, number = created["id"], created["number"]
    page = probe.page
    dialogs: list[str] = []

    async def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    await page.context.add_init_script(TRAP)
    await sign_in(page, probe.base_url, tenant.admin.user.email)
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    row = page.locator("#rows tr.row").first
    await expect(row.locator(".subject-cell")).to_contain_text(XSS[0])
    await expect(row.locator(".contact-cell")).to_contain_text(XSS[1])
    await _assert_inert(page)

    # Searching for markup lists it as text, too.
    await page.fill("#q", "<script>")
    await expect(page.locator("#rows tr.row")).to_have_count(1)
    await _assert_inert(page)

    await page.goto(probe.url(f"/console/i/{number}"))
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    await expect(page.locator("#i-subject")).to_have_text(XSS[0] + XSS[4])
    first = page.locator("#transcript li.msg").first
    await expect(first.locator(".msg-text")).to_have_text(ALL)
    await expect(page.locator("#d-contact")).to_have_text(XSS[1] + " Mallory")
    await expect(page.locator("#d-client")).to_contain_text(XSS[3])
    await expect(page.locator("#d-client")).to_contain_text("javascript:window.__xss('url')")
    await expect(page.locator("#i-tags .tag")).to_have_count(4)

    # The email's HTML: cleaned, in a frame with no rights at all.
    email = page.locator("#transcript li.msg details.email-html")
    await expect(email).to_have_count(1)
    await email.locator("summary").click()
    frame = email.locator("iframe")
    await expect(frame).to_be_visible()
    assert await frame.get_attribute("sandbox") == ""
    body = page.frame_locator("#transcript details.email-html iframe").locator("body")
    await expect(body).to_contain_text("Hello team")
    await _assert_inert(page)

    # Arriving live takes the same escaped path: a message, a note, tags, a transfer note.
    posted = await tenant.api.post(f"/api/v1/interactions/{iid}/messages", json={"text": ALL})
    assert posted.status_code == 201
    await tenant.admin.client.post(f"/api/v1/interactions/{iid}/notes", json={"text": XSS[2]})
    await tenant.admin.client.post(
        f"/api/v1/interactions/{iid}/tags", json={"add": [XSS[5][:64]], "remove": []}
    )
    await tenant.admin.client.post(
        f"/api/v1/interactions/{iid}/transfer",
        json={"queue_id": str(tenant.queue2.id), "note": XSS[6]},
    )
    await expect(page.locator("#transcript li.msg")).to_have_count(5)
    await expect(page.locator("#transcript li.msg").nth(2).locator(".msg-text")).to_have_text(ALL)
    await expect(page.locator("#i-tags .tag")).to_have_count(5)
    await expect(page.locator("#d-queue")).to_have_text("Billing")
    await page.wait_for_timeout(500)
    await _assert_inert(page)
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-xss-corpus.png", full_page=True)

    # Complete it with markup in the disposition; the closed list and the board show it inert.
    await page.keyboard.press("e")
    await page.fill("#complete-disposition", XSS[4][:120])
    await page.click("#dlg-complete button[type=submit]")
    await expect(page.locator("#d-disposition")).to_have_text(XSS[4][:120])
    await page.goto(probe.url("/console?status=closed"))
    await expect(page.locator("#rows tr.row")).to_have_count(1)
    await _assert_inert(page)
    await page.goto(probe.url("/console/board"))
    await expect(page.locator(".queue-card").first).to_be_visible()
    await _assert_inert(page)

    assert dialogs == []
    await probe.assert_clean()
