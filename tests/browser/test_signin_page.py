"""Signing in and out in a real browser, and what the browser runs (nothing it should not)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import expect
from sqlalchemy import update

from parley.actions.organizations import do_add_member, do_create_user
from parley.config import Settings
from parley.db.engine import Database
from parley.models import Organization, User
from parley.models.enums import Role
from tests.browser.conftest import Probe
from tests.factories import PASSWORD, PASSWORDS, Tenant

pytestmark = pytest.mark.browser

XSS_NAME = '<img src=x onerror="window.__xss=1">'
XSS_ORG = "<script>window.__xss=2</script>"


async def _sign_in(probe: Probe, email: str, password: str = PASSWORD) -> None:
    page = probe.page
    await page.goto(probe.url("/login"))
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("button[type=submit]")


async def test_no_console_errors_or_csp_violations(probe: Probe, tenant: Tenant) -> None:
    """The whole happy path, watched: no failed loads, no script errors, nothing blocked.

    First in the module on purpose: Chromium remembers a missing favicon per origin for the life
    of the browser, so only the first page that waits on a given server sees that 404 logged.
    """
    page = probe.page
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    bad_status: list[str] = []
    page.on(
        "response",
        lambda response: (
            bad_status.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    await _sign_in(probe, tenant.admin.user.email)
    await page.wait_for_url(probe.url("/"))
    await probe.assert_clean()
    # The stylesheet loaded and applied (the CSP allows it from our origin).
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(245, 246, 248)"
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(probe.url("/login"))
    await probe.assert_clean()
    assert failed == []
    assert bad_status == []


async def test_sign_in_lands_on_home(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    await tenant.create_interaction()
    await tenant.create_interaction(subject="Refund please")
    page = probe.page
    user = tenant.agent.user

    await page.goto(probe.url("/login"))
    await expect(page).to_have_title("Sign in · Parley")
    await expect(page.locator("#email")).to_be_focused()
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "login.png", full_page=True)

    await page.fill("#email", user.email)
    await page.fill("#password", PASSWORD)
    await page.press("#password", "Enter")
    await page.wait_for_url(probe.url("/"))

    await expect(page.locator("#who")).to_contain_text(user.name)
    await expect(page.locator("#who")).to_contain_text("agent")
    await expect(page.locator("#org-name")).to_have_text(tenant.org.name)
    await expect(page.locator("#open-count")).to_have_text("2")
    await expect(page.locator("#closed-count")).to_have_text("0")
    await expect(page.locator("h1")).to_have_text(f"Hello, {user.name}")
    # The session cookie is out of reach of page scripts.
    assert await page.evaluate("document.cookie") == ""
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "home.png", full_page=True)
    await probe.assert_clean()


async def test_wrong_password_shows_the_error(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    page = probe.page
    email = tenant.agent.user.email
    await _sign_in(probe, email, "not my password")

    error = page.locator("#signin-error")
    await expect(error).to_have_text("That email and password do not match an account.")
    await expect(error).to_have_attribute("role", "alert")
    assert page.url == probe.url("/login")
    await expect(page.locator("#email")).to_have_value(email)
    await expect(page.locator("#password")).to_have_value("")
    await expect(page.locator("#who")).to_have_count(0)
    probe.allow_error_document(401, "/login")
    await probe.assert_clean()
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "login-error.png", full_page=True)

    # Trying again from the re-rendered form works: it carries a fresh CSRF token.
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(probe.url("/"))
    await expect(page.locator("#who")).to_contain_text(tenant.agent.user.name)
    await probe.assert_clean()


async def test_sign_out_returns_to_login(probe: Probe, tenant: Tenant) -> None:
    page = probe.page
    await _sign_in(probe, tenant.supervisor.user.email)
    await page.wait_for_url(probe.url("/"))

    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(probe.url("/login"))
    await expect(page.locator("#email")).to_be_visible()
    assert not [c for c in await page.context.cookies() if c["name"] == "parley_session"]

    await page.goto(probe.url("/"))
    assert page.url == probe.url("/login")
    await expect(page.locator("#who")).to_have_count(0)
    await probe.assert_clean()


async def test_signed_out_visitor_is_sent_to_login(probe: Probe) -> None:
    await probe.page.goto(probe.url("/"))
    assert probe.page.url == probe.url("/login")
    await expect(probe.page.locator("h1")).to_have_text("Sign in")


async def test_markup_in_names_is_shown_as_text(
    probe: Probe, tenant: Tenant, db: Database, settings: Settings, artifacts: Path
) -> None:
    email = f"xss-{uuid.uuid4().hex[:8]}@{tenant.org.slug}.example"
    async with db.transaction() as session:
        user = await do_create_user(
            session, email=email, name=XSS_NAME, password=PASSWORD, passwords=PASSWORDS
        )
        await do_add_member(
            session, organization_id=tenant.org.id, user_id=user.id, role=Role.agent
        )
        await session.execute(
            update(Organization).where(Organization.id == tenant.org.id).values(name=XSS_ORG)
        )
    async with db.transaction() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        assert stored.name == XSS_NAME

    page = probe.page
    await _sign_in(probe, email)
    await page.wait_for_url(probe.url("/"))
    await expect(page.locator("#who")).to_contain_text(XSS_NAME)
    await expect(page.locator("#org-name")).to_have_text(XSS_ORG)
    await expect(page.locator("h1")).to_have_text(f"Hello, {XSS_NAME}")

    assert await page.evaluate("window.__xss") is None
    assert await page.locator("img").count() == 0
    assert await page.locator("script").count() == 0
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "home-markup-names.png", full_page=True)
    # Escaped, the markup never reached the parser: not even the CSP had anything to block.
    await probe.assert_clean()
