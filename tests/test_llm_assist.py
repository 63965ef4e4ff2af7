"""The LLM's help inside automation, when one is configured: a second opinion on near-miss
procedure matches, and free-text slots lifted out of longer messages. Each call is metered on
the interaction; the model can only pick among what it was offered, or copy the customer's words.

The engine tests run a real automation turn (SQLite and PostgreSQL) against the sandbox's
OpenAI-compatible API."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from parley.actions.interactions import do_create_interaction
from parley.actions.messages import do_add_message
from parley.actors import Actor
from parley.automation.engine import TurnHandler
from parley.automation.procedures import (
    FixtureKnowledge,
    Handoff,
    OfflineToolRunner,
    advance,
    parse_procedure,
)
from parley.automation.procedures.store import do_import_procedures
from parley.config import Settings
from parley.models import Activity, Interaction, Job, Message
from parley.models.enums import ActorType, CommunicationType, Direction, MessageRole
from tests.factories import Tenant
from tests.providers import Sandbox
from tests.providers.openai import llm_settings, script

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SHOP = Path(__file__).resolve().parents[1] / "parley" / "demo" / "procedures"
COMPLAINT = """\
name: complaint
description: A customer complains about an order
triggers: {examples: [I want to make a complaint, I'd like to complain about my order]}
steps:
  - ask: {slot: email, prompt: "Your email address?", validator: email}
  - ask: {slot: problem, prompt: "What went wrong?"}
  - handoff: {note: "Complaint from {{email}}: {{problem}}"}
"""
RAMBLE = "Well hello again, so basically the box arrived crushed and honestly I'm annoyed"


async def test_a_free_text_answer_can_be_lifted_out_of_a_longer_message() -> None:
    definition = parse_procedure(COMPLAINT)
    asked: list[tuple[str, str]] = []

    async def lift(description: str, text: str) -> str | None:
        asked.append((description, text))
        return "the box arrived crushed"

    async def abstain(description: str, text: str) -> str | None:
        return None

    async def run(extract: Any) -> tuple[Any, ...]:
        tools, kb = OfflineToolRunner({}), FixtureKnowledge([])
        turn = await advance(definition, None, "I want to complain", tools, kb, NOW)
        turn = await advance(definition, turn.state, "jo@example.com", tools, kb, NOW)
        assert turn.replies == ["What went wrong?"]
        turn = await advance(definition, turn.state, RAMBLE, tools, kb, NOW, extract_answer=extract)
        return tuple(turn.actions), turn.trace

    actions, trace = await run(lift)
    assert actions == (Handoff(None, "Complaint from jo@example.com: the box arrived crushed"),)
    assert trace[0] == {
        "step": "step_2",
        "ask": "problem",
        "value": "the box arrived crushed",
        "extracted": True,
    }
    # Asked only for the free-text slot (the email answer was validated as usual).
    assert asked == [("problem: What went wrong?", RAMBLE)]
    actions, trace = await run(abstain)
    assert actions == (Handoff(None, f"Complaint from jo@example.com: {RAMBLE}"),)
    assert "extracted" not in trace[0]
    actions, _ = await run(None)
    assert actions == (Handoff(None, f"Complaint from jo@example.com: {RAMBLE}"),)


class Conversation:
    """An automated interaction whose turns run through the real turn handler."""

    def __init__(self, tenant: Tenant, settings: Settings) -> None:
        self.tenant, self.handler = tenant, TurnHandler(settings)
        self.id: uuid.UUID | None = None

    async def say(self, text: str) -> None:
        tenant = self.tenant
        customer = Actor(tenant.org.id, ActorType.contact, tenant.contact.id, "Joe")
        async with tenant.db.transaction() as s:
            if self.id is None:
                created = await do_create_interaction(
                    s,
                    actor=customer,
                    direction=Direction.inbound,
                    communication_type=CommunicationType.chat,
                    subtype="webchat",
                    contact_id=tenant.contact.id,
                    queue_id=tenant.queue.id,
                    automated=True,
                )
                self.id = created.id
            message = await do_add_message(
                s, actor=customer, interaction_id=self.id, role=MessageRole.customer, text=text
            )
            job = Job(
                organization_id=tenant.org.id,
                payload={"interaction_id": str(self.id), "message_id": str(message.id)},
            )
            await self.handler(s, job)

    async def last_trace(self) -> dict[str, Any]:
        rows = await self._activity("automation_turn")
        data: dict[str, Any] = rows[-1]
        return data

    async def _activity(self, kind: str) -> list[dict[str, Any]]:
        async with self.tenant.db.transaction() as s:
            rows = await s.execute(
                select(Activity.data)
                .where(Activity.interaction_id == self.id, Activity.kind == kind)
                .order_by(Activity.created_at, Activity.id)
            )
            return list(rows.scalars())

    async def replies(self) -> list[str]:
        async with self.tenant.db.transaction() as s:
            rows = await s.execute(
                select(Message.text)
                .where(Message.interaction_id == self.id, Message.role == MessageRole.assistant)
                .order_by(Message.seq)
            )
            return list(rows.scalars())

    async def llm_purposes(self) -> list[str]:
        return [row["purpose"] for row in await self._activity("llm_call")]

    async def interaction(self) -> Interaction:
        async with self.tenant.db.transaction() as s:
            return await s.get_one(Interaction, self.id)


async def conversation_with(
    tenant: Tenant, settings: Settings, sandbox: Sandbox, files: list[tuple[str, str]]
) -> tuple[Conversation, str]:
    """These procedures imported, and a conversation whose LLM is the sandbox's (and its key,
    to script the model's answers)."""
    async with tenant.db.transaction() as s:
        await do_import_procedures(s, actor=tenant.system, files=files)
    key = "sk-test-" + secrets.token_hex(12)
    return Conversation(tenant, llm_settings(settings, sandbox, key)), key


def shop_files() -> list[tuple[str, str]]:
    return [(p.name, p.read_text()) for p in sorted(SHOP.glob("*.yaml"))]


async def complaint_reply_pending(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> tuple[Conversation, str]:
    """A complaint procedure waiting for the free-text answer to "What went wrong?"."""
    chat, key = await conversation_with(tenant, settings, sandbox, [("complaint.yaml", COMPLAINT)])
    await chat.say("I'd like to complain about my order")
    await chat.say("jo@example.com")
    return chat, key


async def test_a_near_miss_is_settled_by_the_llm_among_the_close_candidates(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> None:
    chat, key = await conversation_with(tenant, settings, sandbox, shop_files())
    script(sandbox, key, 200, '{"procedure": "order_status"}')
    # Vague: no procedure clears the matcher's threshold, two come close.
    await chat.say("can you look into my purchase")
    trace = (await chat.last_trace())["trace"]
    offered = trace["llm_choice"]["offered"]
    assert {"order_status", "refund_request"} <= set(offered)
    assert "password_reset" not in offered  # far below the threshold: never offered
    assert trace["llm_choice"]["chosen"] == "order_status"
    assert trace["procedure"]["name"] == "order_status"
    assert "order number" in (await chat.replies())[-1]
    assert await chat.llm_purposes() == ["rank_procedures"]
    assert (await chat.interaction()).billable_messages == 1


async def test_the_llm_cannot_start_a_procedure_it_was_not_offered(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> None:
    chat, key = await conversation_with(tenant, settings, sandbox, shop_files())
    script(sandbox, key, 200, '{"procedure": "password_reset"}')
    await chat.say("can you look into my purchase")
    turn = await chat.last_trace()
    assert turn["trace"]["llm_choice"]["chosen"] is None  # discarded: not among the offered
    assert "procedure" not in turn["trace"]
    assert turn["decision"] in {"knowledge", "handoff"}
    assert await chat.llm_purposes() == ["rank_procedures"]  # still paid for, still recorded


async def test_a_free_text_slot_is_filled_by_the_llm_in_a_real_turn(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> None:
    chat, key = await complaint_reply_pending(tenant, settings, sandbox)
    assert (await chat.replies())[-1] == "What went wrong?"
    script(sandbox, key, 200, '{"value": "the box arrived crushed"}')
    await chat.say(RAMBLE)
    steps = (await chat.last_trace())["trace"]["procedure"]["steps"]
    assert steps[0]["value"] == "the box arrived crushed" and steps[0]["extracted"] is True
    assert await chat.llm_purposes() == ["fill_slot"]
    async with tenant.db.transaction() as s:
        notes = await s.execute(
            select(Message.text).where(Message.interaction_id == chat.id, Message.kind == "note")
        )
        assert any("the box arrived crushed" in n for n in notes.scalars())


async def test_words_the_customer_never_wrote_are_not_taken(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> None:
    chat, key = await complaint_reply_pending(tenant, settings, sandbox)
    script(sandbox, key, 200, '{"value": "refund 1000 GBP to account 12345"}')
    await chat.say(RAMBLE)
    steps = (await chat.last_trace())["trace"]["procedure"]["steps"]
    assert steps[0]["value"] == RAMBLE and "extracted" not in steps[0]
