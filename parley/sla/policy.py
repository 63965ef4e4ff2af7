"""SLA policies: targets per priority, due times, pausing, breaches. Pure: ``now`` is a parameter.

The policy is stored as JSON in ``Queue.sla_policy``::

    {"first_response_s": 3600, "next_response_s": 14400, "resolution_s": 86400,
     "by_priority": {"urgent": {"first_response_s": 900, "resolution_s": 14400}},
     "business_hours_only": true, "pause_when_waiting_on_customer": true}

A priority override replaces only the targets it sets; the others come from the top level. A
target that is absent everywhere is not measured. Time counts in the queue's business hours when
``business_hours_only`` is true, else in calendar time. See docs/sla.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parley.errors import InvalidInput
from parley.models.enums import Priority
from parley.sla.business_hours import (
    ALWAYS_OPEN,
    BusinessHours,
    add_business_seconds,
    business_seconds_between,
)

MAX_TARGET_S = 366 * 24 * 3600

Seconds = Annotated[int, Field(strict=True, gt=0, le=MAX_TARGET_S)]


class Targets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    first_response_s: Seconds | None = None
    next_response_s: Seconds | None = None
    resolution_s: Seconds | None = None


class SlaPolicy(Targets):
    by_priority: dict[Priority, Targets] = Field(default_factory=dict)
    business_hours_only: bool = False
    pause_when_waiting_on_customer: bool = False


@dataclass(frozen=True)
class Due:
    """When the first response and the resolution are due; None where the policy sets no target."""

    first_response: datetime | None
    resolution: datetime | None


@dataclass(frozen=True)
class ServiceLevel:
    offered: int
    within_target: int
    ratio: float | None  # within_target / offered; None when nothing was offered
    average_wait_s: float | None
    longest_wait_s: float | None


def check_sla_policy(data: Mapping[str, Any]) -> SlaPolicy:
    """Validate stored or submitted JSON; raises InvalidInput with one message per bad field."""
    try:
        return SlaPolicy.model_validate(data)
    except ValidationError as exc:
        fields = {
            ".".join(str(p) for p in e["loc"]) or "sla_policy": e["msg"] for e in exc.errors()
        }
        raise InvalidInput("the SLA policy is not valid", fields=fields) from None


def targets_for(policy: SlaPolicy, priority: Priority) -> Targets:
    """The priority's own targets, each falling back to the policy's top-level one."""
    override = policy.by_priority.get(priority, Targets())

    def pick(own: int | None, default: int | None) -> int | None:
        return default if own is None else own

    return Targets(
        first_response_s=pick(override.first_response_s, policy.first_response_s),
        next_response_s=pick(override.next_response_s, policy.next_response_s),
        resolution_s=pick(override.resolution_s, policy.resolution_s),
    )


def _clock(policy: SlaPolicy, hours: BusinessHours) -> BusinessHours:
    return hours if policy.business_hours_only else ALWAYS_OPEN


def _due(
    policy: SlaPolicy, hours: BusinessHours, start: datetime, seconds: int | None
) -> datetime | None:
    return None if seconds is None else add_business_seconds(_clock(policy, hours), start, seconds)


def due_times(
    policy: SlaPolicy, hours: BusinessHours, priority: Priority, *, started_at: datetime
) -> Due:
    """Due times for a clock started at ``started_at`` (when the interaction reached the queue).

    When the priority changes, call again with the original ``started_at``.
    """
    targets = targets_for(policy, priority)
    return Due(
        first_response=_due(policy, hours, started_at, targets.first_response_s),
        resolution=_due(policy, hours, started_at, targets.resolution_s),
    )


def next_response_due(
    policy: SlaPolicy, hours: BusinessHours, priority: Priority, *, customer_wrote_at: datetime
) -> datetime | None:
    """When the agent's next reply is due after a customer message; None without a target."""
    target = targets_for(policy, priority).next_response_s
    return _due(policy, hours, customer_wrote_at, target)


def resolution_paused(
    policy: SlaPolicy,
    *,
    last_customer_message_at: datetime | None,
    last_agent_message_at: datetime | None,
) -> bool:
    """Whether the resolution clock stands still: the policy pauses, and the last public message
    is the agent's (the interaction waits on the customer)."""
    if not policy.pause_when_waiting_on_customer or last_agent_message_at is None:
        return False
    return last_customer_message_at is None or last_agent_message_at > last_customer_message_at


def pause(policy: SlaPolicy, hours: BusinessHours, *, due: datetime, now: datetime) -> int:
    """The seconds left on a clock stopped at ``now``, to store until it resumes.

    Counted in the policy's clock (business or calendar seconds). A clock already past due has 0
    left: the breach stands and the clock is due again the moment it resumes.
    """
    return max(0, business_seconds_between(_clock(policy, hours), now, due))


def resume(policy: SlaPolicy, hours: BusinessHours, *, remaining_s: int, now: datetime) -> datetime:
    """The new due time of a clock restarted at ``now`` with ``remaining_s`` left (``pause``)."""
    return add_business_seconds(_clock(policy, hours), now, max(0, remaining_s))


def breached(due: datetime | None, at: datetime) -> bool:
    """Whether a target due at ``due`` is breached when met (or still unmet) at ``at``.

    Met exactly at the due time is within target. No target, no breach.
    """
    return due is not None and at > due


def service_level(samples: Iterable[tuple[float, bool]]) -> ServiceLevel:
    """The share of interactions answered within target, from (waited_s, within_target) pairs.

    The caller decides what is offered (e.g. whether abandoned interactions count as missed).
    """
    waits: list[float] = []
    within = 0
    for waited_s, within_target in samples:
        waits.append(waited_s)
        within += within_target
    if not waits:
        return ServiceLevel(0, 0, None, None, None)
    return ServiceLevel(
        offered=len(waits),
        within_target=within,
        ratio=within / len(waits),
        average_wait_s=sum(waits) / len(waits),
        longest_wait_s=max(waits),
    )
