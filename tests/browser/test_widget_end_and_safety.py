"""Ending a chat and rating it (stored on the interaction), and markup in every text the widget
shows (agent replies, names, greeting, title, file names) staying inert: a trap proves it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import expect

from parley.actions.messages import do_add_message
from parley.actors import Actor
from parley.config import Settings
from parley.models import Interaction
from parley.models.enums import MessageRole
from tests.browser.conftest import Probe
from tests.browser.test_widget_chat import (
    PNG_1PX,
    HostSite,
    bubbles,
    open_chat,
    open_host,
    send,
    started_chat,
)
from tests.browser.test_widget_chat import host_site as host_site  # a fixture
from tests.factories import Tenant
from tests.test_webchat_api import interaction_of, make_channel

pytestmark = pytest.mark.browser

XSS = [
    "<script>window.__xss='script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg onload=\"window.__xss='svg'\"><circle r=1></circle></svg>",
    "javascript:window.__xss='link'",
    "<a href=\"javascript:window.__xss='href'\">click me</a>",
    "<iframe srcdoc=\"<script>parent.__xss='iframe'</script>\"></iframe>",
    "<b>broken <i>html <div <p onclick=alert(1)>",
    '"><img src=x onerror=alert(1)>',
]
TRAP = """
window.__xss = undefined;
window.alert = function () { window.__xss = 'alert'; };
"""


async def test_end_chat_then_rate_it(
    probe: Probe, host_site: HostSite, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    channel = await make_channel(tenant)
    page = await open_host(probe, host_site, channel)
    await started_chat(probe, tenant, channel, "Thanks for the help")
    widget = page.locator("[data-parley-widget]")
    await widget.locator(".end").click()
    csat = widget.locator(".csat")
    await expect(csat).to_be_visible()
    await expect(widget.locator(".composer")).to_be_hidden()
    await csat.get_by_role("button", name="4 out of 5").click()
    await csat.locator(".comment").fill("Quick and kind")
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "widget-csat.png")
    await csat.get_by_role("button", name="Send rating").click()
    await expect(csat.locator(".ask")).to_have_text("Thank you for your feedback!")
    interaction = await interaction_of(tenant, channel)
    async with tenant.db.transaction() as session:
        stored = await session.get(Interaction, uuid.UUID(interaction["id"]))
        assert stored is not None
        assert (stored.csat, stored.csat_description, stored.csat_source) == (
            4,
            "Quick and kind",
            "survey",
        )
    # A new chat starts afresh.
    await csat.get_by_role("button", name="Start a new chat").click()
    await expect(bubbles(page, "customer")).to_have_count(0)
    await send(page, "One more question")
    await expect(bubbles(page, "customer", "One more question").locator(".state")).to_have_count(0)
    await probe.assert_clean()


async def test_an_agent_completing_the_interaction_asks_for_a_rating(
    probe: Probe, host_site: HostSite, tenant: Tenant
) -> None:
    channel = await make_channel(tenant)
    page = await open_host(probe, host_site, channel)
    path = await started_chat(probe, tenant, channel, "Bye!")
    done = await tenant.agent.client.post(f"{path}/complete", json={"outcome": "resolved"})
    assert done.status_code == 200, done.text
    widget = page.locator("[data-parley-widget]")
    await expect(widget.locator(".csat")).to_be_visible()
    await expect(widget.locator(".status")).to_have_text("Chat ended")
    # Still asked after a reload, until rated or restarted.
    await page.reload()
    await widget.locator(".launcher").click()
    await expect(widget.locator(".csat")).to_be_visible()
    await probe.assert_clean()


async def test_markup_everywhere_stays_text(
    probe: Probe, host_site: HostSite, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    """On a page with no CSP at all: only the widget's own rendering keeps it inert."""
    channel = await make_channel(tenant, greeting=XSS[1] + XSS[0], widget_title=XSS[2])
    await probe.page.add_init_script(TRAP)
    page = await open_host(probe, host_site, channel, csp=None)
    await open_chat(page)
    widget = page.locator("[data-parley-widget]")
    await expect(widget.locator(".title")).to_have_text(XSS[2])
    await expect(widget.locator(".greeting .text")).to_have_text(XSS[1] + XSS[0])
    await send(page, XSS[4])
    await expect(bubbles(page, "customer", XSS[4]).locator(".state")).to_have_count(0)
    interaction = await interaction_of(tenant, channel)
    async with tenant.db.transaction() as session:
        await do_add_message(
            session,
            actor=Actor.automation(tenant.org.id, XSS[7]),
            interaction_id=uuid.UUID(interaction["id"]),
            role=MessageRole.assistant,
            text=XSS[3],
        )
    path = f"/api/v1/interactions/{interaction['id']}"
    agent = tenant.agent.client
    for payload in XSS:
        assert (await agent.post(f"{path}/messages", json={"text": payload})).status_code == 201
    async with page.expect_file_chooser() as chooser:
        await widget.locator(".attach").click()
    name = "<img src=x onerror=window.__xss='file'>.png"  # browsers escape quotes in names
    await (await chooser.value).set_files(
        {"name": name, "mimeType": "image/png", "buffer": PNG_1PX}
    )

    await expect(bubbles(page, "agent")).to_have_count(len(XSS))
    assert await bubbles(page, "agent").locator(".text").all_text_contents() == XSS
    await expect(bubbles(page, "assistant", XSS[3]).locator(".who")).to_have_text(
        XSS[7] + " \u00b7 automated"
    )
    upload = bubbles(page, "customer").filter(has=page.locator(".file"))
    await expect(upload.locator(".file-name")).to_have_text(name)
    await expect(upload.locator(".state")).to_have_count(0)
    await page.wait_for_timeout(500)
    assert await page.evaluate("window.__xss") is None
    counts = await page.evaluate(
        """() => {
        const root = document.querySelector('[data-parley-widget]').shadowRoot;
        const n = (sel) => root.querySelectorAll(sel).length;
        const hrefs = [...root.querySelectorAll('a')].map((a) => a.getAttribute('href'));
        return {script: n('script'), iframe: n('iframe'), svg: n('svg'), img: n('img'),
                handlers: n('[onerror],[onload],[onclick]'), hrefs: hrefs};
    }"""
    )
    assert counts["script"] == counts["iframe"] == counts["handlers"] == 0
    assert counts["svg"] == 2 and counts["img"] == 1  # our two icons; the uploaded picture
    assert all(h.startswith(probe.base_url + "/widget/v1/") for h in counts["hrefs"])
    assert await page.locator("body > script").count() == 1  # nothing added to the host page
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "widget-markup-is-text.png")
    await probe.assert_clean()
