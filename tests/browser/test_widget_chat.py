"""The customer widget in real Chromium, on a customer's page of another origin under a strict
Content-Security-Policy: start a chat, send, receive an agent's reply live, typing both ways,
upload a file. The page's CSP names only Parley's origin: no 'unsafe-inline', no eval."""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from parley.actions.messages import do_add_message
from parley.actors import Actor
from parley.config import Settings
from parley.models import Message
from parley.models.enums import MessageRole
from parley.security.auth import SESSION_COOKIE
from tests.browser.conftest import Probe
from tests.conftest import LiveServer
from tests.factories import Person, Tenant
from tests.test_webchat_api import API, interaction_of, make_channel

pytestmark = pytest.mark.browser


def _png_1px() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x2f\x6f\x4f\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG_1PX = _png_1px()


def strict_csp(server: str) -> str:
    ws = server.replace("http://", "ws://")
    return (
        f"default-src 'none'; script-src {server}; connect-src {server} {ws}; img-src {server}; "
        "style-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def host_page(server: str, channel_id: str, *, attrs: str = "") -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Shop test page</title></head><body><h1>A customer's shop</h1>
<script src="{server}/widget.js" async data-channel="{channel_id}" {attrs}></script>
</body></html>"""


class HostSite:
    """A customer's website: another origin (another port) on the loopback interface, so
    Chromium's private-network rules treat it like Parley's address. Pages are set per test."""

    def __init__(self) -> None:
        site = self
        self.pages: dict[str, tuple[dict[str, str], str]] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/favicon.ico":  # the browser asks; a shop would have one
                    self.send_response(204)
                    self.end_headers()
                    return
                headers, body = site.pages.get(self.path, ({}, "not found"))
                self.send_response(200 if self.path in site.pages else 404)
                for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture(scope="session")
def host_site() -> Iterator[HostSite]:
    site = HostSite()
    site.thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


async def open_host(
    probe: Probe,
    site: HostSite,
    channel: dict[str, Any],
    *,
    csp: str | None = "strict",
    attrs: str = "",
) -> Page:
    """Publish a customer's page with the widget on ``site`` (another origin) and open it."""
    server = probe.base_url
    headers = {}
    if csp is not None:
        headers["Content-Security-Policy"] = strict_csp(server) if csp == "strict" else csp
    path = f"/shop-{uuid.uuid4().hex[:8]}"
    site.pages[path] = (headers, host_page(server, channel["id"], attrs=attrs))
    await probe.page.goto(site.url + path)
    return probe.page


async def open_chat(page: Page) -> None:
    await page.locator("[data-parley-widget] .launcher").click()
    await expect(page.locator("[data-parley-widget] .panel")).to_be_visible()


async def send(page: Page, text: str) -> None:
    await page.locator("[data-parley-widget] .input").fill(text)
    await page.locator("[data-parley-widget] .input").press("Enter")


def bubbles(page: Page, role: str, text: str | None = None) -> Any:
    found = page.locator(f"[data-parley-widget] .msg.{role}")
    return found.filter(has_text=text) if text is not None else found


@asynccontextmanager
async def console_socket(server: LiveServer, person: Person) -> AsyncIterator[ClientConnection]:
    url = server.url.replace("http://", "ws://") + "/api/v1/events"
    cookie = {"Cookie": f"{SESSION_COOKIE}={person.client.cookies[SESSION_COOKIE]}"}
    async with connect(url, additional_headers=cookie) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        yield ws


async def until(ws: ClientConnection, predicate: Any, within: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            event = json.loads(await ws.recv())
            if predicate(event):
                return event  # type: ignore[no-any-return]


async def started_chat(probe: Probe, tenant: Tenant, channel: dict[str, Any], text: str) -> str:
    """Open the widget, send ``text``; the agent claims the chat. Returns the interaction path."""
    page = probe.page
    await open_chat(page)
    await send(page, text)
    await expect(bubbles(page, "customer", text)).to_have_count(1)
    await expect(bubbles(page, "customer", text).locator(".state")).to_have_count(0)
    await expect(page.locator("[data-parley-widget] .status")).to_have_text("Online")
    interaction = await interaction_of(tenant, channel)
    path = f"{API}/interactions/{interaction['id']}"
    assert (await tenant.agent.client.post(f"{path}/claim")).status_code == 200
    return path


async def test_a_chat_on_a_strict_csp_page(
    probe: Probe,
    host_site: HostSite,
    tenant: Tenant,
    live_server: LiveServer,
    settings: Settings,
    artifacts: Path,
) -> None:
    channel = await make_channel(
        tenant, widget_title="Northwind help", greeting="Hi! How can we help?", color="#2f6f4f"
    )
    page = await open_host(probe, host_site, channel)
    await open_chat(page)
    widget = page.locator("[data-parley-widget]")
    await expect(widget.locator(".title")).to_have_text("Northwind help")
    await expect(widget.locator(".greeting")).to_contain_text("Hi! How can we help?")
    # The constructed stylesheet applied, colour included, with the page's style-src 'none'.
    launcher_bg = await widget.locator(".launcher").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert launcher_bg == "rgb(47, 111, 79)"

    await send(page, "Do you ship to Norway?")
    question = bubbles(page, "customer", "Do you ship to Norway?")
    await expect(question).to_have_count(1)
    await expect(question.locator(".state")).to_have_count(0)  # stored
    await expect(widget.locator(".status")).to_have_text("Online")  # listening
    interaction = await interaction_of(tenant, channel)
    assert interaction["client"]["url"].startswith(host_site.url + "/shop-")
    path = f"{API}/interactions/{interaction['id']}"
    agent = tenant.agent.client
    assert (await agent.post(f"{path}/claim")).status_code == 200

    async with console_socket(live_server, tenant.agent) as console:
        # The agent types: the visitor sees it; the visitor types: the agent sees it.
        frame = {"type": "typing", "interaction_id": interaction["id"], "typing": True}
        await console.send(json.dumps(frame))
        await expect(widget.locator(".typing")).to_have_text("Agent 1 is typing\u2026")
        await widget.locator(".input").press_sequentially("Also, do you")
        typing = await until(
            console, lambda e: e.get("type") == "typing" and e["role"] == "customer"
        )
        assert typing["interaction_id"] == interaction["id"] and typing["typing"] is True
        await widget.locator(".input").fill("")

        assert (
            await agent.post(f"{path}/messages", json={"text": "Yes, in 3-5 days."})
        ).status_code == 201
        reply = bubbles(page, "agent", "Yes, in 3-5 days.")
        await expect(reply).to_have_count(1)
        await expect(reply.locator(".who")).to_have_text("Agent 1")
        await expect(widget.locator(".typing")).to_be_hidden()

    # A file, picked through the attach button.
    async with page.expect_file_chooser() as chooser:
        await widget.locator(".attach").click()
    await (await chooser.value).set_files(
        {"name": "label.png", "mimeType": "image/png", "buffer": PNG_1PX}
    )
    sent_file = bubbles(page, "customer", "label.png")
    await expect(sent_file.locator("img.thumb")).to_have_count(1)
    await expect(sent_file.locator(".state")).to_have_count(0)
    natural = await sent_file.locator("img.thumb").evaluate(
        """img => img.complete && img.naturalWidth ? img.naturalWidth : new Promise((ok) => {
            img.addEventListener("load", () => ok(img.naturalWidth));
            img.addEventListener("error", () => ok("error"));
        })"""
    )
    assert natural == 1
    async with tenant.db.transaction() as session:
        stored = (
            await session.execute(
                select(Message).where(Message.interaction_id == uuid.UUID(interaction["id"]))
            )
        ).scalars()
        files = [m.attachments[0]["filename"] for m in stored if m.attachments]
    assert files == ["label.png"]
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "widget-chat.png")
    await probe.assert_clean()


async def test_automation_and_agent_replies_look_different(
    probe: Probe, host_site: HostSite, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    channel = await make_channel(tenant)
    page = await open_host(
        probe, host_site, channel, attrs='data-position="left" data-color="#7a2f6f"'
    )
    await open_chat(page)
    await send(page, "hello")
    await expect(bubbles(page, "customer", "hello").locator(".state")).to_have_count(0)
    interaction = await interaction_of(tenant, channel)
    async with tenant.db.transaction() as session:
        await do_add_message(
            session,
            actor=Actor.automation(tenant.org.id, "Helper bot"),
            interaction_id=uuid.UUID(interaction["id"]),
            role=MessageRole.assistant,
            text="I am a bot answer.",
        )
    path = f"{API}/interactions/{interaction['id']}"
    await tenant.agent.client.post(f"{path}/messages", json={"text": "I am a person."})
    bot = bubbles(page, "assistant", "I am a bot answer.")
    await expect(bot.locator(".who")).to_have_text("Helper bot \u00b7 automated")
    await expect(bubbles(page, "agent", "I am a person.")).to_have_count(1)
    styles = await page.evaluate(
        """() => {
        const root = document.querySelector('[data-parley-widget]').shadowRoot;
        const s = (sel) => getComputedStyle(root.querySelector(sel));
        return [s('.msg.assistant').borderStyle, s('.msg.agent').borderLeftStyle, s('.pw').left];
    }"""
    )
    assert styles == ["dashed", "solid", "20px"]
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "widget-bot-and-agent.png")
    await probe.assert_clean()
