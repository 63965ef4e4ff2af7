"""The settings pages in a real browser: an admin creates an API key and sees it once, then
revokes it; a supervisor writes canned replies that then appear in the composer; an admin adds a
webhook (enable, rotate, delete, recent deliveries), a person (password shown once, role change)
and a channel (rename, turn off). Names carry markup that would run if it were ever parsed.
Screenshots: test-artifacts/console-admin-*.png (SQLite run)."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from parley.config import Settings
from tests.browser.conftest import Probe, watched_context
from tests.browser.console_support import TRAP, XSS, sign_in
from tests.factories import Tenant
from tests.providers import Sandbox, wait_for
from tests.providers.webhooks import calls, receiver_url

pytestmark = pytest.mark.browser

MARKUP = XSS[1]  # <img src=x onerror="window.__xss('img')">


async def _shot(page: Page, settings: Settings, artifacts: Path, name: str) -> None:
    if settings.is_sqlite:
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=artifacts / f"console-admin-{name}.png", full_page=True)


async def _inert(page: Page) -> None:
    assert await page.evaluate("window.__xssCalls") == []
    assert await page.locator("img[src=x]").count() == 0


async def _confirm(page: Page, selector: str, question: str) -> None:
    """Destructive buttons ask first: one click arms, the second acts."""
    button = page.locator(selector)
    await button.click()
    await expect(button).to_have_text(question)
    await button.click()


async def test_api_key_is_shown_once_then_revoked(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    page = probe.page
    await page.context.add_init_script(TRAP)
    await sign_in(page, probe.base_url, tenant.admin.user.email, then="/console/api-keys")
    await expect(page.locator("#content")).not_to_contain_text("parley apikey create")
    await expect(page.locator("#secret-box")).to_be_hidden()
    # Refused in place: a name of spaces only.
    await page.fill("#key-name", "   ")
    await page.click("#key-create")
    await expect(page.locator("#key-error")).to_contain_text("name")
    await expect(page.locator("#key-name")).to_have_attribute("aria-invalid", "true")

    await page.fill("#key-name", "Zapier " + MARKUP)
    await page.select_option("#key-role", "supervisor")
    await page.click("#key-create")
    box = page.locator("#secret-box")
    await expect(box).to_be_visible()
    await expect(page.locator("#secret-title")).to_have_text(
        f"New API key “Zapier {MARKUP}” (supervisor)"
    )
    await expect(box).to_contain_text("you will not see it again")
    secret = await page.locator("#secret-value").input_value()
    assert re.fullmatch(r"pk_[0-9a-f]{12}_[\w-]{43}", secret), secret
    await expect(page.locator("#key-create")).to_be_disabled()
    await page.click("#secret-copy")
    await expect(page.locator("#secret-copied")).not_to_be_empty()
    await _shot(page, settings, artifacts, "api-key-created")
    async with httpx.AsyncClient(
        base_url=probe.base_url, headers={"Authorization": f"Bearer {secret}"}
    ) as client:
        me = await client.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["role"] == "supervisor"

        # Done: the page reloads, lists the key by its prefix, and the secret is gone.
        await page.click("#secret-done")
        await expect(box).to_be_hidden()
        row = page.locator("tr.key-row", has_text="Zapier")
        await expect(row.locator(".key-name")).to_have_text("Zapier " + MARKUP)
        await expect(row.locator(".key-status")).to_have_text("active")
        assert secret not in await page.content()
        assert secret.split("_")[1] in await row.inner_text()

        await _confirm(page, "tr.key-row:has-text('Zapier') .key-revoke", "Really revoke?")
        await expect(row.locator(".key-status")).to_have_text("revoked")
        await expect(row.locator(".key-revoke")).to_have_count(0)
        assert (await client.get("/api/v1/me")).status_code == 401
    # The factory's key is untouched.
    await expect(page.locator("tr.key-row", has_text="tests").locator(".key-status")).to_have_text(
        "active"
    )
    await _shot(page, settings, artifacts, "api-keys")
    await _inert(page)
    probe.allow_error_document(422, "/api/v1/api-keys")
    await probe.assert_clean()


async def test_canned_replies_are_written_then_offered_in_the_composer(
    probe: Probe, browser: Browser, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    page = probe.page
    await page.context.add_init_script(TRAP)
    await sign_in(page, probe.base_url, tenant.supervisor.user.email, then="/console")
    await page.click('.sidenav a[href="/console/canned-replies"]')
    await expect(page.locator("#canned-empty")).to_contain_text("No canned replies yet")
    await expect(page.locator('.sidenav a[href="/console/canned-replies"]')).to_have_attribute(
        "aria-current", "page"
    )
    rows = page.locator("#canned-list li.canned-row")
    for title, text in (
        ("Refund policy", "Refunds take 5-7 working days."),
        ("Greeting " + MARKUP, "Hello! " + XSS[0]),
        ("refund POLICY", "A duplicate title."),
    ):
        await page.click("#canned-add")
        await rows.last.locator(".canned-title").fill(title)
        await rows.last.locator(".canned-text").fill(text)
    await expect(page.locator("#canned-empty")).to_be_hidden()
    await expect(page.locator("#canned-status")).to_have_text("Unsaved changes.")
    # The duplicate is refused next to its row; nothing is saved.
    await page.click("#canned-save")
    third = rows.nth(2)
    await expect(third.locator(".canned-title-error")).to_have_text(
        "reply 1 already has this title"
    )
    await expect(third.locator(".canned-title")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#canned-error")).to_contain_text("Nothing was saved")
    await _shot(page, settings, artifacts, "canned-error")
    # Fixed by deleting it; the greeting moves to the top.
    await third.locator(".canned-delete").click()
    await rows.nth(1).locator(".canned-up").click()
    await expect(rows.first.locator(".canned-title")).to_have_value("Greeting " + MARKUP)
    await expect(rows.first.locator(".canned-n")).to_have_text("1")
    await expect(rows.first.locator(".canned-up")).to_be_disabled()
    await page.click("#canned-save")
    await expect(page.locator("#canned-status")).to_have_text("Saved 2 replies.")
    await expect(page.locator("#canned-error")).to_be_empty()
    stored = (await tenant.agent.client.get("/api/v1/canned-replies")).json()
    assert [r["title"] for r in stored["replies"]] == ["Greeting " + MARKUP, "Refund policy"]
    await page.reload()
    await expect(rows).to_have_count(2)
    await expect(page.locator("#canned-status")).to_contain_text(
        f"Last saved by {tenant.supervisor.user.name}"
    )
    await _shot(page, settings, artifacts, "canned-replies")
    await _inert(page)

    # An agent's composer offers them, in this order, as text.
    created = await tenant.create_interaction()
    async with watched_context(browser, probe.base_url) as agent:
        await agent.page.context.add_init_script(TRAP)
        await sign_in(
            agent.page,
            probe.base_url,
            tenant.agent.user.email,
            then=f"/console/i/{created['number']}",
        )
        options = agent.page.locator("#canned option")
        await expect(options).to_have_text(
            ["Canned replies…", "Greeting " + MARKUP, "Refund policy"]
        )
        await agent.page.select_option("#canned", label="Refund policy")
        await expect(agent.page.locator("#composer-text")).to_have_value(
            "Refunds take 5-7 working days."
        )
        await _inert(agent.page)
        await agent.assert_clean()
    probe.allow_error_document(422, "/api/v1/canned-replies")
    await probe.assert_clean()


async def test_webhook_created_switched_rotated_redelivered_deleted(
    probe: Probe, tenant: Tenant, sandbox: Sandbox, settings: Settings, artifacts: Path
) -> None:
    receiver = f"console-{uuid.uuid4().hex[:8]}"
    page = probe.page
    await page.context.add_init_script(TRAP)
    await sign_in(page, probe.base_url, tenant.admin.user.email, then="/console/webhooks")
    await expect(page.locator("#hooks-empty")).to_contain_text("No webhooks")
    # A URL Parley will not call is refused in place.
    await page.fill("#hook-url", "ftp://crm.example.com/parley")
    await page.click("#hook-create")
    await expect(page.locator("#hook-error")).to_contain_text("only http and https")
    await expect(page.locator("#hook-url")).to_have_attribute("aria-invalid", "true")

    await page.fill("#hook-url", receiver_url(sandbox, receiver))
    await page.fill("#hook-description", "CRM " + MARKUP)
    await page.check('input.family-all[value="interaction.*"]')
    await expect(page.locator('input[value="interaction.created"]')).to_be_disabled()
    await page.check('input[value="note.created"]')
    await _shot(page, settings, artifacts, "webhook-form")
    await page.click("#hook-create")
    await expect(page.locator("#secret-box")).to_be_visible()
    first_secret = await page.locator("#secret-value").input_value()
    assert first_secret.startswith("whsec_")
    await page.click("#secret-done")
    hook = page.locator("section.hook")
    await expect(hook.locator(".hook-description")).to_have_text("CRM " + MARKUP)
    await expect(hook.locator(".hook-events")).to_have_text("interaction.*, note.created")
    await expect(hook.locator(".hook-no-deliveries")).to_be_visible()

    # An event is delivered and listed under the subscription; it can be sent again.
    await tenant.create_interaction()
    await wait_for(lambda: len(calls(sandbox, receiver)) >= 1)
    hook_id = await hook.get_attribute("data-hook-id")

    # The log row commits just after the receiver got the request.
    for _ in range(200):
        if (await tenant.api.get(f"/api/v1/webhooks/{hook_id}/deliveries")).json()["items"]:
            break
        await asyncio.sleep(0.05)
    await page.reload()
    delivery = hook.locator("tr.hook-delivery").first
    await expect(delivery).to_contain_text("interaction.created")
    await expect(delivery).to_contain_text("200")
    await delivery.locator(".hook-redeliver").click()
    await expect(delivery.locator(".hook-redeliver")).to_have_text("Queued")
    await wait_for(lambda: len(calls(sandbox, receiver)) >= 2)
    await _shot(page, settings, artifacts, "webhooks")

    await hook.locator(".hook-toggle").click()
    await expect(hook.locator(".hook-state")).to_have_text("disabled")
    await expect(hook.locator(".hook-toggle")).to_have_text("Enable")
    await hook.locator(".hook-toggle").click()
    await expect(hook.locator(".hook-state")).to_have_text("active")

    await _confirm(page, "section.hook .hook-rotate", "Really rotate?")
    await expect(page.locator("#secret-title")).to_contain_text("New signing secret")
    rotated = await page.locator("#secret-value").input_value()
    assert rotated.startswith("whsec_") and rotated != first_secret
    await page.click("#secret-done")
    await _confirm(page, "section.hook .hook-delete", "Really delete?")
    await expect(page.locator("#hooks-empty")).to_be_visible()
    assert (await tenant.api.get("/api/v1/webhooks")).json() == []
    await _inert(page)
    probe.allow_error_document(422, "/api/v1/webhooks")
    await probe.assert_clean()


async def test_admin_adds_a_person_who_signs_in_and_changes_a_role(
    probe: Probe, browser: Browser, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    page = probe.page
    await page.context.add_init_script(TRAP)
    await sign_in(page, probe.base_url, tenant.admin.user.email, then="/console/users")
    # Admins cannot change their own role from the page (no lock-out by a slip).
    me = page.locator(f'tr.user-row[data-user-id="{tenant.admin.user.id}"]')
    await expect(me).to_contain_text("(you)")
    await expect(me.locator("select")).to_have_count(0)

    email = f"dana-{uuid.uuid4().hex[:6]}@example.com"
    await page.fill("#person-name", "Dana " + MARKUP)
    await page.fill("#person-email", email)
    await page.select_option("#person-role", "agent")
    await page.click("#person-add")
    await expect(page.locator("#secret-title")).to_have_text(f"Dana {MARKUP} was added as agent.")
    await expect(page.locator("#secret-box")).to_contain_text("you will not see it again")
    password = await page.locator("#secret-value").input_value()
    assert len(password) >= 10
    await _shot(page, settings, artifacts, "person-added")

    # They can sign in with it, in their own browser.
    async with watched_context(browser, probe.base_url) as dana:
        await dana.page.goto(probe.url("/login"))
        await dana.page.fill("#email", email)
        await dana.page.fill("#password", password)
        await dana.page.click("button[type=submit]")
        await dana.page.wait_for_url(probe.url("/"))
        await dana.page.goto(probe.url("/console"))
        await expect(dana.page.locator("#who")).to_contain_text("agent")
        await dana.assert_clean()

    await page.click("#secret-done")
    row = page.locator("tr.user-row", has_text=email)
    await expect(row.locator(".user-name")).to_have_text("Dana " + MARKUP)
    select = row.locator("select.user-role")
    await expect(select).to_have_value("agent")
    await select.select_option("supervisor")
    await expect(row.locator(".role-status")).to_have_text("Saved")
    listed = (await tenant.admin.client.get("/api/v1/users")).json()
    assert [u["role"] for u in listed if u["email"] == email] == ["supervisor"]

    # The same email again: refused in place, next to the form.
    await page.fill("#person-name", "Dana again")
    await page.fill("#person-email", email)
    await page.click("#person-add")
    await expect(page.locator("#person-error")).to_contain_text("already a member")
    await expect(page.locator("#person-email")).to_have_attribute("aria-invalid", "true")
    await _shot(page, settings, artifacts, "users")
    await _inert(page)
    probe.allow_error_document(409, "/api/v1/users")
    await probe.assert_clean()


async def test_admin_adds_renames_and_turns_off_a_channel(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    page = probe.page
    await page.context.add_init_script(TRAP)
    await sign_in(page, probe.base_url, tenant.admin.user.email, then="/console/channels")
    await expect(page.locator("#channels-empty")).to_contain_text("No channels yet")
    await page.select_option("#channel-kind", "email")
    address = page.locator("#cf-email-address")
    await expect(address).to_be_visible()
    await expect(page.locator("#cf-sms-auth_token")).to_be_hidden()
    await page.fill("#channel-name", "   ")
    await address.fill(f"help-{uuid.uuid4().hex[:6]}@parley.test")
    await page.fill("#cf-email-from_name", "Acme " + MARKUP)
    await page.select_option("#channel-queue", label="Support")
    # A name of spaces passes the browser's check; the API refuses it, shown in place.
    await page.click("#channel-create")
    await expect(page.locator("#channel-error")).to_contain_text("name")
    await expect(page.locator("#channel-name")).to_have_attribute("aria-invalid", "true")
    await page.fill("#channel-name", "Support inbox " + MARKUP)
    await _shot(page, settings, artifacts, "channel-form")
    await page.click("#channel-create")
    await expect(page.locator("#secret-title")).to_contain_text("(email) was added")
    assert len(await page.locator("#secret-value").input_value()) >= 40
    await page.click("#secret-done")

    row = page.locator("tr.channel-row")
    await expect(row.locator(".channel-name")).to_have_text("Support inbox " + MARKUP)
    await expect(row).to_contain_text("Support")
    await expect(row).to_contain_text("webhook_secret")
    channel = (await tenant.api.get("/api/v1/channels")).json()[0]
    assert channel["config"]["from_name"] == "Acme " + MARKUP
    assert channel["default_queue_id"] == str(tenant.queue.id)

    await row.locator(".channel-rename").click()
    await row.locator(".rename-input").fill("Help desk")
    await row.locator(".rename-save").click()
    await expect(row.locator(".channel-name")).to_have_text("Help desk")
    await row.locator(".channel-toggle").click()
    await expect(row).to_contain_text("off")
    await expect(row.locator(".channel-toggle")).to_have_text("Turn on")
    await _shot(page, settings, artifacts, "channels")
    await _inert(page)
    probe.allow_error_document(422, "/api/v1/channels")
    await probe.assert_clean()
