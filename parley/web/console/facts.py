"""The interaction page's facts: each one a label, a stable key (``data-field`` in the page) and
the text shown, with an honest explanation wherever the value does not exist.

What a reviewer needs of one conversation (who and what answered, at what cost, where the
customer was, how they felt, what it was about) is always listed, so a missing value reads as
"not reported by this channel" or "offline (no LLM)", never as a silently absent row.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from parley.analytics.rollup import csat_from_survey
from parley.analytics.topic import OTHER
from parley.models import Channel
from parley.models.enums import CommunicationType, HandledBy
from parley.schemas.interactions import InteractionRead
from parley.web.console.common import duration

OFFLINE_MODEL = "offline (no LLM)"
NO_AUTOMATION = "None"
CLIENT_FIELDS = (
    ("Browser", "browser"),
    ("OS", "os"),
    ("IP address", "ip"),
    ("Country", "country"),
    ("City", "city"),
    ("URL", "url"),
)
TYPE_NAMES = {
    CommunicationType.chat: "Text chat",
    CommunicationType.voice: "Voice call",
    CommunicationType.messaging: "Messaging",
    CommunicationType.email: "Email",
    CommunicationType.task: "Task",
}
HANDLED_BY = {
    HandledBy.aop: "Automation (a procedure)",
    HandledBy.kb: "Automation (the knowledge base)",
    HandledBy.human: "A person",
}


@dataclass(frozen=True)
class Fact:
    label: str
    key: str
    text: str
    note: bool = False
    """The text explains why there is no value (shown muted)."""


def type_text(item: InteractionRead) -> str:
    name = TYPE_NAMES[item.communication_type]
    return f"{name} ({item.subtype})" if item.subtype else name


def duration_text(item: InteractionRead) -> str:
    """Created to completed, as the analytics export's ``duration_s``; "ongoing" while open."""
    if item.completed_at is None:
        return "ongoing"
    return duration((item.completed_at - item.created_at).total_seconds())


def cost_text(cost: Decimal) -> str:
    """Two places like money, more only when a micro-unit cost needs them (0.001234)."""
    value = Decimal(cost)
    cents = value.quantize(Decimal("0.01"))
    return format(cents if cents == value else value.normalize(), "f")


def _automated(item: InteractionRead) -> bool:
    return item.ai_agent_id is not None or item.handled_by in (HandledBy.aop, HandledBy.kb)


def usage_facts(item: InteractionRead, ai_agent: str | None) -> list[Fact]:
    """The AI agent, the model and what the interaction cost."""
    if item.llm_model:
        model = Fact("LLM model", "llm_model", item.llm_model)
    elif _automated(item):
        # Automation ran, but no billable model call was made: the offline provider answered.
        model = Fact("LLM model", "llm_model", OFFLINE_MODEL, note=True)
    else:
        model = Fact("LLM model", "llm_model", NO_AUTOMATION, note=True)
    handled = HANDLED_BY.get(item.handled_by) if item.handled_by else None
    return [
        Fact("AI agent", "ai_agent", ai_agent or NO_AUTOMATION, note=ai_agent is None),
        Fact("Handled by", "handled_by", handled or "Nobody yet", note=handled is None),
        model,
        Fact("Billable messages", "billable_messages", str(item.billable_messages)),
        Fact("Tokens in / out", "tokens", f"{item.llm_tokens_in} / {item.llm_tokens_out}"),
        Fact("Total costs", "llm_cost", cost_text(item.llm_cost)),
    ]


def client_facts(item: InteractionRead, channel: Channel | None) -> tuple[list[Fact], str | None]:
    """The customer's environment, or why there is none: only web chats report one."""
    client = {k: str(v) for k, v in item.client.items() if v not in (None, "")}
    if not any(key in client for _, key in CLIENT_FIELDS):
        source = f"the {channel.name} channel" if channel else "this interaction's source"
        return [], f"No browser, OS, IP address or location: {source} does not report them."
    return [
        Fact(label, key, client[key]) if key in client else Fact(label, key, "not reported", True)
        for label, key in CLIENT_FIELDS
    ], None


def analysed(item: InteractionRead) -> bool:
    return any(
        v not in (None, "", [])
        for v in (item.sentiment_description, item.csat, item.topic, item.summary, item.keywords)
    )


def analytics_facts(item: InteractionRead) -> list[Fact]:
    """Sentiment, CSAT, topic, summary and keywords; empty until the insight job has run."""
    if not analysed(item):
        return []
    if item.sentiment is not None:
        # The label only: it is a recency-weighted vote, the score a mean, and "Negative
        # (+0.15)" would read as a contradiction (docs/analytics.md).
        sentiment = Fact("Sentiment", "sentiment", item.sentiment.value.capitalize())
    else:
        sentiment = Fact("Sentiment", "sentiment", "Not available", note=True)
    facts = [
        sentiment,
        _text("Sentiment description", "sentiment_description", item.sentiment_description),
        *_csat(item),
    ]
    if item.topic == OTHER:
        facts.append(Fact("Topic", "topic", "Other (none of the organization's topics fits)"))
    else:
        facts.append(_text("Topic", "topic", item.topic))
    facts.append(_text("Summary", "summary", item.summary, missing="Nothing to summarise"))
    keywords = ", ".join(str(k) for k in item.keywords)
    facts.append(_text("Keywords", "keywords", keywords, missing="None found"))
    return facts


def _csat(item: InteractionRead) -> list[Fact]:
    if item.csat is None:
        return [Fact("CSAT", "csat", "Not available", note=True)]
    if item.csat_source == "survey" and 1 <= item.csat <= 5:
        # The survey's comment is stored as the customer wrote it; say whose score it is.
        described = csat_from_survey(item.csat, item.csat_description).description
        return [
            Fact("CSAT", "csat", f"{item.csat}/5 (customer survey)"),
            Fact("CSAT description", "csat_description", described),
        ]
    return [
        Fact("CSAT", "csat", f"{item.csat}/5 ({item.csat_source or 'predicted'})"),
        _text("CSAT description", "csat_description", item.csat_description),
    ]


def _text(label: str, key: str, value: str | None, *, missing: str = "Not available") -> Fact:
    return Fact(label, key, value) if value else Fact(label, key, missing, note=True)
