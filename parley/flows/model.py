"""The flow format: rules as data, validated before they are saved or run.

A flow is bound to one event type. When its conditions (``when``) all hold, its steps run in order.
Flows run by ascending ``priority``; the first one that matches stops the evaluation unless it says
``continue: true``. See docs/flows.md for the format with examples.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from parley.errors import InvalidInput
from parley.ingest.event import EventType
from parley.models.enums import ChannelKind, CommunicationType, Outcome, Priority


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(Strict):
    """A numeric comparison: all given bounds must hold."""

    lt: float | None = None
    lte: float | None = None
    gt: float | None = None
    gte: float | None = None


SlaClock = Literal["first_response", "next_response", "resolution"]


class Conditions(Strict):
    channel: list[ChannelKind] | None = None
    communication_type: list[CommunicationType] | None = None
    text_matches: str | None = Field(default=None, max_length=500)
    text_contains: list[str] | None = Field(default=None, max_length=50)
    has_tags: list[str] | None = None
    contact_attributes: dict[str, Any] | None = None
    business_hours: bool | None = None
    open_interaction: bool | None = None
    minutes_since_last_message: Range | None = None
    days_since_closed: Range | None = None
    automated_sender: bool | None = None
    # For system events: how old the interaction is, and (sla_breached only) which clock breached.
    days_since_created: Range | None = None
    sla_clock: list[SlaClock] | None = Field(default=None, min_length=1)

    @field_validator("text_matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class FindInteraction(Strict):
    """The organization's definition of 'new' (Gnatta's find-or-create)."""

    reconnect_closed_within_days: float | None = Field(default=None, ge=0, le=365)
    group_within_minutes: float | None = Field(default=None, ge=0, le=1440)
    across_channels: bool = False


class CreateInteraction(Strict):
    queue: str | None = Field(default=None, max_length=120)
    priority: Priority | None = None
    subject: str | None = Field(default=None, max_length=500)


class Assign(Strict):
    user: str = Field(max_length=320)  # an email address of a member


class Reply(Strict):
    text: str = Field(min_length=1, max_length=5000)


class Close(Strict):
    outcome: Outcome = Outcome.resolved
    disposition: str | None = Field(default=None, max_length=120)


class CallWebhook(Strict):
    url: str = Field(max_length=2000, pattern=r"^https?://")


class Step(Strict):
    """Exactly one of these keys per step."""

    find_interaction: FindInteraction | None = None
    create_interaction: CreateInteraction | None = None
    attach_message: bool | None = None
    set_tags: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=20)
    set_priority: Priority | None = None
    run_automation: bool | None = None
    route_to_queue: str | None = Field(default=None, max_length=120)
    assign: Assign | None = None
    reply: Reply | None = None
    close: Close | None = None
    call_webhook: CallWebhook | None = None

    @property
    def name(self) -> str:
        (name,) = [k for k, v in self if v is not None]
        return name

    def model_post_init(self, _: Any) -> None:
        given = [k for k, v in self if v is not None]
        if len(given) != 1:
            raise ValueError(f"a step has exactly one action, got {given or 'none'}")


class Schedule(Strict):
    """When a ``schedule`` flow fires: every N minutes, or every day at a local time."""

    every_minutes: int | None = Field(default=None, ge=1, le=10_080)
    daily_at: str | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    timezone: str | None = Field(default=None, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (an IANA name)") from None
        return value

    def model_post_init(self, _: Any) -> None:
        if (self.every_minutes is None) == (self.daily_at is None):
            raise ValueError("a schedule has exactly one of every_minutes or daily_at")
        if self.timezone is not None and self.daily_at is None:
            raise ValueError("timezone goes with daily_at")


# System events are raised by Parley about an interaction that exists; flows bound to them can
# change it but not find, create or attach anything.
TIMER_EVENTS = frozenset({EventType.no_customer_reply, EventType.no_agent_reply, EventType.idle})
SYSTEM_EVENTS = TIMER_EVENTS | {EventType.sla_breached, EventType.schedule}
INBOUND_ONLY_STEPS = ("find_interaction", "create_interaction", "attach_message")


class FlowDefinition(Strict):
    name: str = Field(min_length=1, max_length=120)
    event: EventType
    description: str = Field(default="", max_length=2000)
    priority: int = Field(default=100, ge=0, le=10_000)
    when: Conditions = Field(default_factory=Conditions)
    steps: list[Step] = Field(min_length=1, max_length=50)
    continue_: bool = Field(default=False, alias="continue")
    # no_customer_reply / no_agent_reply / interaction_idle: how long the silence lasts.
    after_minutes: int | None = Field(default=None, ge=1, le=525_600)
    # schedule: when it fires.
    schedule: Schedule | None = None


def system_event_errors(flow: FlowDefinition) -> dict[str, str]:
    """What a flow gets wrong about its event, by field path (empty when nothing)."""
    errors: dict[str, str] = {}
    event = flow.event
    if event in TIMER_EVENTS and flow.after_minutes is None:
        errors["after_minutes"] = f"required for {event.value} flows"
    if event not in TIMER_EVENTS and flow.after_minutes is not None:
        errors["after_minutes"] = "only for no_customer_reply, no_agent_reply, interaction_idle"
    if event == EventType.schedule and flow.schedule is None:
        errors["schedule"] = "required for schedule flows (every_minutes or daily_at)"
    if event != EventType.schedule and flow.schedule is not None:
        errors["schedule"] = "only for schedule flows"
    if event != EventType.sla_breached and flow.when.sla_clock is not None:
        errors["when.sla_clock"] = "only for sla_breached flows"
    if event not in SYSTEM_EVENTS and flow.when.days_since_created is not None:
        errors["when.days_since_created"] = "only for system-event flows"
    if event in SYSTEM_EVENTS:
        for index, step in enumerate(flow.steps):
            if step.name in INBOUND_ONLY_STEPS:
                errors[f"steps.{index}.{step.name}"] = (
                    f"not allowed on a {event.value} flow: a system event acts on an "
                    "interaction that already exists, there is no message to find, create or "
                    "attach"
                )
    return errors


def parse_flow(source: str | dict[str, Any]) -> FlowDefinition:
    """Parse YAML or JSON text (or an already-decoded object) into a validated flow.

    Errors name the path of the offending field (``steps.2.reply.text``) and, for YAML syntax
    errors, the line.
    """
    data: Any = source
    if isinstance(source, str):
        try:
            data = json.loads(source) if source.lstrip().startswith("{") else yaml.safe_load(source)
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", None)
            line = line + 1 if line is not None else getattr(exc, "lineno", None)
            where = f" (line {line})" if line else ""
            raise InvalidInput(
                f"the flow is not valid YAML or JSON{where}", fields={"source": str(exc)}
            ) from None
    if not isinstance(data, dict):
        raise InvalidInput("a flow is a mapping with name, event and steps")
    try:
        flow = FlowDefinition.model_validate(data)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "flow": e["msg"] for e in exc.errors()}
        raise InvalidInput("the flow is not valid", fields=fields) from None
    errors = system_event_errors(flow)
    if errors:
        raise InvalidInput("the flow is not valid", fields=errors)
    return flow
