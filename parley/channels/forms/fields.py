"""A web form submission: its fields read from JSON or form encoding, and rendered as text."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from parley.channels.generic import BadRequest, parse_json_object
from parley.errors import InvalidInput

MAX_FIELDS = 100
MAX_NAME = 100
MAX_VALUE = 10_000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def read_fields(request: Request, body: bytes) -> dict[str, str]:
    """The submitted fields as name -> text. Repeated names (checkboxes) are joined with ", "."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    pairs: list[tuple[str, str]]
    if content_type == "application/json":
        pairs = [(k, _text(v)) for k, v in parse_json_object(body).items()]
    elif content_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(
                body.decode(), keep_blank_values=True, strict_parsing=False, max_num_fields=200
            )
        except (UnicodeDecodeError, ValueError):
            raise BadRequest("the form body cannot be read") from None
    elif content_type == "multipart/form-data":
        # Starlette parses from the body already read (and verified); files are not accepted.
        form = await request.form(max_files=0, max_fields=200)
        pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    else:
        raise BadRequest("send JSON, application/x-www-form-urlencoded or multipart/form-data")
    fields: dict[str, str] = {}
    for name, value in pairs:
        name = name.strip()
        if not name or len(name) > MAX_NAME or "\x00" in name + value:
            raise InvalidInput("a field name is empty, too long or not text", fields={name: "bad"})
        if len(value) > MAX_VALUE:
            raise InvalidInput(f"a field is at most {MAX_VALUE} characters", fields={name: "long"})
        fields[name] = f"{fields[name]}, {value}" if name in fields else value
    if len(fields) > MAX_FIELDS:
        raise InvalidInput(f"a form has at most {MAX_FIELDS} fields")
    return fields


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if value is None:
        return ""
    return json.dumps(value)


def one_line(value: str | None, limit: int) -> str | None:
    """A value fit for a header or a subject: whitespace (and line breaks) collapsed."""
    collapsed = " ".join((value or "").split())[:limit]
    return collapsed or None


def valid_email(value: str | None) -> str | None:
    value = one_line(value, 320)
    return value if value and EMAIL.match(value) else None


def render(title: str, fields: dict[str, str]) -> str:
    """The submission as an agent reads it: one labelled line per field, long text indented."""
    lines = [title, ""]
    for name, value in fields.items():
        label = name.replace("_", " ").replace("-", " ").strip().capitalize()
        value = value.strip()
        if "\n" in value:
            lines.append(f"{label}:")
            lines += [f"    {line}" for line in value.splitlines()]
        else:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)
