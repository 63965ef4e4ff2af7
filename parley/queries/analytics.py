"""Dashboard figures and export rows over a filter of interactions.

Everything is computed in Python from the filter's rows, read in keyset-ordered batches
(``created_at, id``), so SQLite and PostgreSQL agree exactly (their date and interval arithmetic
differ) and every figure can be recomputed from the same rows by hand. The window is bounded: a
date range on ``created_at`` of at most ``MAX_RANGE_DAYS``.

Procedures are not a column of the interaction (automation forgets the procedure when it ends):
they come from the ``automation_turn`` activity rows (``trace.procedure.name``), which also carry
the escalation reason of a hand-over (``decision == "handoff"``, ``reason``).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from statistics import fmean, median
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, raiseload

from parley import clock
from parley.access import visibility_clause, visible_queue_ids
from parley.actors import Actor
from parley.db.engine import Database
from parley.errors import InvalidInput
from parley.models import Activity, AiAgent, AutomationSession, Channel, Interaction, Queue, User
from parley.models.enums import State

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
BATCH = 500
TOP = 10
CENT = Decimal("0.000001")
HANDLED = ("aop", "kb", "human")
SENTIMENTS = ("positive", "neutral", "negative")
ESCALATION_REASONS = (
    "asked_for_person",
    "repeated_failures",
    "negative_sentiment",
    "no_answer",
    "procedure_handoff",
)


# --- the filter ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalyticsFilter:
    """Interactions created in ``[start, end)``, optionally of one channel, queue, agent
    (assignee) and procedure (by name, from the automation trace)."""

    start: datetime
    end: datetime
    channel_id: uuid.UUID | None = None
    queue_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    procedure: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        start: str | None = None,
        end: str | None = None,
        channel_id: str | None = None,
        queue_id: str | None = None,
        agent_id: str | None = None,
        procedure: str | None = None,
    ) -> AnalyticsFilter:
        """From query parameters: ``from`` / ``to`` are dates (``to`` inclusive) or ISO times
        with a time zone (``to`` exclusive); the default is the last 30 days up to today."""
        today = clock.now().astimezone(UTC).date()
        end_at = _when(end, "to", inclusive_end=True) if end else _midnight(today + timedelta(1))
        start_at = (
            _when(start, "from", inclusive_end=False)
            if start
            else end_at - timedelta(days=DEFAULT_RANGE_DAYS)
        )
        if end_at <= start_at:
            raise InvalidInput("'to' must be after 'from'", fields={"to": "before from"})
        if end_at - start_at > timedelta(days=MAX_RANGE_DAYS):
            raise InvalidInput(
                f"a range of at most {MAX_RANGE_DAYS} days", fields={"from": "range too long"}
            )
        return cls(
            start=start_at,
            end=end_at,
            channel_id=_uuid(channel_id, "channel_id"),
            queue_id=_uuid(queue_id, "queue_id"),
            agent_id=_uuid(agent_id, "agent_id"),
            procedure=(procedure or "").strip() or None,
        )

    def query(self) -> dict[str, str]:
        """The filter as query parameters (dates when the bounds are midnights)."""
        out = {"from": _show(self.start, inclusive_end=False), "to": _show(self.end, True)}
        for key, value in (
            ("channel_id", self.channel_id),
            ("queue_id", self.queue_id),
            ("agent_id", self.agent_id),
            ("procedure", self.procedure),
        ):
            if value:
                out[key] = str(value)
        return out


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _when(text: str, name: str, *, inclusive_end: bool) -> datetime:
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return _midnight(day + timedelta(days=1) if inclusive_end else day)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"'{name}' is not a date", fields={name: "invalid"}) from None
    if value.tzinfo is None:
        raise InvalidInput("give a time zone (e.g. Z)", fields={name: "needs a time zone"})
    return value.astimezone(UTC)


def _show(value: datetime, inclusive_end: bool) -> str:
    if value.timetz().replace(tzinfo=None) == time():
        return (value.date() - timedelta(days=1 if inclusive_end else 0)).isoformat()
    return value.isoformat()


def _uuid(text: str | None, name: str) -> uuid.UUID | None:
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidInput(f"'{name}' is not an id", fields={name: "invalid"}) from None


# --- the rows -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One interaction with what the dashboards and exports need."""

    id: uuid.UUID
    number: int
    created_at: datetime
    channel_id: uuid.UUID | None
    channel_kind: str | None
    channel_name: str | None
    communication_type: str
    direction: str
    state: str
    queue_id: uuid.UUID | None
    queue_name: str | None
    assignee_id: uuid.UUID | None
    assignee_name: str | None
    handled_by: str | None
    ai_agent: str | None
    llm_model: str | None
    message_count: int
    billable_messages: int
    llm_cost: Decimal
    assigned_at: datetime | None
    first_response_at: datetime | None
    completed_at: datetime | None
    merged: bool
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_breached: bool
    next_response_breached: bool
    resolution_breached: bool
    client: dict[str, Any]
    csat: int | None
    csat_source: str | None
    csat_description: str | None
    sentiment: str | None
    sentiment_description: str | None
    topic: str | None
    summary: str | None
    keywords: list[str]
    procedures: list[str] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)

    @property
    def first_response_s(self) -> float | None:
        if self.first_response_at is None:
            return None
        return (self.first_response_at - self.created_at).total_seconds()

    @property
    def handle_time_s(self) -> float | None:
        if self.completed_at is None or self.assigned_at is None:
            return None
        return (self.completed_at - self.assigned_at).total_seconds()

    @property
    def duration_s(self) -> float | None:
        if self.completed_at is None:
            return None
        return (self.completed_at - self.created_at).total_seconds()

    @property
    def resolved(self) -> bool:
        return self.state == State.completed.value and not self.merged


@dataclass(frozen=True)
class Scope:
    """Who is looking (their visibility, computed once) and at what."""

    organization_id: uuid.UUID
    visible: ColumnElement[bool] | None
    filter: AnalyticsFilter


async def scope_for(session: AsyncSession, actor: Actor, f: AnalyticsFilter) -> Scope:
    queues = await visible_queue_ids(session, actor)
    return Scope(actor.organization_id, visibility_clause(actor, queues), f)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _keywords(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    out = []
    for k in value:
        phrase = k.get("phrase") if isinstance(k, dict) else k
        if isinstance(phrase, str) and phrase.strip():
            out.append(phrase.strip())
    return out


async def fetch_batch(
    session: AsyncSession,
    scope: Scope,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int | None = None,
) -> tuple[list[Row], tuple[datetime, uuid.UUID] | None]:
    """Up to ``limit`` interactions after ``after`` in (created_at, id) order, and the cursor
    for the next batch (None at the end). The procedure filter applies after reading, so a
    batch may hold fewer rows than read; the cursor still moves over every row read."""
    f = scope.filter
    limit = limit or BATCH
    assignee = aliased(User)
    i = Interaction
    stmt: Any = (
        select(i, Channel.kind, Channel.name, Queue.name, assignee.name, AiAgent.name)
        .outerjoin(Channel, Channel.id == i.channel_id)
        .outerjoin(Queue, Queue.id == i.queue_id)
        .outerjoin(assignee, assignee.id == i.assignee_id)
        .outerjoin(AiAgent, AiAgent.id == i.ai_agent_id)
        .where(i.organization_id == scope.organization_id)
        .where(i.created_at >= f.start, i.created_at < f.end)
        .order_by(i.created_at, i.id)
        .limit(limit)
        # The tags are not needed here: skip the relationship's extra SELECT.
        .options(raiseload(i.tag_rows))
    )
    if scope.visible is not None:
        stmt = stmt.where(scope.visible)
    if f.channel_id is not None:
        stmt = stmt.where(i.channel_id == f.channel_id)
    if f.queue_id is not None:
        stmt = stmt.where(i.queue_id == f.queue_id)
    if f.agent_id is not None:
        stmt = stmt.where(i.assignee_id == f.agent_id)
    if after is not None:
        stmt = stmt.where(
            or_(i.created_at > after[0], and_(i.created_at == after[0], i.id > after[1]))
        )
    result = (await session.execute(stmt)).all()
    rows = [
        Row(
            id=it.id,
            number=it.number,
            created_at=it.created_at,
            channel_id=it.channel_id,
            channel_kind=_text(kind),
            channel_name=channel_name,
            communication_type=str(it.communication_type.value),
            direction=str(it.direction.value),
            state=str(it.state.value),
            queue_id=it.queue_id,
            queue_name=queue_name,
            assignee_id=it.assignee_id,
            assignee_name=assignee_name,
            handled_by=_text(it.handled_by),
            ai_agent=ai_agent,
            llm_model=it.llm_model,
            message_count=it.message_count or 0,
            billable_messages=it.billable_messages or 0,
            llm_cost=Decimal(it.llm_cost or 0),
            assigned_at=it.assigned_at,
            first_response_at=it.first_response_at,
            completed_at=it.completed_at,
            merged=it.merged_into_id is not None,
            first_response_due_at=it.first_response_due_at,
            resolution_due_at=it.resolution_due_at,
            first_response_breached=bool(it.first_response_breached),
            next_response_breached=bool(it.next_response_breached),
            resolution_breached=bool(it.resolution_breached),
            client=dict(it.client or {}),
            csat=it.csat,
            csat_source=it.csat_source,
            csat_description=it.csat_description,
            sentiment=_text(it.sentiment),
            sentiment_description=it.sentiment_description,
            topic=it.topic,
            summary=it.summary,
            keywords=_keywords(it.keywords),
        )
        for it, kind, channel_name, queue_name, assignee_name, ai_agent in result
    ]
    cursor = (rows[-1].created_at, rows[-1].id) if len(rows) == limit else None
    await _attach_automation(session, scope.organization_id, rows)
    if f.procedure is not None:
        rows = [r for r in rows if f.procedure in r.procedures]
    return rows, cursor


async def _attach_automation(
    session: AsyncSession, organization_id: uuid.UUID, rows: Sequence[Row]
) -> None:
    """Procedures and escalation reasons from the ``automation_turn`` trace, in turn order,
    plus the procedure in progress (``AutomationSession.procedure_name``)."""
    if not rows:
        return
    by_id = {r.id: r for r in rows}
    ids = list(by_id)
    turns = await session.execute(
        select(Activity.interaction_id, Activity.data)
        .where(
            Activity.organization_id == organization_id,
            Activity.interaction_id.in_(ids),
            Activity.kind == "automation_turn",
        )
        .order_by(Activity.interaction_id, Activity.created_at, Activity.id)
    )
    for interaction_id, data in turns:
        row = by_id[interaction_id]
        data = data if isinstance(data, dict) else {}
        trace = data.get("trace") if isinstance(data.get("trace"), dict) else {}
        procedure = trace.get("procedure") if isinstance(trace, dict) else None
        name = procedure.get("name") if isinstance(procedure, dict) else None
        if isinstance(name, str) and name and name not in row.procedures:
            row.procedures.append(name)
        if data.get("decision") == "handoff" and isinstance(data.get("reason"), str):
            row.escalations.append(data["reason"])
    current = await session.execute(
        select(AutomationSession.interaction_id, AutomationSession.procedure_name).where(
            AutomationSession.organization_id == organization_id,
            AutomationSession.interaction_id.in_(ids),
            AutomationSession.procedure_name.is_not(None),
        )
    )
    for interaction_id, name in current:
        row = by_id[interaction_id]
        if name and name not in row.procedures:
            row.procedures.append(name)


async def load_rows(session: AsyncSession, scope: Scope) -> list[Row]:
    """Every row of the filter, read in batches inside one transaction."""
    rows: list[Row] = []
    after = None
    while True:
        batch, after = await fetch_batch(session, scope, after)
        rows.extend(batch)
        if after is None:
            return rows


async def stream_rows(
    db: Database, actor: Actor, f: AnalyticsFilter, *, batch: int | None = None
) -> AsyncIterator[list[Row]]:
    """Batches of rows, each read in its own short transaction (for exports of any size)."""
    size = batch or BATCH
    async with db.transaction() as session:
        scope = await scope_for(session, actor, f)
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        async with db.transaction() as session:
            rows, after = await fetch_batch(session, scope, after, size)
        if rows:
            yield rows
        if after is None:
            return


# --- the figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    label: str
    count: int


@dataclass(frozen=True)
class ChannelVolume:
    channel_id: uuid.UUID | None
    label: str
    kind: str | None
    count: int


def volume_by_channel(rows: Iterable[Row]) -> list[ChannelVolume]:
    """Interactions per channel (most first, then by name); no channel is "No channel"."""
    counts: Counter[uuid.UUID | None] = Counter()
    names: dict[uuid.UUID | None, tuple[str, str | None]] = {}
    for r in rows:
        counts[r.channel_id] += 1
        names[r.channel_id] = (r.channel_name or r.channel_kind or "No channel", r.channel_kind)
    return sorted(
        (ChannelVolume(cid, names[cid][0], names[cid][1], n) for cid, n in counts.items()),
        key=lambda v: (-v.count, v.label),
    )


def volume_by_hour(rows: Iterable[Row]) -> list[int]:
    """Interactions per hour of the day of ``created_at`` in UTC: 24 counts, 00:00 first."""
    hours = [0] * 24
    for r in rows:
        hours[r.created_at.astimezone(UTC).hour] += 1
    return hours


@dataclass(frozen=True)
class AutomationRate:
    resolved: int
    by_procedure: int
    by_knowledge: int
    by_human: int
    unattributed: int
    rate: float | None  # (procedure + knowledge) / resolved
    procedure_rate: float | None
    knowledge_rate: float | None
    human_rate: float | None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def automation_rate(rows: Iterable[Row]) -> AutomationRate:
    """Over resolved interactions (completed, not merged): who handled them last
    (``handled_by``: aop = a procedure, kb = the knowledge base, human)."""
    done = [r for r in rows if r.resolved]
    by = Counter(r.handled_by for r in done)
    n = len(done)
    aop, kb, human = by.get("aop", 0), by.get("kb", 0), by.get("human", 0)
    return AutomationRate(
        resolved=n,
        by_procedure=aop,
        by_knowledge=kb,
        by_human=human,
        unattributed=n - aop - kb - human,
        rate=_ratio(aop + kb, n),
        procedure_rate=_ratio(aop, n),
        knowledge_rate=_ratio(kb, n),
        human_rate=_ratio(human, n),
    )


def escalation_reasons(rows: Iterable[Row]) -> list[Count]:
    """Hand-overs from automation to a person, per reason (one per ``handoff`` turn); the five
    known reasons always appear, others after them."""
    counts: Counter[str] = Counter(reason for r in rows for reason in r.escalations)
    known = [Count(reason, counts.pop(reason, 0)) for reason in ESCALATION_REASONS]
    return known + [Count(k, n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


@dataclass(frozen=True)
class Durations:
    count: int
    average_s: float | None
    median_s: float | None


def _durations(values: Sequence[float]) -> Durations:
    if not values:
        return Durations(0, None, None)
    return Durations(len(values), round(fmean(values), 3), round(median(values), 3))


def first_response_times(rows: Iterable[Row]) -> Durations:
    """``first_response_at - created_at`` of interactions that had a first response."""
    return _durations([s for r in rows if (s := r.first_response_s) is not None])


def handle_times(rows: Iterable[Row]) -> Durations:
    """``completed_at - assigned_at`` of completed interactions that were assigned (as the
    queue board computes average handle time)."""
    return _durations([s for r in rows if (s := r.handle_time_s) is not None])


@dataclass(frozen=True)
class SlaAttainment:
    first_response_measured: int
    first_response_met: int
    first_response_rate: float | None
    resolution_measured: int
    resolution_met: int
    resolution_rate: float | None
    breached: int  # interactions with any breach (first response, next response, resolution)


def sla_attainment(rows: Iterable[Row]) -> SlaAttainment:
    """A clock counts once it is settled: it had a due time and either stopped (first response
    given / interaction completed) or breached. Met = settled and not breached."""
    rows = list(rows)
    fr = [
        r
        for r in rows
        if r.first_response_due_at is not None
        and (r.first_response_at is not None or r.first_response_breached)
    ]
    res = [
        r
        for r in rows
        if r.resolution_due_at is not None and (r.completed_at is not None or r.resolution_breached)
    ]
    fr_met = sum(1 for r in fr if not r.first_response_breached)
    res_met = sum(1 for r in res if not r.resolution_breached)
    return SlaAttainment(
        first_response_measured=len(fr),
        first_response_met=fr_met,
        first_response_rate=_ratio(fr_met, len(fr)),
        resolution_measured=len(res),
        resolution_met=res_met,
        resolution_rate=_ratio(res_met, len(res)),
        breached=sum(
            1
            for r in rows
            if r.first_response_breached or r.next_response_breached or r.resolution_breached
        ),
    )


@dataclass(frozen=True)
class CsatPoint:
    day: str  # YYYY-MM-DD of created_at in UTC
    survey_average: float | None
    survey_count: int
    predicted_average: float | None
    predicted_count: int


@dataclass(frozen=True)
class Csat:
    survey_average: float | None
    survey_count: int
    predicted_average: float | None
    predicted_count: int
    days: list[CsatPoint]


def _avg(values: Sequence[int]) -> float | None:
    return round(fmean(values), 3) if values else None


def csat(rows: Iterable[Row]) -> Csat:
    """Average CSAT (1-5) by source, overall and per day of ``created_at`` (UTC); days without
    any score are left out."""
    survey: dict[str, list[int]] = {}
    predicted: dict[str, list[int]] = {}
    for r in rows:
        if r.csat is None:
            continue
        day = r.created_at.astimezone(UTC).date().isoformat()
        target = survey if r.csat_source == "survey" else predicted
        target.setdefault(day, []).append(int(r.csat))
    all_survey = [v for vs in survey.values() for v in vs]
    all_predicted = [v for vs in predicted.values() for v in vs]
    days = [
        CsatPoint(
            day,
            _avg(survey.get(day, [])),
            len(survey.get(day, [])),
            _avg(predicted.get(day, [])),
            len(predicted.get(day, [])),
        )
        for day in sorted(set(survey) | set(predicted))
    ]
    return Csat(_avg(all_survey), len(all_survey), _avg(all_predicted), len(all_predicted), days)


def sentiment_distribution(rows: Iterable[Row]) -> list[Count]:
    """Interactions per overall sentiment, plus "unknown" for those not analysed yet."""
    counts = Counter(r.sentiment or "unknown" for r in rows)
    return [Count(s, counts.get(s, 0)) for s in (*SENTIMENTS, "unknown")]


def top_topics(rows: Iterable[Row], limit: int = TOP) -> list[Count]:
    """The most frequent topics (most first, then by name); interactions without one skipped."""
    counts = Counter(r.topic for r in rows if r.topic)
    return _top(counts, limit)


def top_keywords(rows: Iterable[Row], limit: int = TOP) -> list[Count]:
    """Keyword phrases by the number of interactions that have them (case-folded)."""
    counts: Counter[str] = Counter()
    for r in rows:
        counts.update({k.casefold() for k in r.keywords})
    return _top(counts, limit)


def _top(counts: Counter[str], limit: int) -> list[Count]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Count(k, n) for k, n in ranked[:limit]]


@dataclass(frozen=True)
class AutomationCost:
    total: Decimal  # every interaction's llm_cost
    automated: Decimal  # of interactions handled by a procedure or the knowledge base
    automated_resolved: int
    per_automated_resolution: Decimal | None
    billable_messages: int


def automation_cost(rows: Iterable[Row]) -> AutomationCost:
    """LLM cost: the total, the part spent on automated interactions, and per interaction
    resolved by automation (resolved with handled_by aop or kb)."""
    rows = list(rows)
    total = sum((r.llm_cost for r in rows), Decimal(0))
    automated = sum((r.llm_cost for r in rows if r.handled_by in ("aop", "kb")), Decimal(0))
    resolved = sum(1 for r in rows if r.resolved and r.handled_by in ("aop", "kb"))
    return AutomationCost(
        total=total.quantize(CENT),
        automated=automated.quantize(CENT),
        automated_resolved=resolved,
        per_automated_resolution=(automated / resolved).quantize(CENT) if resolved else None,
        billable_messages=sum(r.billable_messages for r in rows),
    )


@dataclass(frozen=True)
class Summary:
    start: datetime
    end: datetime
    interactions: int
    volume_by_channel: list[ChannelVolume]
    volume_by_hour: list[int]
    automation: AutomationRate
    escalation_reasons: list[Count]
    first_response: Durations
    handle_time: Durations
    sla: SlaAttainment
    csat: Csat
    sentiment: list[Count]
    top_topics: list[Count]
    top_keywords: list[Count]
    cost: AutomationCost


def summarize(rows: Sequence[Row], f: AnalyticsFilter) -> Summary:
    return Summary(
        start=f.start,
        end=f.end,
        interactions=len(rows),
        volume_by_channel=volume_by_channel(rows),
        volume_by_hour=volume_by_hour(rows),
        automation=automation_rate(rows),
        escalation_reasons=escalation_reasons(rows),
        first_response=first_response_times(rows),
        handle_time=handle_times(rows),
        sla=sla_attainment(rows),
        csat=csat(rows),
        sentiment=sentiment_distribution(rows),
        top_topics=top_topics(rows),
        top_keywords=top_keywords(rows),
        cost=automation_cost(rows),
    )


async def summary(session: AsyncSession, actor: Actor, f: AnalyticsFilter) -> Summary:
    """Every figure over what ``actor`` may see of the filter."""
    scope = await scope_for(session, actor, f)
    return summarize(await load_rows(session, scope), f)


# --- export rows --------------------------------------------------------------------------------

EXPORT_FIELDS = (
    "number",
    "created_at",
    "channel",
    "communication_type",
    "direction",
    "state",
    "queue",
    "assignee",
    "handled_by",
    "procedures",
    "escalation_reasons",
    "ai_agent",
    "llm_model",
    "message_count",
    "billable_messages",
    "llm_cost",
    "duration_s",
    "first_response_s",
    "handle_time_s",
    "sla_breached",
    "browser",
    "os",
    "ip",
    "country",
    "city",
    "url",
    "csat",
    "csat_source",
    "csat_description",
    "sentiment",
    "sentiment_description",
    "topic",
    "summary",
    "keywords",
)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def export_record(r: Row) -> dict[str, Any]:
    """One interaction as plain JSON values, keys in ``EXPORT_FIELDS`` order."""
    client = r.client

    def c(key: str) -> str | None:
        value = client.get(key)
        return None if value is None else str(value)

    return {
        "number": r.number,
        "created_at": r.created_at.astimezone(UTC).isoformat(),
        "channel": r.channel_kind,
        "communication_type": r.communication_type,
        "direction": r.direction,
        "state": r.state,
        "queue": r.queue_name,
        "assignee": r.assignee_name,
        "handled_by": r.handled_by,
        "procedures": list(r.procedures),
        "escalation_reasons": list(r.escalations),
        "ai_agent": r.ai_agent,
        "llm_model": r.llm_model,
        "message_count": r.message_count,
        "billable_messages": r.billable_messages,
        "llm_cost": str(r.llm_cost.quantize(CENT)),
        "duration_s": _seconds(r.duration_s),
        "first_response_s": _seconds(r.first_response_s),
        "handle_time_s": _seconds(r.handle_time_s),
        "sla_breached": r.first_response_breached
        or r.next_response_breached
        or r.resolution_breached,
        "browser": c("browser"),
        "os": c("os"),
        "ip": c("ip"),
        "country": c("country"),
        "city": c("city"),
        "url": c("url"),
        "csat": r.csat,
        "csat_source": r.csat_source,
        "csat_description": r.csat_description,
        "sentiment": r.sentiment,
        "sentiment_description": r.sentiment_description,
        "topic": r.topic,
        "summary": r.summary,
        "keywords": list(r.keywords),
    }
