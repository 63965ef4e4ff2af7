"""An agent's day in a real browser: the list, filters, live arrivals, and one interaction from
claim to completion, watched for console errors and CSP violations throughout."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from parley.config import Settings
from tests.browser.conftest import Probe
from tests.browser.console_support import sign_in
from tests.factories import Tenant

pytestmark = pytest.mark.browser


async def _online(page: Page) -> None:
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online")


async def test_list_tabs_filters_and_live_arrival(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    await tenant.create_interaction(subject="Support question")
    await tenant.create_interaction(subject="Invoice wrong", queue_id=str(tenant.queue2.id))
    done = await tenant.create_interaction(subject="Old and done")
    await tenant.admin.client.post(f"/api/v1/interactions/{done['id']}/complete", json={})
    page = probe.page
    await sign_in(page, probe.base_url, tenant.agent2.user.email)
    await _online(page)
    rows = page.locator("#rows tr.row")
    await expect(rows).to_have_count(2)
    await expect(page.locator("#tab-open .count")).to_have_text("2")
    await expect(page.locator("#tab-closed .count")).to_have_text("1")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-list.png", full_page=True)

    # Filters narrow the list in place and land in the address bar.
    await page.select_option("#f-queue", label="Billing")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Invoice wrong")
    assert "queue=" in page.url
    await page.select_option("#f-queue", value="")
    await expect(rows).to_have_count(2)
    await page.fill("#q", "support")
    await expect(rows).to_have_count(1)
    await page.fill("#q", "no such thing at all")
    await expect(page.locator("#empty-list")).to_contain_text("Nothing matches")
    await page.fill("#q", "")
    await expect(rows).to_have_count(2)

    # The Closed tab.
    await page.click("#tab-closed")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Old and done")
    await page.click("#tab-open")
    await _online(page)

    # A new interaction created through the API appears without a reload.
    await tenant.create_interaction(subject="Arrived just now")
    await expect(rows).to_have_count(3)
    await expect(rows.first).to_contain_text("Arrived just now")
    await expect(page.locator("#tab-open .count")).to_have_text("3")

    # Keyboard: j/k select, o opens.
    await page.locator("body").click(position={"x": 5, "y": 700})
    await page.keyboard.press("j")
    await page.keyboard.press("j")
    await expect(rows.nth(1)).to_have_class("row selected")
    await page.keyboard.press("k")
    await expect(rows.nth(0)).to_have_class("row selected")
    await page.keyboard.press("Shift+?")
    await expect(page.locator("#help")).to_be_visible()
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-shortcuts.png")
    await page.keyboard.press("Escape")
    await expect(page.locator("#help")).to_be_hidden()
    await page.keyboard.press("o")
    await page.wait_for_url("**/console/i/*")
    await expect(page.locator("#i-subject")).to_have_text("Arrived just now")
    await probe.assert_clean()


async def test_claim_reply_note_transfer_wrap_up_complete(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    created = await tenant.create_interaction(subject="Kettle sparks", text="It sparks!")
    page = probe.page
    agent = tenant.agent2.user
    await sign_in(page, probe.base_url, agent.email, f"/console/i/{created['number']}")
    await _online(page)
    transcript = page.locator("#transcript li.msg")
    await expect(transcript).to_have_count(1)
    await expect(page.locator("#state-badge")).to_have_text("queued")

    await page.keyboard.press("c")  # claim
    await expect(page.locator("#d-assignee")).to_have_text(agent.name)
    await expect(page.locator("#state-badge")).to_have_text("assigned")

    await page.keyboard.press("r")
    await expect(page.locator("#composer-text")).to_be_focused()
    await page.fill("#composer-text", "Sorry to hear that! Unplug it, please.")
    await page.keyboard.press("Enter")
    mine = transcript.filter(has_text="Unplug it")
    await expect(mine).to_have_count(1)
    await expect(page.locator("#message-count")).to_have_text("2 messages")
    await expect(page.locator("#composer-text")).to_have_value("")
    # The event for our own message arrives after the POST answered: still shown once.
    await page.wait_for_timeout(500)
    await expect(mine).to_have_count(1)

    await page.locator("#composer-text").press("Escape")
    await page.keyboard.press("n")
    await expect(page.locator("#composer")).to_have_attribute("data-mode", "note")
    await page.fill("#composer-text", "Customer sounds worried; offer a replacement.")
    await page.click("#composer-send")
    note = page.locator("#transcript li.is-note")
    await expect(note).to_have_count(1)
    await expect(note).to_contain_text("Internal note")

    # An error is shown in place, not in a console.
    await page.locator("#composer-text").press("Escape")
    await page.keyboard.press("t")
    await expect(page.locator("#dlg-transfer")).to_be_visible()
    await page.click("#dlg-transfer button[type=submit]")
    await expect(page.locator("#dlg-transfer .form-error")).to_contain_text("exactly one")
    probe.allow_error_document(422, f"/api/v1/interactions/{created['id']}/transfer")
    await page.select_option("#transfer-queue", label="Billing")
    await page.fill("#transfer-note", "Billing should handle the refund.")
    await page.click("#dlg-transfer button[type=submit]")
    await expect(page.locator("#dlg-transfer")).to_be_hidden()
    await expect(page.locator("#d-queue")).to_have_text("Billing")
    await expect(page.locator("#transcript li.is-note")).to_have_count(2)

    await page.click("#btn-claim")
    await expect(page.locator("#state-badge")).to_have_text("assigned")
    await page.click("#btn-wrap-up")
    await expect(page.locator("#state-badge")).to_have_text("wrap up")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-interaction.png", full_page=True)

    await page.keyboard.press("e")
    await expect(page.locator("#dlg-complete")).to_be_visible()
    await page.check("#dlg-complete input[value=unresolved]")
    await page.fill("#complete-disposition", "Replacement offered")
    await page.click("#dlg-complete button[type=submit]")
    await expect(page.locator("#state-badge")).to_have_text("Closed")
    await expect(page.locator("#outcome-badge")).to_have_text("unresolved")
    await expect(page.locator("#d-disposition")).to_have_text("Replacement offered")
    await expect(page.locator("#composer-text")).to_be_disabled()
    await expect(page.locator("#composer-send")).to_be_disabled()
    await expect(page.locator("#btn-clone")).to_be_visible()
    kinds = await page.locator("#feed li").evaluate_all("els => els.map(e => e.dataset.kind)")
    for kind in ("created", "claimed", "message", "note", "transferred", "wrapped_up", "completed"):
        assert kind in kinds, kinds
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-interaction-closed.png", full_page=True)

    # The same story after a reload: nothing was only on the page.
    await page.reload()
    await expect(page.locator("#state-badge")).to_have_text("Closed")
    await expect(transcript).to_have_count(4)  # the transfer note is an internal note
    await expect(page.locator("#composer-text")).to_be_disabled()

    # Clone to follow up: a new, open, outbound interaction.
    await page.click("#btn-clone")
    await page.wait_for_url(lambda url: f"/console/i/{created['number']}" not in url)
    await expect(page.locator("#state-badge")).not_to_have_text("Closed")
    await probe.assert_clean()
