"""Attaching a file from the composer in a real browser: the agent picks an image, sees it named
before sending, sends it with a line of text, and the transcript shows the thumbnail (loaded from
the interaction's file endpoint) and a link; a refused file is explained in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from parley.config import Settings
from tests.browser.conftest import Probe
from tests.browser.console_support import sign_in
from tests.factories import Tenant
from tests.test_agent_files import PNG

pytestmark = pytest.mark.browser


async def test_attach_an_image_and_see_it_in_the_transcript(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    created = await tenant.create_interaction(subject="Broken lid", text="Photo of what?")
    r = await tenant.agent.client.post(f"/api/v1/interactions/{created['id']}/claim")
    assert r.status_code == 200, r.text
    page = probe.page
    await sign_in(page, probe.base_url, tenant.agent.user.email, f"/console/i/{created['number']}")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online")

    # A file the server refuses (markup named .png): the reason is shown under the composer.
    await page.set_input_files(
        "#composer-file",
        files=[{"name": "lid.png", "mimeType": "image/png", "buffer": b"<svg onload=x()></svg>"}],
    )
    await expect(page.locator("#composer-attached")).to_contain_text("lid.png")
    await page.click("#composer-send")
    await expect(page.locator("#composer-error")).to_contain_text("not accepted")
    probe.allow_error_document(422, f"/api/v1/interactions/{created['id']}/files")
    await page.click("#composer-file-clear")
    await expect(page.locator("#composer-attached")).to_be_hidden()

    await page.set_input_files(
        "#composer-file", files=[{"name": "lid.png", "mimeType": "image/png", "buffer": PNG}]
    )
    await page.fill("#composer-text", "This is the lid we will send.")
    await page.click("#composer-send")
    sent = page.locator("#transcript li.msg.role-agent", has_text="the lid we will send")
    await expect(sent).to_have_count(1)
    await expect(page.locator("#composer-attached")).to_be_hidden()
    await expect(page.locator("#message-count")).to_have_text("2 messages")
    link = sent.locator(".attachment a")
    await expect(link).to_contain_text("lid.png")
    thumb = sent.locator("img.thumb")
    await expect(thumb).to_have_count(1)
    await page.wait_for_function(
        "() => { const i = document.querySelector('#transcript img.thumb');"
        " return i && i.complete && i.naturalWidth === 1; }"
    )
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-attachment.png", full_page=True)
    await page.reload()
    await expect(sent.locator("img.thumb")).to_have_count(1)
    await probe.assert_clean()
