"""The procedure (AOP) format: pydantic models of what a YAML or JSON procedure may say.

Parsing, line numbers and the checks across fields live in ``parse.py``; the format is described
with examples in docs/procedures.md.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from parley.models.enums import ChannelKind, Outcome, Priority

SLOT = r"^[a-z_][a-z0-9_]*$"
STEP_ID = r"^[a-z_][a-z0-9_-]*$"
Slot = Annotated[str, Field(pattern=SLOT, max_length=64)]
StepId = Annotated[str, Field(pattern=STEP_ID, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Tag = Annotated[str, Field(min_length=1, max_length=64)]
VALIDATORS = ("email", "phone", "number", "date", "text", "choice", "regex")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


class Triggers(Strict):
    """What customers say when they want this procedure (for the matcher)."""

    examples: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=200
    )
    keywords: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )


class EntryConditions(Strict):
    """When the procedure may start; every given condition must hold."""

    channel: list[ChannelKind] | None = None
    has_tags: list[Tag] | None = None
    contact_attributes: dict[str, Any] | None = None
    business_hours: bool | None = None


class Tool(Strict):
    """An HTTP call the procedure may make. Nothing else can be called from it."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(min_length=1, max_length=2000)
    headers: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")], str] = Field(
        default_factory=dict, max_length=20
    )
    body: Any = None
    # Local name -> the name of a secret in the organization's secret store.
    secrets: dict[Slot, Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        default_factory=dict, max_length=10
    )
    timeout: float = Field(default=5.0, gt=0, le=30)
    # Slot -> a path into the JSON answer ("status", "order.items.0.sku", "$.eta").
    map: dict[Slot, Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=dict, max_length=50
    )


class Validator(Strict):
    """How an answer is checked. YAML shorthands: ``email``, ``{choice: [a, b]}``,
    ``{regex: "..."}``, ``{number: {min: 1, max: 10}}``."""

    kind: Literal["email", "phone", "number", "date", "text", "choice", "regex"]
    options: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, min_length=1, max_length=50
    )
    synonyms: dict[str, list[str]] | None = None
    pattern: str | None = Field(default=None, max_length=300)
    min: float | None = None
    max: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"kind": data}
        named = [k for k in VALIDATORS if isinstance(data, dict) and k in data]
        if isinstance(data, dict) and "kind" not in data and len(named) == 1:
            kind = named[0]
            rest = {k: v for k, v in data.items() if k != kind}
            arg = data[kind]
            if kind == "choice" and isinstance(arg, list):
                return {"kind": kind, "options": arg, **rest}
            if kind == "regex" and isinstance(arg, str):
                return {"kind": kind, "pattern": arg, **rest}
            if isinstance(arg, dict):
                return {"kind": kind, **arg, **rest}
            if arg is None:
                return {"kind": kind, **rest}
        return data

    _pattern = field_validator("pattern")(_regex)

    @model_validator(mode="after")
    def _complete(self) -> Validator:
        if (self.kind == "choice") != (self.options is not None):
            raise ValueError("options go with (and only with) a choice validator")
        if (self.kind == "regex") != (self.pattern is not None):
            raise ValueError("pattern goes with (and only with) a regex validator")
        if (self.min is not None or self.max is not None) and self.kind != "number":
            raise ValueError("min and max go with a number validator")
        return self


class Say(Strict):
    text: Text


class Ask(Strict):
    slot: Slot
    prompt: Text
    validator: Validator = Validator(kind="text")
    retries: int = Field(default=2, ge=0, le=5)
    retry_prompt: Text | None = None
    on_fail: StepId | None = None
    # Take the answer from the message that is already there (the one that started the
    # procedure, say) without asking; default: yes for email, phone and regex answers.
    prefill: bool | None = None
    # Ask again even when the slot is already known.
    always: bool = False


class Condition(Strict):
    """One test of a slot (or a tool result such as ``get_order.status``)."""

    slot: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=120)]
    equals: Any = None
    not_equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    contains: str | None = None
    matches: str | None = Field(default=None, max_length=300)
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    exists: bool | None = None

    _matches = field_validator("matches")(_regex)


class Case(Strict):
    when: list[Condition] = Field(default_factory=list, max_length=20)
    any: list[Condition] = Field(default_factory=list, max_length=20)
    goto: StepId

    @field_validator("when", "any", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _something(self) -> Case:
        if not self.when and not self.any:
            raise ValueError("a case needs conditions (when or any)")
        return self


class Branch(Strict):
    cases: list[Case] = Field(min_length=1, max_length=30)
    default: StepId | None = None


class Call(Strict):
    tool: Slot
    on_error: StepId | None = None


class SetStep(Strict):
    tags: list[Tag] | None = Field(default=None, max_length=20)
    remove_tags: list[Tag] | None = Field(default=None, max_length=20)
    priority: Priority | None = None
    fields: dict[Slot, Annotated[str, Field(max_length=500)]] | None = None
    slots: dict[Slot, Annotated[str, Field(max_length=500)]] | None = None


class SearchKb(Strict):
    query: Text = "{{message}}"
    collection: str | None = Field(default=None, max_length=120)
    into: Slot = "kb"
    limit: int = Field(default=3, ge=1, le=10)
    min_score: float = Field(default=0.0, ge=0, le=1)


class Handoff(Strict):
    queue: str | None = Field(default=None, max_length=120)
    note: str = Field(default="", max_length=2000)
    message: Text | None = None


class Resolve(Strict):
    outcome: Outcome = Outcome.resolved
    message: Text | None = None
    disposition: str | None = Field(default=None, max_length=120)


ACTIONS = ("say", "ask", "branch", "call", "set", "search_kb", "handoff", "resolve")


class Step(Strict):
    """Exactly one action; ``id`` to be jumped to, ``goto`` to jump after it."""

    id: StepId | None = None
    goto: StepId | None = None
    say: Say | None = None
    ask: Ask | None = None
    branch: Branch | None = None
    call: Call | None = None
    set: SetStep | None = None
    search_kb: SearchKb | None = None
    handoff: Handoff | None = None
    resolve: Resolve | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if isinstance(data.get("say"), str):
                data = {**data, "say": {"text": data["say"]}}
            if isinstance(data.get("call"), str):
                data = {**data, "call": {"tool": data["call"]}}
            for key in ("handoff", "resolve"):
                if key in data and data[key] is None:
                    data = {**data, key: {}}
        return data

    @property
    def action(self) -> str:
        (name,) = [k for k in ACTIONS if getattr(self, k) is not None]
        return name

    @model_validator(mode="after")
    def _one(self) -> Step:
        given = [k for k in ACTIONS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a step has exactly one of {', '.join(ACTIONS)}; got {given}")
        return self


class ReplyPattern(Strict):
    contains: str | None = None
    matches: str | None = None

    _matches = field_validator("matches")(_regex)


ReplyExpect = str | ReplyPattern


class ToolFixture(Strict):
    """A tool's canned answer in a test: an HTTP status and JSON body, or a failure."""

    status: int = Field(default=200, ge=100, le=599)
    body: Any = None
    error: str | None = None


class Expect(Strict):
    handoff: str | None = None  # the queue name ("" for a handoff without one)
    resolve: Outcome | None = None
    done: bool | None = None
    slots: dict[str, Any] | None = None
    calls: list[str] | None = None
    tags: list[str] | None = None
    priority: Priority | None = None
    fields: dict[str, Any] | None = None


class ScriptTurn(Strict):
    user: str = Field(max_length=5000)
    replies: list[ReplyExpect] | None = None
    says: list[str] | None = None  # each must appear in some reply of the turn
    expect: Expect | None = None


class KbFixture(Strict):
    title: str
    answer: str
    score: float = 1.0
    collection: str | None = None
    source: str | None = None


class ProcedureTest(Strict):
    name: Text
    slots: dict[str, Any] = Field(default_factory=dict)
    tools: dict[str, ToolFixture | list[ToolFixture]] = Field(default_factory=dict)
    kb: list[KbFixture] = Field(default_factory=list)
    conversation: list[ScriptTurn] = Field(min_length=1, max_length=50)
    expect: Expect = Field(default_factory=Expect)


class ProcedureDefinition(Strict):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    description: str = Field(default="", max_length=1000)
    triggers: Triggers
    when: EntryConditions = Field(default_factory=EntryConditions)
    # Slots the caller may fill before the first step (contact details, say).
    inputs: list[Slot] = Field(default_factory=list, max_length=20)
    tools: dict[Slot, Tool] = Field(default_factory=dict, max_length=20)
    steps: list[Step] = Field(min_length=1, max_length=100)
    tests: list[ProcedureTest] = Field(default_factory=list, max_length=50)

    def step_index(self) -> dict[str, int]:
        """Step id -> position (steps without an id are named ``step_N``, N from 1)."""
        return {step.id or f"step_{n + 1}": n for n, step in enumerate(self.steps)}
