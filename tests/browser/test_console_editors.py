"""The knowledge-base and procedure pages in a real browser: an admin writes a procedure from the
template (errors shown in place with their line, tests run from the page, saved, activated), a
knowledge collection is filled, searched, edited and emptied, and an agent only reads.
Screenshots: test-artifacts/console-procedures*.png, console-knowledge*.png (SQLite run)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from parley.config import Settings
from parley.web.console.editors import PROCEDURE_TEMPLATE
from tests.browser.conftest import Probe
from tests.browser.console_support import sign_in
from tests.factories import Tenant

pytestmark = pytest.mark.browser

SOURCE = PROCEDURE_TEMPLATE.replace("name: new_procedure", "name: order_lookup")


async def test_admin_writes_tests_saves_and_activates_a_procedure(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    page = probe.page
    await sign_in(page, probe.base_url, tenant.admin.user.email, then="/console/procedures")
    await expect(page.locator("#procedures-empty")).to_contain_text("No procedures yet")
    await page.click("#proc-new")
    await page.wait_for_url(probe.url("/console/procedures/new"))
    editor = page.locator("#proc-source")
    await expect(editor).to_have_value(PROCEDURE_TEMPLATE)

    # An error: the field path and its line, next to the editor; "Go to line" selects it.
    await editor.fill(SOURCE.replace("on_fail: to_human", "on_fail: nowhere"))
    await page.click("#proc-validate")
    error = page.locator("#proc-errors li").first
    await expect(error).to_contain_text("steps.0.ask.on_fail")
    await expect(error).to_contain_text("line 15")
    await expect(error).to_contain_text("no step has the id 'nowhere'")
    await expect(editor).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#proc-status")).to_contain_text("The procedure is not valid")
    await error.locator("button.goto-line").click()
    await expect(page.locator("#proc-cursor")).to_have_text("Line 15")
    selected = await editor.evaluate("e => e.value.slice(e.selectionStart, e.selectionEnd)")
    assert selected.strip() == "on_fail: nowhere"
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-procedures-error.png", full_page=True)

    # A failing test says why; saving an invalid source is refused in place too.
    await editor.fill(SOURCE.replace('says: ["AB12345"]', 'says: ["ZZ99999"]'))
    await page.click("#proc-test")
    failed = page.locator("#proc-tests li.fail")
    await expect(failed).to_contain_text("Fail: asks for the order number")
    await expect(failed).to_contain_text("ZZ99999")
    await expect(page.locator("#proc-tests-summary")).to_have_text("0 of 1 tests passed.")
    await editor.fill("name: order_lookup\nsteps: []\n")
    await page.click("#proc-save")
    await expect(page.locator("#proc-errors")).to_contain_text("triggers")
    assert page.url == probe.url("/console/procedures/new")

    # Fixed: valid, its test passes, saved as version 1 (off), then activated.
    await editor.fill(SOURCE)
    await page.click("#proc-validate")
    await expect(page.locator("#proc-status")).to_have_text(
        "Valid: order_lookup (4 steps, 1 tests)."
    )
    await expect(page.locator("#proc-errors")).to_be_hidden()
    await page.click("#proc-test")
    await expect(page.locator("#proc-tests li.pass")).to_have_text(
        "Pass: asks for the order number"
    )
    await expect(page.locator("#proc-tests-summary")).to_have_text("1 of 1 tests passed.")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-procedures-tests.png", full_page=True)
    await page.click("#proc-save")
    await page.wait_for_url(re.compile(r"/console/procedures/[0-9a-f-]{36}\?saved=saved$"))
    await expect(page.locator("#proc-saved")).to_have_text("Saved as version 1.")
    await expect(page.locator("#proc-state")).to_have_text("off")
    # The API strips surrounding whitespace from the source it stores.
    await expect(page.locator("#proc-source")).to_have_value(SOURCE.strip())
    await page.click("#proc-toggle")
    await page.wait_for_url(re.compile(r"\?saved=activated$"))
    await expect(page.locator("#proc-state")).to_have_text("active")
    # Switching on stores a new version with the same source (the API keeps the history).
    await expect(page.locator("#proc-saved")).to_have_text("Activated (version 2).")
    await expect(page.locator("#proc-versions tbody tr")).to_have_count(2)
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-procedures-editor.png", full_page=True)

    await page.click('.sidenav a[href="/console/procedures"]')
    row = page.locator('#procedures tr[data-procedure="order_lookup"]')
    await expect(row.locator(".proc-version")).to_have_text("2")
    await expect(row.locator(".proc-active")).to_have_text("active")
    await expect(row).to_contain_text("Tell a customer we are looking at their order.")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-procedures-list.png", full_page=True)
    listed = (await tenant.admin.client.get("/api/v1/procedures")).json()
    assert [(p["name"], p["version"], p["is_active"]) for p in listed] == [
        ("order_lookup", 2, True)
    ]
    # The refused checks and save above were 422s on purpose; Chromium logs them.
    probe.allow_error_document(422, "/api/v1/procedures/validate")
    probe.allow_error_document(422, "/api/v1/procedures")
    await probe.assert_clean()


async def test_knowledge_collection_faq_search_edit_delete(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    page = probe.page
    await sign_in(page, probe.base_url, tenant.admin.user.email, then="/console/knowledge")
    await expect(page.locator("#kb-empty")).to_contain_text("No collections yet")
    await page.fill("#collection-name", "Shipping")
    await page.fill("#collection-description", "Delivery times and costs")
    await page.click("#collection-create")
    await page.wait_for_url(re.compile(r"/console/knowledge\?collection=[0-9a-f-]{36}$"))
    await expect(page.locator("#kb-collections a[aria-current]")).to_have_text("Shipping")
    await expect(page.locator("#faq-empty")).to_be_visible()

    await page.fill("#faq-question", "How long does delivery take?")
    await page.fill("#faq-alternatives", "When will my parcel arrive?\nDelivery time")
    await page.fill("#faq-answer", "Standard delivery takes 3-5 working days.")
    await page.click("#faq-save")
    row = page.locator(".faq-row")
    await expect(row.locator(".faq-question")).to_have_text("How long does delivery take?")
    await expect(row.locator(".faq-alternatives")).to_contain_text("When will my parcel arrive?")
    await expect(row.locator(".faq-answer")).to_have_text(
        "Standard delivery takes 3-5 working days."
    )

    await page.fill("#kb-q", "how long will delivery take")
    await page.click("#kb-search-go")
    hit = page.locator("#kb-hits .kb-hit").first
    await expect(hit.locator(".kb-hit-title")).to_have_text("How long does delivery take?")
    await expect(hit.locator(".kb-hit-text")).to_contain_text("3-5 working days")
    await expect(hit.locator(".kb-score")).to_have_text(re.compile(r"^\d\.\d\d$"))
    await expect(hit.locator(".kb-citation")).to_contain_text(
        "Source: faq “How long does delivery take?”"
    )
    await expect(hit.locator(".kb-citation")).to_contain_text("Shipping")
    await expect(page.locator("#kb-answer")).to_contain_text("confident")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-knowledge-search.png", full_page=True)

    # Edit: the form takes the FAQ's values; an empty answer is refused in place.
    await page.click(".faq-edit")
    await expect(page.locator("#faq-form-title")).to_have_text("Edit the FAQ")
    await expect(page.locator("#faq-alternatives")).to_have_value(
        "When will my parcel arrive?\nDelivery time"
    )
    await page.fill("#faq-answer", "Standard delivery takes 2-4 working days.")
    await page.click("#faq-save")
    await expect(row.locator(".faq-answer")).to_have_text(
        "Standard delivery takes 2-4 working days."
    )
    await expect(page.locator(".faq-row")).to_have_count(1)
    faqs = (await tenant.admin.client.get("/api/v1/knowledge/collections")).json()
    assert [c["name"] for c in faqs] == ["Shipping"]
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-knowledge-faqs.png", full_page=True)

    # Delete takes a second click.
    await page.click(".faq-delete")
    await expect(page.locator(".faq-delete")).to_have_text("Really delete?")
    await page.click(".faq-delete")
    await expect(page.locator("#faq-empty")).to_be_visible()
    await expect(page.locator(".faq-row")).to_have_count(0)
    await probe.assert_clean()


async def test_an_agent_reads_but_does_not_edit(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    admin = tenant.admin.client
    saved = await admin.post("/api/v1/procedures", json={"source": SOURCE, "active": True})
    assert saved.status_code == 201, saved.text
    collection = await admin.post("/api/v1/knowledge/collections", json={"name": "Returns"})
    assert collection.status_code == 201, collection.text
    faq = await admin.post(
        f"/api/v1/knowledge/collections/{collection.json()['id']}/faqs",
        json={"question": "Can I return an item?", "answer": "Yes, within 30 days."},
    )
    assert faq.status_code == 201, faq.text

    page = probe.page
    await sign_in(page, probe.base_url, tenant.agent.user.email, then="/console/procedures")
    await expect(page.locator("#procedures")).to_contain_text("order_lookup")
    await expect(page.locator("#proc-new")).to_have_count(0)
    await page.click('#procedures a:has-text("order_lookup")')
    await expect(page.locator("#proc-source")).to_have_attribute("readonly", "")
    await expect(page.locator("#proc-save")).to_have_count(0)
    await expect(page.locator("#proc-toggle")).to_have_count(0)
    # Checking and testing save nothing, so everyone may.
    await page.click("#proc-test")
    await expect(page.locator("#proc-tests li.pass")).to_have_count(1)
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-procedures-readonly.png", full_page=True)

    await page.goto(probe.url("/console/knowledge"))
    await expect(page.locator(".faq-question")).to_have_text("Can I return an item?")
    for hidden in ("#collection-form", "#faq-form", ".faq-edit", ".faq-delete"):
        await expect(page.locator(hidden)).to_have_count(0)
    await page.fill("#kb-q", "return an item")
    await page.click("#kb-search-go")
    await expect(page.locator("#kb-hits .kb-citation").first).to_contain_text(
        "Can I return an item?"
    )
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-knowledge-readonly.png", full_page=True)

    await page.goto(probe.url("/console/procedures/new"))
    await expect(page.locator("#page-message")).to_contain_text("written by admins")
    probe.allow_error_document(403, "/console/procedures/new")
    await probe.assert_clean()
