"""The routing parts of a queue's stored configuration, validated when the queue is saved.

``Queue.required_skills`` holds a ``SkillRule`` and ``Queue.overflow`` an ``Overflow``; both are
JSON in the database so that adding an option needs no migration, and both are parsed here so that
a bad value is a 422 at save time, never a surprise at routing time.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from parley.errors import InvalidInput

SkillName = Annotated[str, Field(min_length=1, max_length=64)]
Level = Annotated[int, Field(ge=1, le=10)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Widen(_Strict):
    """After waiting ``after_s``, lower every required level by ``lower_by`` or drop them all."""

    after_s: int = Field(ge=0, le=86_400)
    lower_by: int = Field(default=0, ge=0, le=10)
    drop_all: bool = False


class SkillRule(_Strict):
    """Skills the queue's work needs: always, and per tag (a 'lang:es' tag needs 'spanish')."""

    skills: dict[SkillName, Level] = Field(default_factory=dict, max_length=50)
    from_tags: dict[SkillName, dict[SkillName, Level]] = Field(default_factory=dict, max_length=50)
    widen: list[Widen] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _ordered(self) -> SkillRule:
        steps = [w.after_s for w in self.widen]
        if steps != sorted(steps):
            raise ValueError("widen steps must be in increasing after_s order")
        return self

    def required(self, tags: Collection[str], waited_s: float) -> dict[str, int]:
        needs = dict(self.skills)
        for tag in tags:
            for skill, level in self.from_tags.get(tag.lower(), {}).items():
                needs[skill] = max(level, needs.get(skill, 0))
        for step in self.widen:
            if waited_s < step.after_s:
                break
            if step.drop_all:
                return {}
            needs = {s: lvl - step.lower_by for s, lvl in needs.items() if lvl - step.lower_by > 0}
        return needs

    def next_widening_after(self, waited_s: float) -> int | None:
        """Seconds of waiting at which the requirement next relaxes (a timer re-routes then)."""
        for step in self.widen:
            if step.after_s > waited_s:
                return step.after_s
        return None


class OverflowAction(StrEnum):
    queue = "queue"  # move to another queue
    callback = "callback"  # offer the customer a call back; the interaction stays queued
    email = "email"  # tell the customer we will follow up by email


class Overflow(_Strict):
    """What happens to work that waits too long, or arrives when no member is available."""

    after_s: int | None = Field(default=None, ge=1, le=7 * 86_400)
    when_no_agents: bool = False
    action: OverflowAction = OverflowAction.queue
    queue_id: uuid.UUID | None = None
    # The customer-facing words for callback/email offers (a sensible default otherwise).
    message: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _complete(self) -> Overflow:
        if self.action == OverflowAction.queue and self.queue_id is None and self.enabled:
            raise ValueError("overflow to a queue needs queue_id")
        return self

    @property
    def enabled(self) -> bool:
        return self.after_s is not None or self.when_no_agents


def _parse(model: type[_Strict], value: Any, field: str) -> Any:
    try:
        return model.model_validate(value or {})
    except ValidationError as exc:
        fields = {".".join([field, *(str(p) for p in e["loc"])]): e["msg"] for e in exc.errors()}
        raise InvalidInput(f"the queue's {field} is not valid", fields=fields) from None


def parse_skill_rule(value: Any) -> SkillRule:
    rule: SkillRule = _parse(SkillRule, value, "required_skills")
    return rule


def parse_overflow(value: Any) -> Overflow:
    overflow: Overflow = _parse(Overflow, value, "overflow")
    return overflow
