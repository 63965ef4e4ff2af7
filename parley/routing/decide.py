"""The routing decision, pure: given waiting work and the agents' state, who gets it?

No database and no clock here: the engine (``engine.py``) loads a snapshot, asks ``choose`` for
each waiting interaction in priority-then-age order, and locks and re-checks before it assigns.
Keeping the decision pure is what lets the benchmark measure it alone, and the tests read like
TaskRouter's examples.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from parley.models.enums import Priority, RoutingStrategy
from parley.routing.policy import SkillRule

# Concurrent work per communication type when an agent has no capacity of their own set.
DEFAULT_CAPACITY: Mapping[str, int] = {
    "chat": 3,
    "messaging": 5,
    "email": 5,
    "voice": 1,
    "task": 5,
}
PRIORITY_ORDER = (Priority.urgent, Priority.high, Priority.normal, Priority.low)


@dataclass
class AgentState:
    """One agent as routing sees them; ``load`` counts assigned and wrap-up work by type."""

    user_id: uuid.UUID
    available: bool
    capacity: dict[str, int]
    load: dict[str, int] = field(default_factory=dict)
    skills: dict[str, int] = field(default_factory=dict)
    # When the agent last got work (or came online): longest-idle picks the smallest.
    idle_since: datetime | None = None
    queue_ids: frozenset[uuid.UUID] = frozenset()

    def limit(self, kind: str) -> int:
        value = self.capacity.get(kind)
        return int(value) if value is not None else DEFAULT_CAPACITY.get(kind, 1)

    def free(self, kind: str) -> int:
        return self.limit(kind) - self.load.get(kind, 0)

    def busy_ratio(self, kind: str) -> float:
        limit = self.limit(kind)
        return self.load.get(kind, 0) / limit if limit > 0 else float("inf")

    def took(self, kind: str, at: datetime) -> None:
        self.load[kind] = self.load.get(kind, 0) + 1
        self.idle_since = at


@dataclass(frozen=True)
class Work:
    interaction_id: uuid.UUID
    queue_id: uuid.UUID
    communication_type: str
    priority: Priority
    queued_at: datetime
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class QueueRules:
    """What the engine needs of a queue to decide (built from the Queue row)."""

    queue_id: uuid.UUID
    strategy: RoutingStrategy
    skills: SkillRule = field(default_factory=SkillRule)
    # Round robin's cursor: the member who got the previous interaction.
    last_routed_user_id: uuid.UUID | None = None


def needs_of(rules: QueueRules, work: Work, waited_s: float) -> dict[str, int]:
    """The skills (name -> minimum level) this work needs after waiting ``waited_s`` seconds."""
    return rules.skills.required(work.tags, waited_s)


def qualifies(agent: AgentState, work: Work, needs: Mapping[str, int]) -> bool:
    return (
        agent.available
        and work.queue_id in agent.queue_ids
        and agent.free(work.communication_type) > 0
        and all(agent.skills.get(skill, 0) >= level for skill, level in needs.items())
    )


def _epoch(agent: AgentState) -> float:
    return agent.idle_since.timestamp() if agent.idle_since is not None else float("-inf")


def choose(
    rules: QueueRules, work: Work, agents: Iterable[AgentState], *, waited_s: float
) -> AgentState | None:
    """The agent this work should go to now, or None (manual queue, or nobody free)."""
    if rules.strategy == RoutingStrategy.manual:
        return None
    needs = needs_of(rules, work, waited_s)
    kind = work.communication_type
    fit = [a for a in agents if qualifies(a, work, needs)]
    if not fit:
        return None
    match rules.strategy:
        case RoutingStrategy.round_robin:
            # Strict rotation in a stable order: the first member after the previous one.
            ordered = sorted(fit, key=lambda a: a.user_id)
            last = rules.last_routed_user_id
            after = [a for a in ordered if last is not None and a.user_id > last]
            return (after or ordered)[0]
        case RoutingStrategy.longest_idle:
            return min(fit, key=lambda a: (_epoch(a), a.user_id))
        case RoutingStrategy.least_busy:
            return min(fit, key=lambda a: (a.busy_ratio(kind), _epoch(a), a.user_id))
        case _:  # skills: the best-matching agent; ties go to the least busy
            return min(
                fit,
                key=lambda a: (
                    -sum(a.skills.get(s, 0) for s in needs),
                    a.busy_ratio(kind),
                    _epoch(a),
                    a.user_id,
                ),
            )
