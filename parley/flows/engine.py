"""The flow interpreter. Pure: facts about the event in, a plan and its trace out.

The ingest pipeline gathers the facts (the interaction a message is threaded to, the contact's
latest interactions), this module decides, and the pipeline carries the plan out with actions.
Keeping the decision free of I/O is what lets every find-or-create rule be tested as a table.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parley.flows.model import Conditions, FindInteraction, FlowDefinition, Range, Step
from parley.ingest.event import EventType
from parley.models.enums import ChannelKind, CommunicationType, Outcome, Priority, State


@dataclass(frozen=True)
class Candidate:
    """An existing interaction a message might belong to."""

    id: uuid.UUID
    state: State
    channel_id: uuid.UUID | None
    communication_type: CommunicationType
    last_message_at: datetime | None
    last_customer_message_at: datetime | None
    completed_at: datetime | None
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state != State.completed


@dataclass(frozen=True)
class Facts:
    event_type: EventType
    channel_kind: ChannelKind
    communication_type: CommunicationType
    now: datetime
    text: str = ""
    contact_attributes: dict[str, Any] = field(default_factory=dict)
    # The interaction this message is inherently part of (email thread, chat session, call).
    threaded: Candidate | None = None
    # The contact's most recent interaction on this channel, and on any channel.
    latest_on_channel: Candidate | None = None
    latest_any: Candidate | None = None
    in_business_hours: bool | None = None
    automated_sender: bool = False
    # sla_breached: which clock breached (first_response, next_response, resolution).
    sla_clock: str | None = None


@dataclass
class Plan:
    """What the pipeline should do, in the order the flow said it."""

    interaction_id: uuid.UUID | None = None
    reopen: bool = False
    create: dict[str, Any] | None = None
    attach: bool = False
    change_communication_type: bool = False
    tags: list[str] = field(default_factory=list)
    priority: Priority | None = None
    queue: str | None = None
    assign_to: str | None = None
    replies: list[str] = field(default_factory=list)
    close: tuple[Outcome, str | None] | None = None
    run_automation: bool = False
    webhooks: list[str] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)


def _in_range(value: float | None, bounds: Range) -> bool:
    if value is None:
        return False
    return (
        (bounds.lt is None or value < bounds.lt)
        and (bounds.lte is None or value <= bounds.lte)
        and (bounds.gt is None or value > bounds.gt)
        and (bounds.gte is None or value >= bounds.gte)
    )


def _minutes_since(then: datetime | None, now: datetime) -> float | None:
    return None if then is None else (now - then).total_seconds() / 60


def _relevant(facts: Facts) -> Candidate | None:
    return facts.threaded or facts.latest_on_channel


def match(when: Conditions, facts: Facts) -> tuple[bool, dict[str, bool]]:
    """Whether every given condition holds, and each condition's result for the trace."""
    results: dict[str, bool] = {}
    candidate = _relevant(facts)
    text = facts.text.lower()
    if when.channel is not None:
        results["channel"] = facts.channel_kind in when.channel
    if when.communication_type is not None:
        results["communication_type"] = facts.communication_type in when.communication_type
    if when.text_matches is not None:
        results["text_matches"] = re.search(when.text_matches, facts.text) is not None
    if when.text_contains is not None:
        results["text_contains"] = any(w.lower() in text for w in when.text_contains)
    if when.has_tags is not None:
        tags = set(candidate.tags) if candidate else set()
        results["has_tags"] = all(t.strip().lower() in tags for t in when.has_tags)
    if when.contact_attributes is not None:
        attrs = facts.contact_attributes
        results["contact_attributes"] = all(
            attrs.get(k) == v for k, v in when.contact_attributes.items()
        )
    if when.business_hours is not None:
        results["business_hours"] = facts.in_business_hours == when.business_hours
    if when.open_interaction is not None:
        results["open_interaction"] = (
            candidate is not None and candidate.is_open
        ) == when.open_interaction
    if when.minutes_since_last_message is not None:
        since = _minutes_since(candidate.last_message_at if candidate else None, facts.now)
        results["minutes_since_last_message"] = _in_range(since, when.minutes_since_last_message)
    if when.days_since_closed is not None:
        closed = candidate.completed_at if candidate and not candidate.is_open else None
        days = None if closed is None else (facts.now - closed).total_seconds() / 86_400
        results["days_since_closed"] = _in_range(days, when.days_since_closed)
    if when.automated_sender is not None:
        results["automated_sender"] = facts.automated_sender == when.automated_sender
    if when.days_since_created is not None:
        created = candidate.created_at if candidate else None
        days = None if created is None else (facts.now - created).total_seconds() / 86_400
        results["days_since_created"] = _in_range(days, when.days_since_created)
    if when.sla_clock is not None:
        results["sla_clock"] = facts.sla_clock in when.sla_clock
    return all(results.values()), results


def find_interaction(policy: FindInteraction, facts: Facts) -> tuple[Candidate | None, bool, str]:
    """(interaction to use, whether it must be reopened, why) under the find-or-create policy."""
    found: Candidate | None
    if facts.threaded is not None:
        found, why = facts.threaded, "threaded"
    else:
        found = facts.latest_any if policy.across_channels else facts.latest_on_channel
        why = "latest across channels" if policy.across_channels else "latest on this channel"
    if found is None:
        return None, False, "no earlier interaction"
    if found.is_open:
        return found, False, f"{why}: open"
    closed_minutes = _minutes_since(found.completed_at, facts.now) or 0.0
    within = policy.reconnect_closed_within_days
    if within is not None and closed_minutes < within * 1440:
        return found, True, f"{why}: closed {closed_minutes / 1440:.1f} days ago, reconnect"
    if policy.group_within_minutes is not None:
        quiet = _minutes_since(found.last_customer_message_at, facts.now)
        if quiet is not None and quiet < policy.group_within_minutes:
            return found, True, f"{why}: customer wrote {quiet:.1f} min ago, group"
    return None, False, f"{why}: closed and outside the policy"


def _apply(step: Step, plan: Plan, facts: Facts) -> dict[str, Any]:
    """Apply one step to the plan; returns what the trace records about it."""
    name = step.name
    if step.find_interaction is not None:
        found, reopen, why = find_interaction(step.find_interaction, facts)
        if found is not None and plan.interaction_id is None and plan.create is None:
            plan.interaction_id, plan.reopen = found.id, reopen
            plan.change_communication_type = found.communication_type != facts.communication_type
        return {
            "step": name,
            "found": str(found.id) if found else None,
            "reopen": reopen,
            "why": why,
        }
    if step.create_interaction is not None:
        if plan.interaction_id is not None:
            return {"step": name, "skipped": "an interaction was found"}
        plan.create = step.create_interaction.model_dump(exclude_none=True)
        return {"step": name, **plan.create}
    if step.attach_message is not None:
        plan.attach = bool(step.attach_message)
        return {"step": name, "attach": plan.attach}
    if step.set_tags is not None:
        plan.tags += [t for t in step.set_tags if t not in plan.tags]
        return {"step": name, "tags": list(step.set_tags)}
    if step.set_priority is not None:
        plan.priority = step.set_priority
        return {"step": name, "priority": step.set_priority}
    if step.run_automation is not None:
        plan.run_automation = bool(step.run_automation)
        return {"step": name}
    if step.route_to_queue is not None:
        plan.queue = step.route_to_queue
        return {"step": name, "queue": step.route_to_queue}
    if step.assign is not None:
        plan.assign_to = step.assign.user
        return {"step": name, "user": step.assign.user}
    if step.reply is not None:
        plan.replies.append(step.reply.text)
        return {"step": name}
    if step.close is not None:
        plan.close = (step.close.outcome, step.close.disposition)
        return {"step": name, "outcome": step.close.outcome}
    assert step.call_webhook is not None
    plan.webhooks.append(step.call_webhook.url)
    return {"step": name, "url": step.call_webhook.url}


def run_flows(flows: Sequence[FlowDefinition], facts: Facts) -> Plan:
    """Evaluate the flows bound to ``facts.event_type`` in priority order."""
    plan = Plan()
    for flow in sorted(flows, key=lambda f: (f.priority, f.name)):
        if flow.event != facts.event_type:
            continue
        matched, conditions = match(flow.when, facts)
        entry: dict[str, Any] = {"flow": flow.name, "matched": matched, "conditions": conditions}
        if matched:
            entry["steps"] = [_apply(step, plan, facts) for step in flow.steps]
        plan.trace.append(entry)
        if matched and not flow.continue_:
            break
    return plan
