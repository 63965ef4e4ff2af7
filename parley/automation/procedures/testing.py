"""Running a procedure's ``tests:`` offline: tools answered by fixtures, the knowledge base by
fixtures, a fixed clock. Used by ``parley procedures test`` and CI."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parley.automation.procedures.interpreter import (
    Action,
    Handoff,
    Resolve,
    SetFields,
    advance,
    new_state,
)
from parley.automation.procedures.kb import FixtureKnowledge
from parley.automation.procedures.model import (
    Expect,
    ProcedureDefinition,
    ProcedureTest,
    ReplyExpect,
)
from parley.automation.procedures.parse import parse_procedure
from parley.automation.procedures.tools import OfflineToolRunner
from parley.errors import InvalidInput

# Tests run on a fixed day so that "tomorrow" means the same thing in every run.
TEST_NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass
class CaseResult:
    procedure: str
    test: str
    failures: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class FileReport:
    path: Path
    procedure: str | None = None
    error: InvalidInput | None = None
    results: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.error is None and all(r.passed for r in self.results)


async def run_test(
    definition: ProcedureDefinition, test: ProcedureTest, *, now: datetime = TEST_NOW
) -> CaseResult:
    result = CaseResult(definition.name, test.name)
    tools = OfflineToolRunner(test.tools)
    kb = FixtureKnowledge(test.kb)
    state: dict[str, Any] = new_state(slots=test.slots)
    actions: list[Action] = []
    for n, turn in enumerate(test.conversation, start=1):
        if state["status"] == "done":
            result.failures.append(f"turn {n}: the procedure had already ended")
            break
        out = await advance(definition, state, turn.user, tools, kb, now)
        state = out.state
        actions += out.actions
        result.transcript.append(f"  customer: {turn.user}")
        result.transcript += [f"  bot: {r}" for r in out.replies]
        result.transcript += [f"  [{_describe(a)}]" for a in out.actions]
        result.failures += [f"turn {n}: {p}" for p in _reply_problems(turn.replies, out.replies)]
        for wanted in turn.says or []:
            if not any(wanted.lower() in r.lower() for r in out.replies):
                result.failures.append(f"turn {n}: no reply says {wanted!r}")
        if turn.expect is not None:
            result.failures += [f"turn {n}: {p}" for p in _problems(turn.expect, state, actions)]
    result.failures += _problems(test.expect, state, actions)
    return result


def _describe(action: Action) -> str:
    if isinstance(action, Handoff):
        return f"handoff to {action.queue or '(default queue)'}: {action.note}"
    if isinstance(action, Resolve):
        return f"resolve {action.outcome}"
    parts = [f"+{t}" for t in action.tags] + [f"-{t}" for t in action.remove_tags]
    if action.priority:
        parts.append(f"priority {action.priority}")
    parts += [f"{k}={v}" for k, v in action.fields.items()]
    return "set " + " ".join(parts)


def _reply_problems(wanted: list[ReplyExpect] | None, got: list[str]) -> list[str]:
    if wanted is None:
        return []
    if len(wanted) != len(got):
        return [f"expected {len(wanted)} replies, got {len(got)}: {got}"]
    problems = []
    for n, (want, reply) in enumerate(zip(wanted, got, strict=True), start=1):
        if isinstance(want, str):
            ok = reply == want
        elif want.contains is not None and want.contains.lower() not in reply.lower():
            ok = False
        else:
            ok = want.matches is None or re.search(want.matches, reply) is not None
        if not ok:
            problems.append(f"reply {n} is {reply!r}, expected {want!r}")
    return problems


def _problems(expect: Expect, state: dict[str, Any], actions: list[Action]) -> list[str]:
    problems: list[str] = []
    handoffs = [a for a in actions if isinstance(a, Handoff)]
    resolves = [a for a in actions if isinstance(a, Resolve)]
    sets = [a for a in actions if isinstance(a, SetFields)]
    if expect.handoff is not None:
        queues = [a.queue or "" for a in handoffs]
        if expect.handoff not in queues:
            problems.append(f"expected a handoff to {expect.handoff!r}, got {queues or 'none'}")
    if expect.resolve is not None and expect.resolve.value not in [a.outcome for a in resolves]:
        problems.append(f"expected resolve {expect.resolve.value}, got {resolves or 'none'}")
    if expect.done is not None and (state["status"] == "done") != expect.done:
        problems.append(f"expected done={expect.done}, the state is {state['status']}")
    for name, wanted in (expect.slots or {}).items():
        value = state["slots"].get(name)
        if value != wanted and str(value) != str(wanted):
            problems.append(f"slot {name} is {value!r}, expected {wanted!r}")
    if expect.calls is not None and state["calls"] != expect.calls:
        problems.append(f"tools called: {state['calls']}, expected {expect.calls}")
    if expect.tags is not None:
        added = sorted({t for a in sets for t in a.tags})
        if added != sorted(set(expect.tags)):
            problems.append(f"tags set: {added}, expected {sorted(set(expect.tags))}")
    priorities = [a.priority for a in sets if a.priority]
    if expect.priority is not None and priorities[-1:] != [expect.priority.value]:
        problems.append(f"priority set: {priorities[-1:] or 'none'}, expected {expect.priority}")
    fields = {k: v for a in sets for k, v in a.fields.items()}
    for name, wanted in (expect.fields or {}).items():
        if str(fields.get(name)) != str(wanted):
            problems.append(f"field {name} is {fields.get(name)!r}, expected {wanted!r}")
    return problems


def procedure_files(path: Path) -> list[Path]:
    """``path`` itself, or the .yaml/.yml/.json files in a folder (recursively, sorted)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    return [path]


async def run_source(path: Path, source: str) -> FileReport:
    """Parse one procedure file's text and run its tests."""
    report = FileReport(path)
    try:
        definition = parse_procedure(source)
    except InvalidInput as exc:
        report.error = exc
        return report
    report.procedure = definition.name
    for test in definition.tests:
        report.results.append(await run_test(definition, test))
    return report


def run_paths(paths: Iterable[Path]) -> list[FileReport]:
    sources = [(f, f.read_text(encoding="utf-8")) for p in paths for f in procedure_files(p)]

    async def run() -> list[FileReport]:
        return [await run_source(f, text) for f, text in sources]

    return asyncio.run(run())


def format_report(reports: list[FileReport], *, verbose: bool = False) -> str:
    lines: list[str] = []
    for report in reports:
        if report.error is not None:
            lines.append(f"ERROR {report.path}: {report.error.message}")
            lines += [f"    {k}: {v}" for k, v in report.error.fields.items()]
            continue
        if not report.results:
            lines.append(f"WARN  {report.path}: {report.procedure} has no tests")
        for r in report.results:
            lines.append(f"{'ok   ' if r.passed else 'FAIL '} {r.procedure} :: {r.test}")
            lines += [f"    - {f}" for f in r.failures]
            if verbose or not r.passed:
                lines += ["   " + t for t in r.transcript]
    tests = [r for rep in reports for r in rep.results]
    failed = sum(not r.passed for r in tests)
    broken = sum(rep.error is not None for rep in reports)
    lines.append(
        f"{len(reports)} procedure file(s), {len(tests)} test(s): "
        f"{len(tests) - failed} passed, {failed} failed, {broken} file(s) invalid"
    )
    return "\n".join(lines)
