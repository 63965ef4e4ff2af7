"""``/demo/shop`` after ``parley demo``: a product page wearing the widget, under Parley's own
strict policy, where a visitor can chat with the demo organization."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from parley.config import Settings
from parley.db.engine import Database
from parley.demo.seed import DEMO_SLUG, seed_demo
from parley.models import Message, Organization
from tests.browser.conftest import Probe
from tests.browser.test_widget_chat import bubbles, open_chat, send

pytestmark = pytest.mark.browser


async def test_the_demo_shop_wears_the_widget(
    probe: Probe, settings: Settings, db: Database, artifacts: Path
) -> None:
    await seed_demo(settings, base_url=probe.base_url)  # does nothing if already seeded
    page = probe.page
    response = await page.goto(probe.url("/demo/shop"))
    assert response is not None and response.status == 200
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    await expect(page.locator("h1")).to_have_text("Trailhead 38 L pack")
    # The shop's stylesheet applied (the policy allows it from Parley's origin).
    bg = await page.locator(".buy").evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg == "rgb(47, 111, 79)"
    await open_chat(page)
    widget = page.locator("[data-parley-widget]")
    await expect(widget.locator(".title")).to_have_text("Chat with Northwind")
    await expect(widget.locator(".greeting")).to_contain_text("Ask us anything")
    text = "Is the Trailhead pack waterproof?"
    await send(page, text)
    await expect(bubbles(page, "customer", text).locator(".state")).to_have_count(0)
    async with db.transaction() as session:
        stmt = (
            select(Message.text)
            .join(Organization, Organization.id == Message.organization_id)
            .where(Organization.slug == DEMO_SLUG)
        )
        assert text in list((await session.execute(stmt)).scalars())
    if settings.is_sqlite:
        await page.wait_for_timeout(1000)  # let any automated answer land for the picture
        await page.screenshot(path=artifacts / "demo-shop-widget.png")
    await probe.assert_clean()
