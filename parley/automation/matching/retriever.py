"""Knowledge-base retrieval: rank FAQ entries for a customer's question.

Each entry has a title field (its question and alternative phrasings) and a body (the answer
text). The score blends TF-IDF cosines on both fields with static-embedding cosines (best
phrasing, and the answer). This is the in-memory ranking; a database full-text index (SQLite
FTS5, PostgreSQL tsvector) can propose candidates and this reranks them via ``candidates=``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from parley.automation.matching.lexical import TfidfIndex, char_features, word_features
from parley.automation.matching.matcher import Encoder

Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Document:
    id: str
    question: str
    phrasings: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()

    @property
    def titles(self) -> list[str]:
        return [self.question, *self.phrasings]

    @property
    def body(self) -> str:
        return "\n".join(self.answers)


@dataclass(frozen=True)
class Hit:
    id: str
    score: float


class Retriever(Protocol):
    threshold: float

    def index(self, documents: Sequence[Document]) -> None: ...

    def search(
        self, query: str, *, limit: int = 10, candidates: Sequence[str] | None = None
    ) -> list[Hit]: ...


@dataclass(frozen=True)
class RetrieverConfig:
    # Tuned on StackFAQ queries_dev (see docs/matching.md); round values from a flat optimum.
    title_words: float = 0.1
    title_chars: float = 0.2
    body_words: float = 0.3
    title_embedding: float = 0.3
    body_embedding: float = 0.1
    # Answer only at or above this score; below it the question goes to a person.
    threshold: float = 0.4
    lexical_threshold: float = 0.25


class HybridRetriever:
    """The default :class:`Retriever`; ``encoder=None`` ranks with the lexical fields only."""

    def __init__(self, encoder: Encoder | None = None, config: RetrieverConfig | None = None):
        self.encoder = encoder
        self.config = config or RetrieverConfig()
        self.threshold = self.config.threshold if encoder else self.config.lexical_threshold
        self.ids: list[str] = []

    def index(self, documents: Sequence[Document]) -> None:
        if not documents:
            raise ValueError("no documents to index")
        self.ids = [d.id for d in documents]
        self._position = {doc_id: i for i, doc_id in enumerate(self.ids)}
        titles = [d.titles for d in documents]
        self._title_words = TfidfIndex(word_features).fit_groups(titles)
        self._title_chars = TfidfIndex(char_features).fit_groups(titles)
        self._body_words = TfidfIndex(word_features).fit([d.body for d in documents])
        if self.encoder is not None:
            flat = [t for group in titles for t in group]
            self._title_starts = np.cumsum([0] + [len(g) for g in titles[:-1]]).astype(np.intp)
            self._title_vectors = self.encoder.encode(flat)
            self._body_vectors = self.encoder.encode([d.body or d.question for d in documents])

    def scores(self, query: str) -> Array:
        """One score per indexed document, in index order."""
        if not self.ids:
            raise RuntimeError("index documents first")
        cfg = self.config
        lexical = (
            cfg.title_words * self._title_words.scores(query)
            + cfg.title_chars * self._title_chars.scores(query)
            + cfg.body_words * self._body_words.scores(query)
        )
        if self.encoder is None:
            out: Array = lexical / (cfg.title_words + cfg.title_chars + cfg.body_words)
            return out
        q = self.encoder.encode([query])[0]
        title = np.maximum.reduceat(
            np.einsum("ij,j->i", self._title_vectors, q), self._title_starts
        )
        body = np.einsum("ij,j->i", self._body_vectors, q)
        combined: Array = (
            lexical
            + cfg.title_embedding * np.clip(title, 0, 1)
            + cfg.body_embedding * np.clip(body, 0, 1)
        ).astype(np.float32)
        return combined

    def search(
        self, query: str, *, limit: int = 10, candidates: Sequence[str] | None = None
    ) -> list[Hit]:
        """The best ``limit`` documents, best first; only among ``candidates`` when given."""
        scores = self.scores(query)
        if candidates is not None:
            pool = np.array(
                sorted({self._position[c] for c in candidates if c in self._position}),
                dtype=np.intp,
            )
        else:
            pool = np.arange(len(self.ids), dtype=np.intp)
        order = pool[np.argsort(-scores[pool], kind="stable")][:limit]
        return [Hit(id=self.ids[i], score=float(scores[i])) for i in order]
