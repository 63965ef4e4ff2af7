"""Send later in a real browser: an agent schedules the composer's reply for a chosen time, sees
it wait above the composer, and sees it arrive in the transcript live when its job runs; another
is cancelled with a confirming second click. Errors are shown in the dialog."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from parley import clock
from parley.actions.scheduled import handlers
from parley.config import Settings
from parley.jobs.runner import JobRunner
from tests.browser.conftest import Probe
from tests.browser.console_support import sign_in
from tests.factories import Tenant

pytestmark = pytest.mark.browser


async def test_schedule_wait_send_and_cancel(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    created = await tenant.create_interaction(subject="Replacement kettle", text="Is it coming?")
    iid = created["id"]
    r = await tenant.agent.client.post(f"/api/v1/interactions/{iid}/claim")
    assert r.status_code == 200, r.text
    page = probe.page
    await sign_in(page, probe.base_url, tenant.agent.user.email, f"/console/i/{created['number']}")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    scheduled = page.locator("#i-scheduled")
    await expect(scheduled).to_be_hidden()

    # Nothing written yet: the dialog says so in place.
    await page.click("#composer-later")
    await expect(page.locator("#dlg-later")).to_be_visible()
    await page.click("#dlg-later button[type=submit]")
    await expect(page.locator("#dlg-later .form-error")).to_contain_text("Write the reply")
    await page.click("#dlg-later [data-close]")

    await page.fill("#composer-text", "Checking in: has the replacement arrived?")
    await page.keyboard.press("Escape")
    await page.keyboard.press("l")  # the shortcut opens the same dialog
    await expect(page.locator("#dlg-later")).to_be_visible()
    await page.click("#dlg-later [data-later='240']")
    await page.uncheck("#later-cancel")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-send-later-dialog.png")
    await page.click("#dlg-later button[type=submit]")
    await expect(page.locator("#dlg-later")).to_be_hidden()
    await expect(page.locator("#composer-text")).to_have_value("")
    item = scheduled.locator("li.scheduled-item")
    await expect(item).to_have_count(1)
    await expect(item).to_contain_text("Checking in: has the replacement arrived?")
    await expect(item).to_contain_text("in 3h")  # four hours ahead, to the minute
    await expect(page.locator("#feed li[data-kind='message_scheduled']")).to_have_count(1)
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-send-later.png", full_page=True)

    # Its time comes: the job (run here under a moved clock, as the server's runner would run it
    # when the time is real) sends it, and the page shows it without a reload.
    r = await tenant.agent.client.get(f"/api/v1/interactions/{iid}/scheduled-messages")
    [row] = r.json()
    due = datetime.fromisoformat(row["send_at"]) + timedelta(seconds=1)
    with clock.frozen(due):
        assert await JobRunner(tenant.db, handlers()).run_due() == 1
    sent = page.locator("#transcript li.msg.role-agent", has_text="has the replacement arrived")
    await expect(sent).to_have_count(1)
    await expect(scheduled).to_be_hidden()
    await expect(page.locator("#feed li[data-kind='scheduled_message_sent']")).to_have_count(1)

    # A second one, cancelled: the first click asks, the second acts.
    await page.fill("#composer-text", "Any news?")
    await page.click("#composer-later")
    await page.click("#dlg-later [data-later='tomorrow']")
    await page.click("#dlg-later button[type=submit]")
    await expect(item).to_have_count(1)
    cancel = item.locator("[data-scheduled-cancel]")
    await cancel.click()
    await expect(cancel).to_have_text("Cancel this reply?")
    await cancel.click()
    await expect(scheduled).to_be_hidden()
    await expect(page.locator("#feed li[data-kind='scheduled_message_cancelled']")).to_have_count(1)
    await page.reload()
    await expect(scheduled).to_be_hidden()
    await expect(sent).to_have_count(1)
    await probe.assert_clean()
