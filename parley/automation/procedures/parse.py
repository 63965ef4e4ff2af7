"""``parse_procedure``: YAML or JSON text -> a validated ProcedureDefinition, or InvalidInput whose
``fields`` map each offending field path (``steps.3.ask.validator``) to ``line N: what is wrong``.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import ValidationError

from parley.automation.procedures.model import ProcedureDefinition, Step
from parley.automation.procedures.templates import names_in, strings_in
from parley.errors import InvalidInput

MAX_SOURCE = 100_000
# Names a template may use without the procedure producing them.
BUILTINS = ("message", "contact", "interaction", "procedure")
URL_PREFIXES = ("https://", "http://", "{{config.")


def parse_procedure(source: str | dict[str, Any]) -> ProcedureDefinition:
    """Parse and validate a procedure; see the module docstring for the errors."""
    root: yaml.Node | None = None
    data: Any = source
    if isinstance(source, str):
        if len(source) > MAX_SOURCE:
            raise InvalidInput(f"a procedure is at most {MAX_SOURCE} characters")
        data, root = _load(source)
    if not isinstance(data, dict):
        raise InvalidInput("a procedure is a mapping with name, triggers and steps")
    try:
        definition = ProcedureDefinition.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for error in exc.errors():
            path = [p for p in error["loc"] if _is_field(p)]
            key = ".".join(str(p) for p in path) or "procedure"
            fields.setdefault(key, _at(root, path) + error["msg"])
        raise InvalidInput("the procedure is not valid", fields=fields) from None
    problems = check_definition(definition)
    if problems:
        fields = {key: _at(root, _split(key)) + msg for key, msg in problems.items()}
        raise InvalidInput("the procedure is not valid", fields=fields)
    return definition


def _load(source: str) -> tuple[Any, yaml.Node | None]:
    try:
        if source.lstrip().startswith("{"):
            data = json.loads(source)
        else:
            if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(source)):
                raise InvalidInput("YAML anchors and aliases are not supported in procedures")
            data = yaml.safe_load(source)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise InvalidInput(
            f"the procedure is not valid YAML or JSON{where}", fields={"source": str(exc)}
        ) from None
    try:
        root = yaml.compose(source)
    except yaml.YAMLError:
        root = None  # JSON that YAML reads differently: errors come without line numbers
    return data, root


def _is_field(part: Any) -> bool:
    # pydantic adds union members and validator names ("str", "function-after[...]") to locs.
    if isinstance(part, int):
        return True
    return isinstance(part, str) and not any(c in part for c in "[]-") and part not in ("str",)


def _split(key: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in key.split(".")]


def _at(root: yaml.Node | None, path: list[Any]) -> str:
    """``line N: `` for the deepest node of ``path`` found in the YAML tree, else nothing."""
    node = root
    found = root
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        found = node
    return f"line {found.start_mark.line + 1}: " if found is not None else ""


def check_definition(d: ProcedureDefinition) -> dict[str, str]:
    """What the models cannot see alone: ids, jumps, tools, names in templates, tests."""
    problems: dict[str, str] = {}
    ids: dict[str, int] = {}
    for n, step in enumerate(d.steps):
        if step.id is not None:
            if step.id in ids:
                problems[f"steps.{n}.id"] = f"step id {step.id!r} is used twice"
            ids.setdefault(step.id, n)
    known = set(d.step_index())
    produced = _produced(d)
    for n, step in enumerate(d.steps):
        for key, target in _jumps(step):
            if target not in known:
                problems[f"steps.{n}.{key}"] = f"no step has the id {target!r}"
        if step.call is not None and step.call.tool not in d.tools:
            problems[f"steps.{n}.call.tool"] = (
                f"the procedure declares no tool {step.call.tool!r} (see tools:)"
            )
        for key, text in _templates(step):
            for name in names_in(text):
                if not _known_name(name, produced):
                    problems[f"steps.{n}.{key}"] = f"unknown name {{{{{name}}}}} in a template"
        for key, name in _condition_slots(step):
            if not _known_name(name, produced):
                problems[f"steps.{n}.{key}"] = f"unknown slot {name!r} in a condition"
    last = d.steps[-1]
    ends = last.handoff or last.resolve or last.goto or (last.branch and last.branch.default)
    if not ends:
        problems[f"steps.{len(d.steps) - 1}"] = (
            "the last step must be handoff or resolve, or jump with goto"
        )
    for name, tool in d.tools.items():
        problems.update(_tool_problems(name, tool, produced))
    for t, test in enumerate(d.tests):
        for name in test.tools:
            if name not in d.tools:
                problems[f"tests.{t}.tools.{name}"] = f"the procedure declares no tool {name!r}"
    return problems


def _jumps(step: Step) -> list[tuple[str, str]]:
    found = [("goto", step.goto)]
    if step.ask is not None:
        found.append(("ask.on_fail", step.ask.on_fail))
    if step.call is not None:
        found.append(("call.on_error", step.call.on_error))
    if step.branch is not None:
        found.append(("branch.default", step.branch.default))
        found += [(f"branch.cases.{i}.goto", c.goto) for i, c in enumerate(step.branch.cases)]
    return [(k, v) for k, v in found if v is not None]


def _templates(step: Step) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if step.say is not None:
        out.append(("say.text", step.say.text))
    if step.ask is not None:
        out += [("ask.prompt", step.ask.prompt), ("ask.retry_prompt", step.ask.retry_prompt or "")]
    if step.set is not None:
        for group in ("fields", "slots"):
            values = getattr(step.set, group) or {}
            out += [(f"set.{group}.{k}", v) for k, v in values.items()]
    if step.search_kb is not None:
        out.append(("search_kb.query", step.search_kb.query))
    if step.handoff is not None:
        out.append(("handoff.note", step.handoff.note))
        out.append(("handoff.message", step.handoff.message or ""))
    if step.resolve is not None:
        out.append(("resolve.message", step.resolve.message or ""))
    return out


def _condition_slots(step: Step) -> list[tuple[str, str]]:
    if step.branch is None:
        return []
    return [
        (f"branch.cases.{i}.{group}.{j}.slot", cond.slot)
        for i, case in enumerate(step.branch.cases)
        for group in ("when", "any")
        for j, cond in enumerate(getattr(case, group))
    ]


def _produced(d: ProcedureDefinition) -> set[str]:
    """Every slot name the procedure can fill (plus its inputs)."""
    names = set(d.inputs)
    for tool_name, tool in d.tools.items():
        names |= set(tool.map) | {f"{tool_name}.ok", f"{tool_name}.status", f"{tool_name}.error"}
    for step in d.steps:
        if step.ask is not None:
            names.add(step.ask.slot)
        if step.set is not None and step.set.slots:
            names |= set(step.set.slots)
        if step.search_kb is not None:
            into = step.search_kb.into
            names |= {into, f"{into}.found", f"{into}.title", f"{into}.source", f"{into}.score"}
    return names


def _known_name(name: str, produced: set[str]) -> bool:
    head = name.split(".", 1)[0]
    return name in produced or head in produced or head in BUILTINS


def _tool_problems(name: str, tool: Any, produced: set[str]) -> dict[str, str]:
    problems: dict[str, str] = {}
    where = f"tools.{name}"
    url: str = tool.url
    if not url.startswith(URL_PREFIXES):
        problems[f"{where}.url"] = "a tool URL starts with https://, http:// or {{config.NAME}}"
    else:
        # The host comes from the procedure, never from a slot: no placeholder before the path.
        rest = url.split("}}", 1)[1] if url.startswith("{{config.") else url.split("://", 1)[1]
        authority = rest.split("/", 1)[0] if not url.startswith("{{") else ""
        if "{{" in authority or (url.startswith("{{") and rest and rest[0] not in "/?"):
            problems[f"{where}.url"] = "the host of a tool URL cannot come from a template value"
    for n in names_in(url):
        if n.startswith("secrets."):
            problems.setdefault(f"{where}.url", "secrets cannot go in a URL (use a header)")
        elif n.startswith("config.") and not url.startswith("{{" + n):
            problems.setdefault(f"{where}.url", "{{config.NAME}} only at the start of a URL")
        elif not n.startswith("config.") and not _known_name(n, produced):
            problems.setdefault(f"{where}.url", f"unknown name {{{{{n}}}}} in a template")
    texts = [(f"{where}.headers.{h}", v) for h, v in tool.headers.items()]
    texts += [(f"{where}.body", s) for s in strings_in(tool.body)]
    for key, text in texts:
        for n in names_in(text):
            if n.startswith("secrets."):
                if n.split(".", 1)[1] not in tool.secrets:
                    problems[key] = f"{{{{{n}}}}}: declare it under this tool's secrets:"
            elif not n.startswith("config.") and not _known_name(n, produced):
                problems[key] = f"unknown name {{{{{n}}}}} in a template"
    if tool.body is not None and tool.method == "GET":
        problems[f"{where}.body"] = "a GET request has no body"
    return problems
