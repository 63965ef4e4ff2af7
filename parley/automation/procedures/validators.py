"""Answer validators for ``ask`` steps: find the value in what the customer wrote, normalise it.

Each returns the value (a string, a number for ``number``) or None when the message holds no valid
answer. Customer text is only ever matched against, never interpreted.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email

from parley.automation.procedures.model import Validator

# Regular expressions written by administrators run on at most this much customer text, which
# bounds the cost of a pattern that backtracks badly.
MAX_INPUT = 1000
_EMAIL = re.compile(r"[^\s<>(),;:\"']+@[^\s<>(),;:\"']+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,22}\d")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_RELATIVE = {"today": 0, "tomorrow": 1, "yesterday": -1}
_WORD = re.compile(r"[a-z0-9]+")


def validate(validator: Validator, text: str, *, today: date) -> Any:
    """The answer ``text`` gives for ``validator``, or None."""
    text = text.strip()[:MAX_INPUT]
    if not text:
        return None
    kind = validator.kind
    if kind == "text":
        return text
    if kind == "email":
        return _email(text)
    if kind == "phone":
        return _phone(text)
    if kind == "number":
        return _number(text, validator.min, validator.max)
    if kind == "date":
        return _date(text, today)
    if kind == "choice":
        return _choice(text, validator.options or [], validator.synonyms or {})
    return _regex(text, validator.pattern or "")


def _email(text: str) -> str | None:
    for candidate in _EMAIL.findall(text):
        try:
            found = validate_email(candidate.rstrip("."), check_deliverability=False)
        except EmailNotValidError:
            continue
        return str(found.normalized)
    return None


def _phone(text: str) -> str | None:
    for candidate in _PHONE.findall(text):
        digits = re.sub(r"\D", "", candidate)
        if 7 <= len(digits) <= 15:
            return ("+" if candidate.startswith("+") else "") + digits
    return None


def _number(text: str, low: float | None, high: float | None) -> int | float | None:
    for candidate in _NUMBER.findall(text):
        value = float(candidate.replace(",", "."))
        if (low is not None and value < low) or (high is not None and value > high):
            continue
        return int(value) if value.is_integer() else value
    return None


def _date(text: str, today: date) -> str | None:
    lowered = text.lower()
    for word, days in _RELATIVE.items():
        if re.search(rf"\b{word}\b", lowered):
            return (today + timedelta(days=days)).isoformat()
    for pattern, order in ((_ISO, (0, 1, 2)), (_DMY, (2, 1, 0))):
        for match in pattern.finditer(text):
            parts = [int(match.group(i + 1)) for i in order]
            try:
                return datetime(parts[0], parts[1], parts[2]).date().isoformat()
            except ValueError:
                continue
    return None


def _choice(text: str, options: list[str], synonyms: dict[str, list[str]]) -> str | None:
    """The option the text names (by its words or a synonym); None if none, or if several are
    named equally well ("credit card" beats "credit" when both match)."""
    words = " " + " ".join(_WORD.findall(text.lower())) + " "
    best: dict[str, int] = {}
    for option in options:
        for spelling in [option, *synonyms.get(option, [])]:
            wanted = _WORD.findall(spelling.lower())
            if wanted and f" {' '.join(wanted)} " in words:
                best[option] = max(best.get(option, 0), len(wanted))
    hits = [o for o, n in best.items() if n == max(best.values(), default=0)]
    if len(hits) == 1:
        return hits[0]
    # "2" picks the second option, when that is all the customer wrote.
    stripped = text.strip().rstrip(".")
    if not hits and stripped.isdigit() and 1 <= int(stripped) <= len(options):
        return options[int(stripped) - 1]
    return None


def _regex(text: str, pattern: str) -> str | None:
    match = re.search(pattern, text)
    if match is None:
        return None
    return match.group(1) if match.groups() and match.group(1) is not None else match.group(0)
