"""Coaching in a real browser: a supervisor filters the review queue, scores a completed
interaction with a scorecard and writes a coaching note; the agent signs in, reads the note
(shown as text, never as markup) and acknowledges it. Both sessions are watched for console
errors and CSP violations; screenshots go to test-artifacts/console-coaching*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from parley.config import Settings
from parley.models.enums import Sentiment
from tests.browser.conftest import Probe, watched_context
from tests.browser.console_support import sign_in
from tests.conftest import LiveServer
from tests.factories import Tenant
from tests.test_coaching import completed, scorecard

pytestmark = pytest.mark.browser

NOTE = "Great greeting. Check the order history first <img src=x onerror=window.__xss('note')>"


async def test_supervisor_reviews_and_the_agent_acknowledges(
    probe: Probe,
    browser: Browser,
    live_server: LiveServer,
    tenant: Tenant,
    settings: Settings,
    artifacts: Path,
) -> None:
    await scorecard(tenant, "Quality")
    low = await completed(tenant, subject="Parcel never came", csat=1)
    await completed(tenant, subject="Angry about fees", sentiment=Sentiment.negative)
    await completed(tenant, subject="All fine", csat=5)

    page = probe.page
    await sign_in(page, probe.base_url, tenant.supervisor.user.email, "/console/coaching")
    rows = page.locator("#review-queue tr.queue-row")
    await expect(rows).to_have_count(2)
    await expect(page.locator("#review-queue")).not_to_contain_text("All fine")

    # The filters narrow the queue.
    await page.click("#reason-low_csat")
    await page.wait_for_url("**/console/coaching?reason=low_csat")
    await expect(rows).to_have_count(1)
    await expect(rows.first.locator(".q-subject")).to_have_text("Parcel never came")
    await expect(rows.first).to_contain_text("Low CSAT")
    await page.click("#reason-sla_breached")
    await expect(page.locator("#queue-empty")).to_contain_text("Nothing to review")
    await page.click("#reason-negative")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Angry about fees")
    await page.click("#reason-low_csat")
    await expect(rows).to_have_count(1)
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-coaching.png", full_page=True)

    # Open the review form, score every criterion, write a note, submit.
    await page.click(f"#review-{low['number']}")
    await page.wait_for_url(f"**/console/coaching/review/{low['number']}")
    await expect(page.locator("#r-subject")).to_have_text("Parcel never came")
    await expect(page.locator("#r-agent")).to_have_text(tenant.agent.user.name)
    form = page.locator("#review-form")
    # Submitting with a criterion unscored says so in place.
    await form.locator("select[data-criterion=greeting]").select_option("5")
    await page.click("#review-submit")
    await expect(page.locator("#review-error")).to_contain_text("accuracy")
    await form.locator("select[data-criterion=accuracy]").select_option("3")
    await form.locator("select[data-criterion=empathy]").select_option("4")
    await page.fill("#review-note", NOTE)
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-coaching-review.png", full_page=True)
    await page.click("#review-submit")
    await page.wait_for_url("**/console/coaching?reviewed=*")
    await expect(page.locator("#review-saved")).to_contain_text(f"#{low['number']}")
    # Reviewed work leaves the queue; the review is listed with its weighted total.
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Angry about fees")
    await expect(page.locator("#team-reviews")).to_contain_text("75.0%")
    await expect(page.locator("#team-reviews")).to_contain_text("not yet")
    await probe.assert_clean()

    # The agent signs in and sees the coaching note, then acknowledges it.
    async with watched_context(browser, live_server.url) as agent:
        await agent.page.add_init_script(
            "window.__xssCalls = []; window.__xss = function (n) { window.__xssCalls.push(n); };"
        )
        apage = agent.page
        await sign_in(apage, agent.base_url, tenant.agent.user.email, "/console")
        await apage.click("nav.sidenav >> text=Coaching")
        await apage.wait_for_url("**/console/coaching")
        await expect(apage.locator("#review-queue-section")).to_have_count(0)
        notes = apage.locator("#my-reviews li.coaching-note")
        await expect(notes).to_have_count(1)
        note = notes.first
        await expect(note.locator(".coaching-text")).to_have_text(NOTE)
        await expect(note.locator(".review-total")).to_have_text("75.0%")
        await expect(note).to_contain_text("Quality")
        await expect(note).to_contain_text(tenant.supervisor.user.name)
        await expect(note).to_contain_text("Parcel never came")
        await expect(note.locator("table.scores")).to_contain_text("3 / 5")
        if settings.is_sqlite:
            await apage.screenshot(path=artifacts / "console-coaching-agent.png", full_page=True)
        await note.locator("[data-acknowledge]").click()
        await expect(note.locator(".ack-done")).to_contain_text("Acknowledged")
        await apage.reload()
        await expect(apage.locator("#my-reviews .ack-done")).to_contain_text("Acknowledged")
        await expect(apage.locator("[data-acknowledge]")).to_have_count(0)
        assert await apage.evaluate("window.__xssCalls") == []
        # The review form is for supervisors.
        response = await apage.goto(agent.url(f"/console/coaching/review/{low['number']}"))
        assert response is not None and response.status == 403
        agent.allow_error_document(403, f"/console/coaching/review/{low['number']}")
        await agent.assert_clean()

    # The supervisor sees it acknowledged.
    await page.goto(probe.url("/console/coaching"))
    await expect(page.locator("#team-reviews")).not_to_contain_text("not yet")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-coaching-acknowledged.png", full_page=True)
    await probe.assert_clean()
