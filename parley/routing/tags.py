"""Tag expressions: how a queue says which tagged work it accepts ("billing and not vip").

Grammar (case-insensitive keywords, tags are the interaction's tag names)::

    expr   := term ("or" term)*
    term   := factor ("and" factor)*
    factor := "not" factor | "(" expr ")" | TAG | "*"

``*`` accepts everything. Parsing happens when a queue is saved, so a typo is a clear 422 then, not
a silent routing failure later.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from parley.errors import InvalidInput

Predicate = Callable[[Collection[str]], bool]
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_KEYWORDS = {"and", "or", "not"}


def _tokens(text: str) -> list[str]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # pragma: no cover - the pattern matches any non-space run
            break
        out.append(m.group(1))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def fail(self, why: str) -> InvalidInput:
        return InvalidInput(
            f"the tag expression {self.text!r} is not valid: {why}",
            fields={"accept_tags": why},
        )

    def peek(self) -> str | None:
        return self.tokens[self.i].lower() if self.i < len(self.tokens) else None

    def take(self) -> str:
        word = self.tokens[self.i]
        self.i += 1
        return word

    def expr(self) -> Predicate:
        parts = [self.term()]
        while self.peek() == "or":
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda tags: any(p(tags) for p in parts))

    def term(self) -> Predicate:
        parts = [self.factor()]
        while self.peek() == "and":
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda tags: all(p(tags) for p in parts))

    def factor(self) -> Predicate:
        word = self.peek()
        if word is None:
            raise self.fail("it ends where a tag was expected")
        if word == "not":
            self.take()
            inner = self.factor()
            return lambda tags: not inner(tags)
        if word == "(":
            self.take()
            inner = self.expr()
            if self.peek() != ")":
                raise self.fail("a '(' is never closed")
            self.take()
            return inner
        if word in _KEYWORDS or word == ")":
            raise self.fail(f"unexpected {self.tokens[self.i]!r}")
        tag = self.take().lower()
        if tag == "*":
            return lambda tags: True
        return lambda tags: tag in tags


def compile_tags(text: str) -> Predicate:
    """A predicate over a set of lower-case tag names; the empty expression accepts nothing."""
    if not text.strip():
        return lambda tags: False
    parser = _Parser(text)
    predicate = parser.expr()
    if parser.i != len(parser.tokens):
        raise parser.fail(f"unexpected {parser.tokens[parser.i]!r}")
    return predicate


def accepts(expression: str, tags: Collection[str]) -> bool:
    return compile_tags(expression)({t.lower() for t in tags})
