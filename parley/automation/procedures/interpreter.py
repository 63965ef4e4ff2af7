"""The procedure step machine: one customer message in, replies, actions and the next state out.

``advance`` touches no database and no global state: the state is a JSON-serializable dict the
caller stores between messages, and the only side doors are the two Protocols it is given (a
``ToolRunner`` for the tools the procedure declares, a ``KnowledgeSearch`` bound to one
organization). The customer's message is data: it fills slots, is matched by validators and
conditions, is rendered into templates as plain text, and selects nothing else.
"""

from __future__ import annotations

import copy
import operator
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from parley.automation.procedures.kb import KnowledgeSearch
from parley.automation.procedures.model import Condition, ProcedureDefinition, Step
from parley.automation.procedures.templates import lookup, render
from parley.automation.procedures.tools import ToolError, ToolRunner, extract, render_request
from parley.automation.procedures.validators import validate

MAX_STEPS_PER_TURN = 50


@dataclass(frozen=True)
class Handoff:
    queue: str | None
    note: str
    kind: str = "handoff"


@dataclass(frozen=True)
class Resolve:
    outcome: str
    disposition: str | None = None
    kind: str = "resolve"


@dataclass(frozen=True)
class SetFields:
    tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    priority: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    kind: str = "set"


Action = Handoff | Resolve | SetFields
# (slot description, customer message) -> the words that answer it, or None.
Extractor = Callable[[str, str], Awaitable[str | None]]


def action_dict(action: Action) -> dict[str, Any]:
    return asdict(action)


@dataclass(frozen=True)
class Turn:
    """What one message did. ``state`` is the input of the next ``advance``."""

    replies: list[str]
    actions: list[Action]
    state: dict[str, Any]
    trace: list[dict[str, Any]]

    @property
    def done(self) -> bool:
        return bool(self.state["status"] == "done")

    @property
    def waiting(self) -> bool:
        return bool(self.state["status"] == "waiting")


def new_state(*, slots: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The state before the first message; ``slots`` pre-fills the procedure's inputs."""
    return {
        "status": "new",  # new -> waiting (for an answer) ... -> done
        "step": None,  # the id of the ask step that waits for an answer
        "slots": dict(slots or {}),
        "retries": {},  # ask step id -> failed answers so far
        "failures": 0,  # failed answers and failed tool calls, in all
        "outcome": None,  # when done: "resolved", "unresolved" or "handoff"
        "calls": [],  # tool names called, in order
    }


class _Run:
    def __init__(
        self,
        definition: ProcedureDefinition,
        state: dict[str, Any],
        tools: ToolRunner,
        kb: KnowledgeSearch,
        now: datetime,
        extract_answer: Extractor | None = None,
    ) -> None:
        self.d = definition
        self.extract_answer = extract_answer
        self.state = state
        self.slots: dict[str, Any] = state["slots"]
        self.tools = tools
        self.kb = kb
        self.today = now.date()
        self.index = definition.step_index()
        self.ids = list(self.index)
        self.replies: list[str] = []
        self.actions: list[Action] = []
        self.trace: list[dict[str, Any]] = []

    def say(self, template: str) -> None:
        text = render(template, self.slots).strip()
        if text:
            self.replies.append(text)

    def after(self, pos: int, step: Step) -> int:
        return self.index[step.goto] if step.goto else pos + 1

    def finish(self, outcome: str) -> None:
        self.state.update(status="done", step=None, outcome=outcome)

    def escalate(self, pos: int | None, why: str) -> None:
        note = f"Procedure {self.d.name!r} handed over: {why}"
        self.actions.append(Handoff(None, note))
        self.trace.append({"step": self.ids[pos] if pos is not None else None, "escalate": why})
        self.finish("handoff")


async def advance(
    definition: ProcedureDefinition,
    state: Mapping[str, Any] | None,
    message: str,
    tools: ToolRunner,
    kb: KnowledgeSearch,
    now: datetime,
    *,
    extract_answer: Extractor | None = None,
) -> Turn:
    """Run the procedure on one customer message, from ``state`` (None or ``new_state()`` to
    start) until it waits for an answer or ends (handoff or resolve).

    ``extract_answer`` (an LLM's slot filler, when one is configured) may lift the answer to a
    free-text question out of a longer message; without it the whole message is the answer.
    """
    st = copy.deepcopy(dict(state)) if state else new_state()
    run = _Run(definition, st, tools, kb, now, extract_answer)
    if st["status"] == "done":
        run.trace.append({"ignored": "the procedure has ended"})
        return Turn([], [], st, run.trace)
    run.slots["message"] = message
    pos: int | None = 0
    waiting = st["status"] == "waiting"
    st["status"] = "running"
    if waiting:
        pos = await _answer(run, message)  # may wait again (a re-ask) or end (escalation)
    budget = MAX_STEPS_PER_TURN
    while pos is not None and st["status"] == "running":
        if pos >= len(definition.steps):
            run.escalate(None, "the procedure ended without an outcome")
            break
        budget -= 1
        if budget < 0:
            run.escalate(pos, f"more than {MAX_STEPS_PER_TURN} steps in one turn")
            break
        step = definition.steps[pos]
        if step.ask is not None and _prefill(run, pos, step, message):
            pos = run.after(pos, step)
            continue
        pos = await _execute(run, pos, step)
    return Turn(run.replies, run.actions, st, run.trace)


def _prefill(run: _Run, pos: int, step: Step, text: str) -> bool:
    """Fill an ask step's slot from this turn's message (it may carry several answers)."""
    ask = step.ask
    assert ask is not None
    allowed = ask.prefill if ask.prefill is not None else ask.validator.kind in _PREFILLED
    if not allowed or (ask.slot in run.slots and not ask.always):
        return False
    value = validate(ask.validator, text, today=run.today)
    if value is None:
        return False
    run.slots[ask.slot] = value
    run.trace.append({"step": run.ids[pos], "ask": ask.slot, "prefilled": value})
    return True


_PREFILLED = ("email", "phone", "regex")


async def _answer(run: _Run, message: str) -> int | None:
    """Take ``message`` as the answer to the waiting ask step; the position to go on from."""
    step_id = run.state["step"]
    pos = run.index[step_id]
    step = run.d.steps[pos]
    ask = step.ask
    assert ask is not None
    lifted = None
    if ask.validator.kind == "text" and run.extract_answer is not None:
        words = await run.extract_answer(f"{ask.slot}: {render(ask.prompt, run.slots)}", message)
        lifted = validate(ask.validator, words, today=run.today) if words else None
    value = lifted if lifted is not None else validate(ask.validator, message, today=run.today)
    if value is not None:
        run.slots[ask.slot] = value
        run.state["step"] = None
        entry = {"step": step_id, "ask": ask.slot, "value": value}
        run.trace.append({**entry, "extracted": True} if lifted is not None else entry)
        return run.after(pos, step)
    retries = run.state["retries"].get(step_id, 0) + 1
    run.state["retries"][step_id] = retries
    run.state["failures"] += 1
    run.trace.append({"step": step_id, "ask": ask.slot, "invalid": True, "retries": retries})
    if retries > ask.retries:
        if ask.on_fail is not None:
            return run.index[ask.on_fail]
        run.escalate(pos, f"no valid answer for {ask.slot!r} after {retries} tries")
        return None
    run.say(ask.retry_prompt or f"Sorry, I didn't catch that. {ask.prompt}")
    run.state.update(status="waiting", step=step_id)
    return None


async def _execute(run: _Run, pos: int, step: Step) -> int | None:
    """Run one step; the next position, or None to stop this turn."""
    step_id = run.ids[pos]
    entry: dict[str, Any] = {"step": step_id, "action": step.action}
    run.trace.append(entry)
    if step.say is not None:
        run.say(step.say.text)
    elif step.ask is not None:
        if step.ask.slot in run.slots and not step.ask.always:
            entry["known"] = True
        else:
            run.say(step.ask.prompt)
            run.state.update(status="waiting", step=step_id)
            return None
    elif step.branch is not None:
        for n, case in enumerate(step.branch.cases):
            if all(_holds(c, run.slots) for c in case.when) and (
                not case.any or any(_holds(c, run.slots) for c in case.any)
            ):
                entry["case"] = n
                return run.index[case.goto]
        entry["case"] = "default"
        if step.branch.default is not None:
            return run.index[step.branch.default]
    elif step.call is not None:
        return await _call(run, pos, step, entry)
    elif step.set is not None:
        _set(run, step, entry)
    elif step.search_kb is not None:
        await _search(run, step, entry)
    elif step.handoff is not None:
        if step.handoff.message:
            run.say(step.handoff.message)
        note = render(step.handoff.note, run.slots)
        run.actions.append(Handoff(step.handoff.queue, note))
        run.finish("handoff")
        return None
    elif step.resolve is not None:
        if step.resolve.message:
            run.say(step.resolve.message)
        run.actions.append(Resolve(step.resolve.outcome.value, step.resolve.disposition))
        run.finish(step.resolve.outcome.value)
        return None
    return run.after(pos, step)


async def _call(run: _Run, pos: int, step: Step, entry: dict[str, Any]) -> int | None:
    assert step.call is not None
    name = step.call.tool
    tool = run.d.tools[name]  # only a declared tool: the parser refuses any other name
    try:
        shown = render_request(tool, run.slots, config={}, secrets={}, redact=True)
        entry["request"] = {"method": shown.method, "url": shown.url}
    except ToolError as exc:
        entry["request"] = {"error": str(exc)}
    result = await run.tools.call(name, tool, run.slots)
    run.state["calls"].append(name)
    run.slots[f"{name}.ok"] = result.ok
    run.slots[f"{name}.status"] = result.status
    run.slots[f"{name}.error"] = result.error
    entry.update(ok=result.ok, status=result.status)
    if result.ok:
        for slot, path in tool.map.items():
            run.slots[slot] = extract(result.body, path)
        return run.after(pos, step)
    entry["error"] = result.error
    run.state["failures"] += 1
    if step.call.on_error is not None:
        return run.index[step.call.on_error]
    run.escalate(pos, f"the tool {name!r} failed ({result.error or result.status})")
    return None


def _set(run: _Run, step: Step, entry: dict[str, Any]) -> None:
    s = step.set
    assert s is not None
    for slot, template in (s.slots or {}).items():
        run.slots[slot] = render(template, run.slots)
    if s.tags or s.remove_tags or s.priority or s.fields:
        fields = {k: render(v, run.slots) for k, v in (s.fields or {}).items()}
        priority = s.priority.value if s.priority is not None else None
        action = SetFields(list(s.tags or []), list(s.remove_tags or []), priority, fields)
        run.actions.append(action)
        entry["set"] = action_dict(action)


async def _search(run: _Run, step: Step, entry: dict[str, Any]) -> None:
    s = step.search_kb
    assert s is not None
    query = render(s.query, run.slots)
    hits = await run.kb.search(query, collection=s.collection, limit=s.limit)
    best = next((h for h in hits if h.score >= s.min_score), None)
    entry.update(query=query, hits=[{"title": h.title, "score": round(h.score, 4)} for h in hits])
    run.slots[s.into] = best.answer if best else ""
    run.slots[f"{s.into}.found"] = best is not None
    run.slots[f"{s.into}.title"] = best.title if best else ""
    run.slots[f"{s.into}.source"] = best.source if best else None
    run.slots[f"{s.into}.score"] = best.score if best else 0.0


def _holds(cond: Condition, slots: Mapping[str, Any]) -> bool:
    value = lookup(slots, cond.slot)
    checks: list[bool] = []
    if cond.exists is not None:
        checks.append((value is not None and value != "") == cond.exists)
    if cond.equals is not None:
        checks.append(_same(value, cond.equals))
    if cond.not_equals is not None:
        checks.append(not _same(value, cond.not_equals))
    if cond.in_ is not None:
        checks.append(any(_same(value, v) for v in cond.in_))
    if cond.contains is not None:
        checks.append(cond.contains.lower() in str(value if value is not None else "").lower())
    if cond.matches is not None:
        text = str(value if value is not None else "")[:1000]
        checks.append(re.search(cond.matches, text) is not None)
    for bound, test in (
        (cond.gt, operator.gt),
        (cond.gte, operator.ge),
        (cond.lt, operator.lt),
        (cond.lte, operator.le),
    ):
        if bound is not None:
            number = _number(value)
            checks.append(number is not None and test(number, bound))
    if not checks:  # a bare slot: true when it holds something truthy
        return value not in (None, "", False, 0)
    return all(checks)


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return value is wanted or str(value).lower() == str(wanted).lower()
    a, b = _number(value), _number(wanted)
    if a is not None and b is not None:
        return a == b
    return str(value if value is not None else "").strip().lower() == str(wanted).strip().lower()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
