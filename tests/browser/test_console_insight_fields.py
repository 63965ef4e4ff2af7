"""The interaction page in Chromium shows every field of seed 002 for finished demo
interactions: the transcript (role, time, text, the customer's sentiment) and each detail
(AI agent, organization, model, type, status, counts, times, the customer's environment, costs,
CSAT, topic, summary, sentiment, keywords), each equal to the database row it comes from.

The demo is seeded into the run's shared database (idempotent, as in test_story.py) and its
analytics jobs are run to the end with the real handlers before the pages are opened.
Screenshot: test-artifacts/console-insight-fields.png (SQLite run).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import func, select

from parley.analytics.jobs import handlers
from parley.config import Settings
from parley.db.engine import Database
from parley.demo.content import ORGANIZATION_NAME, USERS
from parley.demo.seed import DEMO_PASSWORD, DEMO_SLUG, seed_demo
from parley.jobs.runner import JobRunner
from parley.models import AiAgent, Interaction, Job, Message, Organization
from parley.models.enums import MessageKind, MessageRole, Role
from parley.web.console.common import duration
from tests.browser.conftest import Probe

pytestmark = pytest.mark.browser

ADMIN = next(u for u in USERS if u.role == Role.admin)
# Finished demo interactions that, between them, take every branch of every field.
SUBJECTS = (
    "Sizing for Trailhead Mid boots",  # web chat: the AI agent, a browser, a survey rating
    "Where is my order NW-100412?",  # email: people only, no browser, a predicted CSAT
    "Payment failed for order NW-101203",  # from the order system: no customer words
    "Frage zum Nordkapp Schlafsack",  # German: no English sentiment, topic "other"
)
TYPES = {"chat": "Text chat", "email": "Email", "task": "Task", "voice": "Voice call"}
READ_DETAILS = """
() => Array.from(document.querySelectorAll("#i-details dl.facts dt")).map((dt) => {
  const dd = dt.nextElementSibling;
  return {label: dt.textContent.trim(), value: dd.textContent.trim(),
          field: dd.dataset.field ?? null, muted: dd.classList.contains("muted")};
})
"""


async def settle_demo(db: Database, org_id: uuid.UUID, *, within: float = 30.0) -> None:
    """Run the demo's analytics jobs until none is left (the live server's runner may take
    some: wait for those too)."""
    runner = JobRunner(db, handlers())
    async with asyncio.timeout(within):
        while True:
            await runner.run_due()
            async with db.transaction() as s:
                pending = await s.execute(
                    select(func.count()).where(
                        Job.organization_id == org_id,
                        Job.finished_at.is_(None),
                        Job.kind.in_(list(handlers())),
                    )
                )
                if not pending.scalar_one():
                    return
            await asyncio.sleep(0.05)


async def load(db: Database, subject: str) -> tuple[Interaction, list[Message], str | None]:
    """The finished, not cloned demo interaction with this subject, its transcript and its AI
    agent's name."""
    async with db.transaction() as s:
        interaction = (
            await s.execute(
                select(Interaction)
                .join(Organization, Organization.id == Interaction.organization_id)
                .where(
                    Organization.slug == DEMO_SLUG,
                    Interaction.subject == subject,
                    Interaction.cloned_from_id.is_(None),
                )
            )
        ).scalar_one()
        messages = list(
            (
                await s.execute(
                    select(Message)
                    .where(Message.interaction_id == interaction.id)
                    .order_by(Message.seq)
                )
            ).scalars()
        )
        agent = await s.get(AiAgent, interaction.ai_agent_id) if interaction.ai_agent_id else None
        s.expunge_all()
    return interaction, messages, agent.name if agent else None


def expected_details(i: Interaction, ai_agent: str | None) -> dict[str, str]:
    """Each seed-002 detail as the page must print it, from the row."""
    assert i.completed_at is not None
    automated = ai_agent is not None
    details = {
        "AI agent": ai_agent or "None",
        "Organization": ORGANIZATION_NAME,
        "LLM model": i.llm_model or ("offline (no LLM)" if automated else "None"),
        "Type": f"{TYPES[i.communication_type.value]} ({i.subtype})",
        "Status": i.state.value,
        "Messages": str(i.message_count),
        "Billable messages": str(i.billable_messages),
        "Start time": i.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        "Duration": duration((i.completed_at - i.created_at).total_seconds()),
        "Total costs": f"{i.llm_cost:.2f}",
        "Topic": (
            i.topic if i.topic != "other" else "Other (none of the organization's topics fits)"
        ),
        "Summary": i.summary or "",
        "Keywords": ", ".join(str(k) for k in i.keywords),
    }
    if i.client:
        details |= {
            "Browser": i.client["browser"],
            "OS": i.client["os"],
            "IP address": i.client["ip"],
            "Country": i.client["country"],
            "City": i.client["city"],
            "URL": i.client["url"],
        }
    if i.sentiment is not None:
        details["Sentiment"] = i.sentiment.value.capitalize()
    else:
        details["Sentiment"] = "Not available"
    details["Sentiment description"] = i.sentiment_description or ""
    if i.csat_source == "survey":
        details["CSAT"] = f"{i.csat}/5 (customer survey)"
        said = f': "{i.csat_description}"' if i.csat_description else "."
        details["CSAT description"] = f"Customer rated {i.csat}/5{said}"
    else:
        details["CSAT"] = f"{i.csat}/5 (predicted)"
        details["CSAT description"] = i.csat_description or ""
    return details


async def check_transcript(page: Page, messages: list[Message]) -> None:
    for m in messages:
        item = page.locator(f"#m-{m.id}")
        role = "Internal note" if m.kind == MessageKind.note else m.role.value.capitalize()
        await expect(item.locator(".msg-role")).to_have_text(role)
        await expect(item.locator("time")).to_have_attribute(
            "datetime", m.created_at.astimezone(UTC).isoformat()
        )
        await expect(item.locator(".msg-text")).to_have_text(m.text)
        badge = item.locator(".sentiment")
        if m.role != MessageRole.customer:
            await expect(badge).to_have_count(0)
        elif m.sentiment is not None:
            await expect(badge).to_have_text(m.sentiment.value)
        else:
            # Not English: no label, and a badge that says it was not analysed, and why.
            await expect(badge).to_have_text("not analysed")
            await expect(badge).to_have_attribute("title", m.meta["sentiment"]["description"])


async def test_every_field_of_a_finished_interaction_is_on_its_page(
    probe: Probe, settings: Settings, db: Database, artifacts: Path
) -> None:
    await seed_demo(settings, base_url=probe.base_url)  # does nothing if already seeded
    async with db.transaction() as s:
        org_id = (
            await s.execute(select(Organization.id).where(Organization.slug == DEMO_SLUG))
        ).scalar_one()
    await settle_demo(db, org_id)
    page = probe.page
    await page.goto(probe.url("/login"))
    await page.fill("#email", ADMIN.email)
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(probe.url("/"))
    for subject in SUBJECTS:
        interaction, messages, ai_agent = await load(db, subject)
        await page.goto(probe.url(f"/console/i/{interaction.number}"))
        await expect(page.locator("#i-subject")).to_have_text(subject)
        await check_transcript(page, messages)
        shown: list[dict[str, Any]] = await page.evaluate(READ_DETAILS)
        values = {row["label"]: row["value"] for row in shown}
        want = expected_details(interaction, ai_agent)
        assert {label: values.get(label) for label in want} == want, subject
        assert all(want.values()), (subject, want)
        start = page.locator('[data-field="start_time"] time')
        await expect(start).to_have_attribute(
            "datetime", interaction.created_at.astimezone(UTC).isoformat()
        )
        if not interaction.client:
            # Not a web chat: one line says which channel reports no environment.
            await expect(page.locator("#d-client-note")).to_contain_text("does not report them")
            assert "Browser" not in values
        if subject == SUBJECTS[0] and settings.is_sqlite:
            await page.screenshot(path=artifacts / "console-insight-fields.png", full_page=True)
    await probe.assert_clean()
