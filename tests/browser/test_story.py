"""The whole story in two browsers: a customer chats in the widget on the demo shop page, a
procedure answers, the customer asks for a person, and an agent in the console takes it from the
live list to Closed while the customer watches, then rates the chat.

The demo organization is seeded into the run's shared database (once per backend; seeding is
idempotent, and ``test_widget_demo_shop.py`` does the same), so the automation is the demo's own:
Nova, the ``order_status`` procedure, and the flows that let automation answer web chats first.
"""

from __future__ import annotations

import re
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from parley.config import Settings
from parley.db.engine import Database
from parley.demo.content import USERS
from parley.demo.seed import DEMO_PASSWORD, DEMO_SLUG, seed_demo
from parley.models import Activity, Interaction, Message, Organization
from parley.models.enums import MessageRole
from tests.browser.conftest import Probe, watched_context
from tests.browser.test_widget_chat import bubbles, open_chat, send
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

# An agent of the demo's Support queue, the web chat channel's default queue.
AGENT = next(u for u in USERS if u.key == "tom")
FIRST = "Hello, where is my order?"
HUMAN = "I'd rather talk to a human please"
REPLY = "Hi, I'm Tom from Northwind. I'll look into your order right away."
COMMENT = "Tom sorted it out quickly"
# In business hours the hand-off promises someone shortly; outside them, says when.
HANDOFF = re.compile(r"passing you to one of our team|Our team is away")
# What arrives from elsewhere (an automation job, a live event) gets longer than a local click.
LIVE_MS = 15_000


def second_probe(browser: Browser, base_url: str) -> AbstractAsyncContextManager[Probe]:
    """Another browser context (its own cookies and storage), watched like ``probe``."""
    return watched_context(browser, base_url, timeout_ms=15_000)


async def sign_in_demo(page: Page, base_url: str, email: str) -> None:
    await page.goto(base_url + "/login")
    await page.fill("#email", email)
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(base_url + "/")
    await page.goto(base_url + "/console")


async def online(page: Page) -> None:
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online")


async def chat_interaction(db: Database) -> Interaction:
    """The demo interaction holding the customer's first message of this test."""
    async with db.transaction() as session:
        stmt = (
            select(Interaction)
            .join(Message, Message.interaction_id == Interaction.id)
            .join(Organization, Organization.id == Interaction.organization_id)
            .where(Organization.slug == DEMO_SLUG, Message.text == FIRST)
            .order_by(Interaction.number.desc())
            .limit(1)
        )
        found = (await session.execute(stmt)).scalar_one()
        session.expunge(found)
        return found


async def test_the_whole_story(
    probe: Probe,
    browser: Browser,
    live_server: LiveServer,
    settings: Settings,
    db: Database,
    artifacts: Path,
) -> None:
    await seed_demo(settings, base_url=probe.base_url)  # does nothing if already seeded

    async def shot(page: Page, name: str) -> None:
        # One set of pictures per run (the SQLite pass), like the other browser tests.
        if settings.is_sqlite:
            await page.screenshot(path=artifacts / f"story-{name}.png", full_page=True)

    async with second_probe(browser, live_server.url) as console:
        agent = console.page
        customer = probe.page

        # The agent is at work in the console before the customer writes.
        await sign_in_demo(agent, console.base_url, AGENT.email)
        await online(agent)
        await expect(agent.locator("#tab-open")).to_be_visible()
        before = set(
            await agent.locator("#rows tr.row").evaluate_all(
                "rows => rows.map(r => r.dataset.number)"
            )
        )
        # A marker that a reload or navigation would wipe: the row must arrive without one.
        await agent.evaluate("window.__storyMarker = 'still here'")
        await shot(agent, "01-console-open-list")

        # The customer opens the demo shop and chats in the widget.
        response = await customer.goto(probe.url("/demo/shop"))
        assert response is not None and response.status == 200
        await expect(customer.locator("h1")).to_have_text("Trailhead 38 L pack")
        await open_chat(customer)
        widget = customer.locator("[data-parley-widget]")
        await expect(widget.locator(".title")).to_have_text("Chat with Northwind")
        await shot(customer, "02-shop-widget-open")

        # A procedure answers: Nova greets, order_status asks for the order number.
        await send(customer, FIRST)
        await expect(bubbles(customer, "customer", FIRST).locator(".state")).to_have_count(0)
        greeting = bubbles(customer, "assistant", "I'm Nova, Northwind's assistant")
        await expect(greeting).to_have_count(1, timeout=LIVE_MS)
        await expect(greeting.locator(".who")).to_have_text("Nova \u00b7 automated")
        asks = bubbles(customer, "assistant", "order number")
        await expect(asks).to_have_count(1, timeout=LIVE_MS)
        await expect(asks.locator(".who")).to_contain_text("automated")
        await shot(customer, "03-widget-procedure-asks")
        interaction = await chat_interaction(db)
        number = str(interaction.number)
        assert number not in before

        # The customer asks for a person: automation hands over and says so.
        await send(customer, HUMAN)
        await expect(bubbles(customer, "customer", HUMAN).locator(".state")).to_have_count(0)
        handoff = bubbles(customer, "assistant").filter(has_text=HANDOFF)
        await expect(handoff).to_have_count(1, timeout=LIVE_MS)
        await shot(customer, "04-widget-handoff")

        # The interaction is in the agent's Open list, queued, without a reload.
        row = agent.locator(f"#rows tr.row[data-number='{number}']")
        await expect(row).to_have_count(1, timeout=LIVE_MS)
        await expect(row.locator(".badge")).to_have_text(["queued"], timeout=LIVE_MS)
        await expect(row).to_contain_text("Support")
        assert await agent.evaluate("window.__storyMarker") == "still here"
        await shot(agent, "05-console-arrived-live")

        # The agent opens it, claims it and replies.
        await row.locator("a.open-link").click()
        await agent.wait_for_url(f"**/console/i/{number}")
        await online(agent)
        transcript = agent.locator("#transcript li.msg")
        await expect(transcript.filter(has_text=FIRST)).to_have_count(1)
        await expect(transcript.filter(has_text=HUMAN)).to_have_count(1)
        await expect(agent.locator("#state-badge")).to_have_text("queued")
        await agent.click("#btn-claim")
        await expect(agent.locator("#state-badge")).to_have_text("assigned")
        await expect(agent.locator("#d-assignee")).to_have_text(AGENT.name)
        await agent.fill("#composer-text", REPLY)
        await agent.locator("#composer-text").press("Enter")
        await expect(transcript.filter(has_text=REPLY)).to_have_count(1)
        await expect(agent.locator("#composer-text")).to_have_value("")
        await shot(agent, "06-console-claimed-replied")

        # The customer sees the agent's reply live, under the agent's name.
        reply = bubbles(customer, "agent", REPLY)
        await expect(reply).to_have_count(1, timeout=LIVE_MS)
        await expect(reply.locator(".who")).to_have_text(AGENT.name)
        await shot(customer, "07-widget-agent-reply")

        # The agent completes it as resolved.
        await agent.click("#btn-complete")
        await expect(agent.locator("#dlg-complete")).to_be_visible()
        await agent.check("#dlg-complete input[value=resolved]")
        await agent.click("#dlg-complete button[type=submit]")
        await expect(agent.locator("#state-badge")).to_have_text("Closed")
        await expect(agent.locator("#outcome-badge")).to_have_text("resolved")

        # The customer is asked for a rating, and gives five stars with a comment.
        csat = widget.locator(".csat")
        await expect(csat).to_be_visible(timeout=LIVE_MS)
        await expect(widget.locator(".status")).to_have_text("Chat ended")
        await expect(widget.locator(".composer")).to_be_hidden()
        await csat.get_by_role("button", name="5 out of 5").click()
        await csat.locator(".comment").fill(COMMENT)
        await shot(customer, "08-widget-rating")
        await csat.get_by_role("button", name="Send rating").click()
        await expect(csat.locator(".ask")).to_have_text("Thank you for your feedback!")
        await shot(customer, "09-widget-rated")

        # Closed: read-only, the rating shown, and the activity feed tells the story.
        await agent.reload()
        await online(agent)
        await expect(agent.locator("#state-badge")).to_have_text("Closed")
        await expect(agent.locator("#composer-text")).to_be_disabled()
        await expect(agent.locator("#composer-send")).to_be_disabled()
        await expect(agent.locator("#d-analytics")).to_contain_text("survey")
        await expect(agent.locator("#d-analytics")).to_contain_text(COMMENT)
        kinds = await agent.locator("#feed li").evaluate_all("els => els.map(e => e.dataset.kind)")
        for kind in ("created", "automation_turn", "routed", "claimed", "message", "completed"):
            assert kind in kinds, kinds
        await shot(agent, "10-console-closed-interaction")

        # It left the Open list for the Closed one.
        listed = agent.locator(f"#rows tr.row[data-number='{number}']")
        await agent.goto(console.url("/console"))
        await online(agent)
        await expect(listed).to_have_count(0)
        await agent.goto(console.url("/console?status=closed"))
        await online(agent)
        await expect(listed).to_have_count(1)
        await expect(listed.locator(".badge")).to_have_text(["completed"])
        await shot(agent, "11-console-closed-list")

        # What was stored: the rating from the survey, and the automation's trace.
        async with db.transaction() as session:
            stored = await session.get(Interaction, interaction.id)
            assert stored is not None
            assert (stored.state.value, stored.outcome and stored.outcome.value) == (
                "completed",
                "resolved",
            )
            assert stored.assignee_id is not None
            assert (stored.csat, stored.csat_description, stored.csat_source) == (
                5,
                COMMENT,
                "survey",
            )
            turns = list(
                (
                    await session.execute(
                        select(Activity.data)
                        .where(
                            Activity.interaction_id == interaction.id,
                            Activity.kind == "automation_turn",
                        )
                        .order_by(Activity.created_at, Activity.id)
                    )
                ).scalars()
            )
            said = list(
                (
                    await session.execute(
                        select(Message.role, Message.text)
                        .where(Message.interaction_id == interaction.id)
                        .order_by(Message.seq)
                    )
                ).all()
            )
        procedure_turns = [t for t in turns if t["decision"] == "procedure"]
        assert procedure_turns, turns
        assert procedure_turns[0]["trace"]["procedure"]["name"] == "order_status"
        assert procedure_turns[0]["trace"]["ai_agent"] == "Nova"
        assert turns[-1]["decision"] == "handoff", turns
        assert turns[-1]["reason"] == "asked_for_person", turns
        roles = [(role, text) for role, text in said if role != MessageRole.system]
        assert (MessageRole.customer, FIRST) in roles
        assert (MessageRole.customer, HUMAN) in roles
        assert (MessageRole.agent, REPLY) in roles

        await console.assert_clean()
    await probe.assert_clean()
