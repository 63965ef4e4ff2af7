"""Real headless Chromium (Playwright, async API) against the live test server.

One browser serves the whole run; every test gets a fresh context (cookies, storage) and a page
that records console errors, uncaught exceptions and Content-Security-Policy violations.

Chromium and Playwright are required: a missing one fails the run with a message, never skips.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import delete

from parley.db.engine import Database
from parley.models import LoginAttempt
from tests.conftest import LiveServer

if TYPE_CHECKING:
    from playwright.async_api import Browser, ConsoleMessage, Error, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETTLE_MS = 750
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Runs before any page script; records what the Content-Security-Policy refused.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""


def _require_chromium() -> None:
    if not Path(CHROMIUM).is_file():
        found = shutil.which("chromium")
        pytest.fail(
            f"browser tests need Chromium at {CHROMIUM} (found: {found}): "
            "apt-get install -y chromium",
            pytrace=False,
        )


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        pytest.fail(
            f"browser tests need the playwright package ({exc}): "
            ".venv/bin/pip install playwright (never `playwright install`)",
            pytrace=False,
        )
    _require_chromium()
    async with async_playwright() as pw:
        try:
            launched = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:
            pytest.fail(f"could not launch Chromium at {CHROMIUM}: {exc}", pytrace=False)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Probe:
    """A page plus everything it complained about."""

    page: Page
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    error_documents: set[str] = field(default_factory=set)

    def url(self, path: str) -> str:
        return self.base_url + path

    async def csp_violations(self) -> list[str]:
        found: Any = await self.page.evaluate("window.__cspViolations || []")
        return [str(v) for v in found]

    def allow_error_document(self, status: int, path: str) -> None:
        """A page at ``path`` is served with this error status on purpose (a refused sign-in is
        a 401 page). Chromium logs that as a console error; it is not a fault of the page."""
        self.error_documents.add(
            f"Failed to load resource: the server responded with a status of {status} "
            f"({HTTPStatus(status).phrase}) ({self.url(path)})"
        )

    async def assert_clean(self) -> None:
        """No console errors, uncaught exceptions or CSP violations."""
        # Some complaints arrive after "load" (the browser's own favicon fetch, deferred
        # scripts): give them a moment so a problem fails every run, not one in three.
        await self.page.wait_for_load_state("load")
        await self.page.wait_for_timeout(SETTLE_MS)
        errors = [e for e in self.console_errors if e not in self.error_documents]
        assert errors == [], errors
        assert self.page_errors == [], self.page_errors
        assert await self.csp_violations() == []


@pytest.fixture
async def probe(browser: Browser, live_server: LiveServer) -> AsyncIterator[Probe]:
    async with watched_context(browser, live_server.url) as result:
        yield result


@asynccontextmanager
async def watched_context(
    browser: Browser, base_url: str, *, timeout_ms: int = 10_000
) -> AsyncIterator[Probe]:
    """A fresh browser context (its own cookies and storage) whose console errors, page errors
    and CSP violations are recorded for ``Probe.assert_clean``."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(RECORD_CSP_VIOLATIONS)
    context.set_default_timeout(timeout_ms)
    page = await context.new_page()
    result = Probe(page, base_url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            result.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def on_page_error(error: Error) -> None:
        result.page_errors.append(str(error))

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    try:
        yield result
    finally:
        await context.close()


async def _clear_ip_throttle(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(delete(LoginAttempt).where(LoginAttempt.key == "ip:127.0.0.1"))


@pytest.fixture(autouse=True)
async def clean_login_throttle(db: Database) -> AsyncIterator[None]:
    """Failed sign-ins here count against 127.0.0.1, shared with every other test."""
    await _clear_ip_throttle(db)
    yield
    await _clear_ip_throttle(db)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
