"""Everything a turn needs to know, loaded once: the AI agent, tools, knowledge, hours, inputs.

The interpreter and the engine receive these as objects bound to *one* organization: customer
text can select among them, never reach past them (another organization's data, a tool the
procedure does not declare).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.analytics.sentiment import default_model
from parley.automation.kb.search import threshold_for
from parley.automation.knowledge import knowledge_for
from parley.automation.llm import (
    LlmProvider,
    OpenAiCompatible,
    Ranker,
    SlotFiller,
    llm_composer,
    llm_ranker,
    llm_slot_filler,
    provider_from_settings,
)
from parley.automation.matching import shared_encoder
from parley.automation.procedures.agents import agent_for_channel, load_secrets
from parley.automation.procedures.kb import KbHit, KnowledgeSearch
from parley.automation.procedures.tools import HttpToolRunner, ToolRunner
from parley.config import Settings
from parley.demo.shop import DEMO_SHOP_URL
from parley.demo.shop_tools import DemoShopTools
from parley.models import AiAgent, Channel, Contact, Interaction, Queue
from parley.sla.business_hours import check_business_hours, is_open, next_open


class Composer(Protocol):
    async def __call__(
        self,
        session: AsyncSession,
        interaction: Interaction,
        question: str,
        hits: Sequence[KbHit],
    ) -> str: ...


async def extractive_answer(
    session: AsyncSession, interaction: Interaction, question: str, hits: Sequence[KbHit]
) -> str:
    """The best entry's own answer, with its source: nothing composed, nothing invented."""
    top = hits[0]
    source = f"{top.title} ({top.source})" if top.source else top.title
    return f"{top.answer.strip()}\n\nSource: {source}"


@dataclass
class TurnContext:
    agent_id: Any
    agent_name: str
    greeting: str
    allowed_procedures: list[str] | None
    channel_kind: str | None
    contact_attributes: dict[str, Any]
    inputs: dict[str, Any]
    tools: ToolRunner
    knowledge: KnowledgeSearch
    open_now: bool
    opens_at: datetime | None
    handoff_queue_id: uuid.UUID | None
    # The knowledge base's own calibrated threshold (parley/automation/kb/search.py).
    kb_threshold: float = field(default_factory=lambda: threshold_for(shared_encoder()))
    compose_answer: Composer = extractive_answer
    # With an LLM configured: a second opinion on close procedure calls, and free-text slots
    # lifted out of longer messages. None offline (the matcher and the whole message decide).
    rank_procedure: Ranker | None = None
    fill_slot: SlotFiller | None = None
    sentiment: Callable[[str], float | None] = field(default=lambda text: _sentiment(text))


def _sentiment(text: str) -> float | None:
    """The customer's mood in [-1, 1] (escalation on strong anger), offline."""
    return default_model().analyse(text).score


async def _agent(
    session: AsyncSession, interaction: Interaction, kind: str | None
) -> AiAgent | None:
    """The AI agent already on the conversation, else the one for this channel kind."""
    if interaction.ai_agent_id is not None:
        found = await session.get(AiAgent, interaction.ai_agent_id)
        if found is not None and found.is_active:
            return found
    return await agent_for_channel(
        session, organization_id=interaction.organization_id, channel_kind=kind or ""
    )


async def load_context(
    session: AsyncSession, settings: Settings, interaction: Interaction
) -> TurnContext:
    channel = await session.get(Channel, interaction.channel_id) if interaction.channel_id else None
    kind = str(channel.kind) if channel is not None else None
    contact = await session.get(Contact, interaction.contact_id) if interaction.contact_id else None
    agent = await _agent(session, interaction, kind)
    queue_id = interaction.queue_id or (channel.default_queue_id if channel else None)
    queue = await session.get(Queue, queue_id) if queue_id else None
    hours = check_business_hours(queue.business_hours or {}) if queue is not None else None
    now = clock.now()
    open_now = is_open(hours, now) if hours is not None else True
    inputs = {
        "customer_name": contact.name if contact else None,
        "customer_email": contact.email if contact else None,
        "customer_phone": contact.phone if contact else None,
    }
    collections = list(agent.knowledge_collections or []) if agent is not None else []
    return TurnContext(
        agent_id=agent.id if agent else None,
        agent_name=agent.name if agent else "Automation",
        greeting=(agent.greeting if agent else "") or "",
        allowed_procedures=list(agent.procedures or []) or None if agent else None,
        channel_kind=kind,
        contact_attributes=dict(contact.attributes) if contact else {},
        inputs={k: v for k, v in inputs.items() if v},
        tools=_tools(
            settings, await load_secrets(session, organization_id=interaction.organization_id)
        ),
        knowledge=knowledge_for(session, interaction.organization_id, collections),
        open_now=open_now,
        opens_at=None if open_now or hours is None else next_open(hours, now),
        handoff_queue_id=queue_id,
        **_llm_helpers(settings, agent),
    )


class LlmHelpers(TypedDict, total=False):
    compose_answer: Composer
    rank_procedure: Ranker
    fill_slot: SlotFiller


def _llm_helpers(settings: Settings, agent: AiAgent | None) -> LlmHelpers:
    """Extractive answers and no LLM help offline; with an LLM configured, its cited answer
    (extractive when it abstains, is discarded or fails), its ranking of close procedure calls
    and its slot filling. An AI agent may name its own model."""
    if not settings.llm_base_url:
        return {}
    provider: LlmProvider = provider_from_settings(settings)
    if agent is not None and agent.llm_model and isinstance(provider, OpenAiCompatible):
        provider = provider.with_model(agent.llm_model)
    return {
        "compose_answer": llm_composer(provider, extractive_answer),
        "rank_procedure": llm_ranker(provider),
        "fill_slot": llm_slot_filler(provider),
    }


def tool_config(settings: Settings) -> dict[str, str]:
    """Operator settings that procedures' tool URLs may name (``{{config.shop_url}}``):
    ``PARLEY_TOOL_<NAME>`` sets ``config.<name>``; ``shop_url`` is the demo shop unless set."""
    named = {k[5:].lower(): v for k, v in settings.extra.items() if k.startswith("TOOL_")}
    return {"shop_url": DEMO_SHOP_URL, **named}


def _tools(settings: Settings, secrets: dict[str, str]) -> ToolRunner:
    config = tool_config(settings)
    real = HttpToolRunner(
        secrets=secrets, config=config, allow_private=settings.webhooks_allow_private
    )
    return DemoShopTools(real, config=config, secrets=secrets)
