"""Known interactions with known values for the analytics tests, and the figures computed from
those values by hand (independently of ``parley.queries.analytics``)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from statistics import fmean, median
from typing import Any

from parley.actions.activity import record_activity
from parley.actions.interactions import do_create_interaction
from parley.actors import Actor
from parley.models import Channel
from parley.models.enums import (
    ChannelKind,
    CommunicationType,
    Direction,
    HandledBy,
    Sentiment,
    State,
)
from tests.factories import Tenant

FROM, TO = "2026-03-01", "2026-03-31"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@dataclass
class Spec:
    """What one seeded interaction is; ``None`` leaves a field unset."""

    created: datetime
    channel: str | None = "chat"  # "chat" (webchat), "mail" (email) or None
    queue: int | None = 1  # 1 = Support, 2 = Billing
    assignee: str | None = None  # "agent" / "agent2"
    state: State = State.completed
    handled_by: HandledBy | None = None
    assigned: timedelta | None = None  # after created
    first_response: timedelta | None = None
    completed: timedelta | None = None
    fr_due: timedelta | None = None
    res_due: timedelta | None = None
    fr_breached: bool = False
    next_breached: bool = False
    res_breached: bool = False
    csat: int | None = None
    csat_source: str | None = None
    sentiment: Sentiment | None = None
    topic: str | None = None
    keywords: list[str] = field(default_factory=list)
    cost: str = "0"
    procedures: list[str] = field(default_factory=list)  # automation_turn traces
    handoffs: list[str] = field(default_factory=list)  # handoff reasons
    merged: bool = False
    client: dict[str, Any] = field(default_factory=dict)
    subject: str = "Order question"
    id: uuid.UUID | None = None
    number: int | None = None


def specs() -> list[Spec]:
    m = timedelta(minutes=1)
    return [
        Spec(
            at(10, 9, 15),
            assignee="agent",
            handled_by=HandledBy.human,
            assigned=1 * m,
            first_response=2 * m,
            completed=30 * m,
            fr_due=5 * m,
            res_due=3 * 60 * m,
            csat=5,
            csat_source="survey",
            sentiment=Sentiment.positive,
            topic="Refunds",
            keywords=["refund", "late parcel"],
            client={
                "browser": "Firefox",
                "os": "Linux",
                "ip": "203.0.113.9",
                "country": "GB",
                "city": "Leeds",
                "url": "https://shop.example/help",
            },
        ),
        Spec(
            at(10, 9, 40),
            handled_by=HandledBy.aop,
            completed=4 * m,
            csat=4,
            csat_source="predicted",
            sentiment=Sentiment.neutral,
            topic="Order status",
            keywords=["Refund"],
            cost="0.0123",
            procedures=["order_status"],
        ),
        Spec(
            at(11, 14, 5),
            channel="mail",
            queue=2,
            assignee="agent2",
            handled_by=HandledBy.kb,
            assigned=25 * m,
            first_response=30 * m,
            completed=115 * m,
            fr_due=10 * m,
            res_due=4 * 60 * m,
            fr_breached=True,
            csat=2,
            csat_source="survey",
            sentiment=Sentiment.negative,
            topic="Refunds",
            keywords=["refund", "invoice"],
            cost="0.002",
            subject='=HYPERLINK("http://evil.example")',
        ),
        Spec(
            at(11, 23, 59),
            assignee="agent",
            state=State.assigned,
            handled_by=HandledBy.human,
            assigned=1 * m,
            first_response=timedelta(seconds=90),
            fr_due=5 * m,
            next_breached=True,
            sentiment=Sentiment.negative,
            topic="Refunds",
            keywords=["late parcel"],
            cost="0.05",
            procedures=["refund_request"],
            handoffs=["asked_for_person"],
            client={"browser": "-cmd|' /C calc'!A0", "city": "@SUM(1+1)"},
        ),
        Spec(
            at(12, 3),
            channel=None,
            queue=None,
            state=State.automated,
            csat=3,
            csat_source="predicted",
            procedures=["order_status"],
        ),
        Spec(
            at(12, 10),
            queue=2,
            assignee="agent2",
            handled_by=HandledBy.human,
            assigned=3 * m,
            first_response=4 * m,
            completed=20 * m,
            res_due=60 * m,
            res_breached=True,
            sentiment=Sentiment.negative,
            keywords=["invoice"],
            handoffs=["no_answer", "negative_sentiment"],
            merged=True,
            cost="0.001",
        ),
        # Outside the range: never counted.
        Spec(at(1, 0) - timedelta(days=2), csat=1, csat_source="survey", cost="9"),
    ]


@dataclass
class Seeded:
    specs: list[Spec]
    chat: Channel
    mail: Channel


async def seed(tenant: Tenant, items: list[Spec] | None = None) -> Seeded:
    items = specs() if items is None else items
    system = Actor.system(tenant.org.id)
    people = {"agent": tenant.agent.user.id, "agent2": tenant.agent2.user.id}
    queues = {1: tenant.queue.id, 2: tenant.queue2.id}
    async with tenant.db.transaction() as session:
        chat = Channel(organization_id=tenant.org.id, kind=ChannelKind.webchat, name="Web chat")
        mail = Channel(organization_id=tenant.org.id, kind=ChannelKind.email, name="Support mail")
        session.add_all([chat, mail])
        await session.flush()
        channels = {"chat": chat.id, "mail": mail.id}
        first_id = None
        for s in items:
            it = await do_create_interaction(
                session,
                actor=system,
                direction=Direction.inbound,
                communication_type=CommunicationType.chat,
                contact_id=tenant.contact.id,
                channel_id=channels[s.channel] if s.channel else None,
                queue_id=queues[s.queue] if s.queue else None,
                assignee_id=people[s.assignee] if s.assignee else None,
                subject=s.subject,
                client=s.client,
            )
            it.created_at = s.created
            it.state = s.state
            it.handled_by = s.handled_by
            it.assigned_at = s.created + s.assigned if s.assigned is not None else None
            it.first_response_at = (
                s.created + s.first_response if s.first_response is not None else None
            )
            it.completed_at = s.created + s.completed if s.completed is not None else None
            it.first_response_due_at = s.created + s.fr_due if s.fr_due is not None else None
            it.resolution_due_at = s.created + s.res_due if s.res_due is not None else None
            it.first_response_breached = s.fr_breached
            it.next_response_breached = s.next_breached
            it.resolution_breached = s.res_breached
            it.csat, it.csat_source = s.csat, s.csat_source
            it.csat_description = f"CSAT {s.csat}" if s.csat else None
            it.sentiment = s.sentiment
            it.sentiment_description = "=1+2" if s.sentiment == Sentiment.negative else None
            it.topic = s.topic
            it.keywords = list(s.keywords)
            it.llm_cost = Decimal(s.cost)
            it.llm_model = "gpt-test" if Decimal(s.cost) else None
            if s.merged and first_id is not None:
                it.merged_into_id = first_id
            first_id = first_id or it.id
            for name in s.procedures:
                record_activity(
                    session,
                    it,
                    "automation_turn",
                    system,
                    decision="procedure",
                    reason=f"procedure {name!r} is in progress",
                    trace={"procedure": {"name": name, "version": 1, "steps": []}},
                )
            for reason in s.handoffs:
                record_activity(
                    session,
                    it,
                    "automation_turn",
                    system,
                    decision="handoff",
                    reason=reason,
                    trace={},
                )
            await session.flush()
            s.id, s.number = it.id, it.number
    return Seeded(items, chat, mail)


# --- the figures, by hand -----------------------------------------------------------------------


def in_range(items: list[Spec]) -> list[Spec]:
    lo, hi = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    return [s for s in items if lo <= s.created < hi]


def expected(items: list[Spec]) -> dict[str, Any]:
    rows = in_range(items)
    resolved = [s for s in rows if s.state == State.completed and not s.merged]
    by = Counter(s.handled_by for s in resolved)
    firsts = [s.first_response.total_seconds() for s in rows if s.first_response is not None]
    handles = [
        (s.completed - s.assigned).total_seconds()
        for s in rows
        if s.completed is not None and s.assigned is not None
    ]
    fr = [s for s in rows if s.fr_due is not None and (s.first_response or s.fr_breached)]
    res = [s for s in rows if s.res_due is not None and (s.completed or s.res_breached)]
    survey = [s.csat for s in rows if s.csat is not None and s.csat_source == "survey"]
    predicted = [s.csat for s in rows if s.csat is not None and s.csat_source == "predicted"]
    keywords: Counter[str] = Counter()
    for s in rows:
        keywords.update({k.lower() for k in s.keywords})
    automated = [s for s in rows if s.handled_by in (HandledBy.aop, HandledBy.kb)]
    auto_cost = sum((Decimal(s.cost) for s in automated), Decimal(0))
    auto_resolved = [s for s in resolved if s.handled_by in (HandledBy.aop, HandledBy.kb)]
    hours = [0] * 24
    for s in rows:
        hours[s.created.hour] += 1
    reasons = Counter(r for s in rows for r in s.handoffs)
    return {
        "interactions": len(rows),
        "resolved": len(resolved),
        "resolved_by_procedure": by[HandledBy.aop],
        "resolved_by_knowledge": by[HandledBy.kb],
        "resolved_by_human": by[HandledBy.human],
        "automation_rate": round((by[HandledBy.aop] + by[HandledBy.kb]) / len(resolved), 4)
        if resolved
        else None,
        "volume_by_hour": hours,
        "volume_by_channel": Counter(
            {"chat": "Web chat", "mail": "Support mail", None: "No channel"}[s.channel]
            for s in rows
        ),
        "escalation_reasons": reasons,
        "first_response_avg_s": round(fmean(firsts), 3) if firsts else None,
        "first_response_median_s": round(median(firsts), 3) if firsts else None,
        "first_response_count": len(firsts),
        "handle_time_avg_s": round(fmean(handles), 3) if handles else None,
        "handle_time_median_s": round(median(handles), 3) if handles else None,
        "handle_time_count": len(handles),
        "sla_first_response_rate": round(sum(not s.fr_breached for s in fr) / len(fr), 4)
        if fr
        else None,
        "sla_resolution_rate": round(sum(not s.res_breached for s in res) / len(res), 4)
        if res
        else None,
        "sla_breached": sum(1 for s in rows if s.fr_breached or s.next_breached or s.res_breached),
        "csat_survey_avg": round(fmean(survey), 3) if survey else None,
        "csat_survey_count": len(survey),
        "csat_predicted_avg": round(fmean(predicted), 3) if predicted else None,
        "csat_predicted_count": len(predicted),
        "sentiment": Counter(s.sentiment.value if s.sentiment else "unknown" for s in rows),
        "top_topics": Counter(s.topic for s in rows if s.topic),
        "top_keywords": keywords,
        "cost_total": sum((Decimal(s.cost) for s in rows), Decimal(0)),
        "cost_automated": auto_cost,
        "cost_per_automated_resolution": auto_cost / len(auto_resolved) if auto_resolved else None,
    }
