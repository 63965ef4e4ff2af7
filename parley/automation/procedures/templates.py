"""The procedures' mini-template: ``{{name}}`` and ``{{name|default}}``, nothing else.

Rendering is one pass of a regular expression over the *template* (written by an administrator):
values are inserted as plain text and never scanned again, so a customer who types ``{{secrets.x}}``
or ``{% ... %}`` only ever sees those characters echoed back. There are no expressions, filters,
loops or attribute calls: nothing here executes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*"
PLACEHOLDER = re.compile(r"\{\{\s*(" + NAME + r")\s*(?:\|([^{}]*?))?\s*\}\}")
NAME_RE = re.compile(NAME)


def names_in(template: str) -> list[str]:
    """The names a template refers to, in order."""
    return [m.group(1) for m in PLACEHOLDER.finditer(template)]


def lookup(values: Mapping[str, Any], name: str) -> Any:
    """A value by name: a flat key first (``get_order.status``), then a walk through nested
    mappings and lists (``order.items.0.sku``). None when absent."""
    if name in values:
        return values[name]
    current: Any = values
    for part in name.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(as_text(v) for v in value)
    return str(value)


def render(
    template: str, values: Mapping[str, Any], *, encode: Callable[[str], str] | None = None
) -> str:
    """Fill the placeholders; a missing or empty value gives its default (or nothing).
    ``encode`` is applied to each inserted value (URL templates quote them)."""

    def fill(match: re.Match[str]) -> str:
        text = as_text(lookup(values, match.group(1)))
        if text == "" and match.group(2) is not None:
            return match.group(2).strip()  # a default is part of the template: trusted
        return encode(text) if encode is not None else text

    return PLACEHOLDER.sub(fill, template)


def render_json(template: Any, values: Mapping[str, Any]) -> Any:
    """A JSON body template: every string leaf is rendered; a leaf that is exactly one
    placeholder keeps the value's type (a number stays a number)."""
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template.strip())
        if whole is not None:
            value = lookup(values, whole.group(1))
            if value is None or value == "":
                return whole.group(2).strip() if whole.group(2) is not None else None
            return value
        return render(template, values)
    if isinstance(template, dict):
        return {k: render_json(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [render_json(v, values) for v in template]
    return template


def strings_in(template: Any) -> list[str]:
    """Every string leaf of a JSON template (to check the names it uses)."""
    if isinstance(template, str):
        return [template]
    if isinstance(template, dict):
        return [s for v in template.values() for s in strings_in(v)]
    if isinstance(template, list):
        return [s for v in template for s in strings_in(v)]
    return []
