"""What a ``search_kb`` step needs from the knowledge base, as a Protocol.

The interpreter never imports the knowledge-base code: whoever runs a procedure passes an object
bound to *one* organization (and, through the AI agent, to the collections it may use). A
procedure names its collection in its definition; customer text only ever becomes the query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from parley.automation.procedures.model import KbFixture

_WORD = re.compile(r"[a-z0-9]{3,}")
_STOP = frozenset(
    {
        "the",
        "and",
        "for",
        "you",
        "your",
        "are",
        "can",
        "how",
        "what",
        "does",
        "did",
        "when",
        "where",
        "why",
        "who",
        "with",
        "this",
        "that",
        "from",
        "have",
        "has",
        "was",
        "were",
        "will",
        "would",
        "could",
        "should",
        "not",
        "any",
        "our",
        "out",
        "about",
        "into",
    }
)


def words(text: str) -> list[str]:
    """Content words, with a plural or third-person "s" dropped (a crude, predictable stem)."""
    found = (w for w in _WORD.findall(text.lower()) if w not in _STOP)
    return [w[:-1] if w.endswith("s") and len(w) > 3 else w for w in found]


@dataclass(frozen=True)
class KbHit:
    title: str
    answer: str
    score: float  # in [0, 1]
    source: str | None = None


class KnowledgeSearch(Protocol):
    async def search(self, query: str, *, collection: str | None, limit: int) -> Sequence[KbHit]:
        """The best entries for ``query`` in this organization's knowledge base, best first."""
        ...


class NoKnowledge:
    """A knowledge base with nothing in it."""

    async def search(self, query: str, *, collection: str | None, limit: int) -> Sequence[KbHit]:
        return []


class FixtureKnowledge:
    """The entries a procedure test lists, ranked by the share of the query's words they contain
    (times their fixture score), so tests stay independent of the real retriever."""

    def __init__(self, entries: Sequence[KbFixture]) -> None:
        self.entries = list(entries)
        self.queries: list[str] = []

    async def search(self, query: str, *, collection: str | None, limit: int) -> Sequence[KbHit]:
        self.queries.append(query)
        wanted = set(words(query))
        hits: list[KbHit] = []
        for entry in self.entries:
            if collection is not None and entry.collection not in (None, collection):
                continue
            have = set(words(f"{entry.title} {entry.answer}"))
            share = len(wanted & have) / len(wanted) if wanted else 0.0
            if share > 0:
                hits.append(KbHit(entry.title, entry.answer, share * entry.score, entry.source))
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]
