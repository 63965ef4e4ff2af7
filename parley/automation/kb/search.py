"""Knowledge-base search: the database proposes, the matching module's features re-rank.

1. Candidates: the organization's chunks the full-text engine ranks best for any word of the
   question (``index.candidates``: FTS5 ``bm25`` or PostgreSQL ``ts_rank_cd``).
2. Re-ranking, on those candidates only, with the in-memory retriever's features and weights
   (``RetrieverConfig``): TF-IDF over words and char n-grams of the titles (fitted on the
   candidates), the engine's own relevance in place of the body TF-IDF (squashed into [0, 1] as
   ``s / (s + k)``), and static-embedding cosines of the best title and of the body (rows stored
   with each chunk).
3. ``confident``: the score clears the threshold (calibrated on StackFAQ's dev queries, see
   docs/knowledge.md); below it the flow goes on without an answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.automation.kb.index import Candidate, candidates, query_terms
from parley.automation.matching import Encoder, RetrieverConfig, shared_encoder
from parley.automation.matching.lexical import TfidfIndex, char_features, word_features
from parley.models import KbChunk, KnowledgeCollection, Resource

Array = npt.NDArray[np.float32]
DEFAULT: Literal["default"] = "default"


@dataclass(frozen=True)
class SearchConfig:
    weights: RetrieverConfig = field(default_factory=RetrieverConfig)
    pool: int = 30  # candidates taken from the engine and re-ranked
    # Engine relevance s -> s / (s + k): k is about the median top score on StackFAQ.
    squash_sqlite: float = 10.0
    squash_postgresql: float = 0.9
    threshold: float = 0.5
    lexical_threshold: float = 0.35


@dataclass(frozen=True)
class KbHit:
    chunk_id: uuid.UUID
    source_kind: str  # faq | resource
    source_id: uuid.UUID
    collection_id: uuid.UUID
    title: str
    text: str
    score: float
    confident: bool
    citation: dict[str, Any]

    @property
    def answer(self) -> str:
        return self.text

    @property
    def confidence(self) -> float:
        return self.score

    @property
    def citation_label(self) -> str:
        """How a reply cites its source: the title, and the URL when there is one."""
        url = self.citation.get("url")
        return f"{self.citation['title']} ({url})" if url else str(self.citation["title"])


def threshold_for(encoder: Encoder | None, config: SearchConfig | None = None) -> float:
    cfg = config or SearchConfig()
    return cfg.threshold if encoder is not None else cfg.lexical_threshold


async def search_kb(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    query: str,
    collections: Sequence[uuid.UUID | str] | None = None,
    limit: int = 10,
    encoder: Encoder | Literal["default"] | None = DEFAULT,
    config: SearchConfig | None = None,
) -> list[KbHit]:
    """The organization's best chunks for ``query``, best first (only its own, ever).

    ``collections`` narrows the search to those collections, given by id or by name (an
    empty list, or names and ids that are not the organization's, find nothing);
    ``encoder=None`` ranks with lexical features only.
    """
    cfg = config or SearchConfig()
    model = shared_encoder() if isinstance(encoder, str) else encoder
    wanted = (
        None
        if collections is None
        else await _collection_ids(session, organization_id, collections)
    )
    found = await candidates(
        session,
        organization_id=organization_id,
        terms=query_terms(query),
        collection_ids=wanted,
        limit=max(cfg.pool, limit),
    )
    if not found:
        return []
    chunks = await _load(session, organization_id, found)
    squash = cfg.squash_postgresql if session.get_bind().dialect.name == "postgresql" else None
    engine = np.array([c.score for c in found if c.chunk_id in chunks], dtype=np.float32)
    rows = [chunks[c.chunk_id] for c in found if c.chunk_id in chunks]
    scores = rerank(
        query,
        rows,
        engine / (engine + (squash or cfg.squash_sqlite)),
        encoder=model,
        weights=cfg.weights,
    )
    threshold = threshold_for(model, cfg)
    order = np.argsort(-scores, kind="stable")[:limit]
    urls = await _urls(session, organization_id, [rows[i] for i in order])
    return [_hit(rows[i], float(scores[i]), threshold, urls) for i in order]


def rerank(
    query: str,
    chunks: Sequence[KbChunk],
    engine: Array,
    *,
    encoder: Encoder | None,
    weights: RetrieverConfig,
) -> Array:
    """One score per chunk in [0, 1]: the retriever's blend with ``engine`` as the body term."""
    titles = [[str(t) for t in c.titles] or [c.heading] for c in chunks]
    lexical = (
        weights.title_words * TfidfIndex(word_features).fit_groups(titles).scores(query)
        + weights.title_chars * TfidfIndex(char_features).fit_groups(titles).scores(query)
        + weights.body_words * engine
    )
    if encoder is None:
        lexical_only: Array = lexical / (
            weights.title_words + weights.title_chars + weights.body_words
        )
        return lexical_only
    q = encoder.encode([query])[0]
    title_sim = np.zeros(len(chunks), dtype=np.float32)
    body_sim = np.zeros(len(chunks), dtype=np.float32)
    for i, chunk in enumerate(chunks):
        rows = _vectors(chunk, encoder)
        sims = np.clip(np.einsum("ij,j->i", rows, q), 0, 1)
        title_sim[i] = sims[:-1].max() if len(sims) > 1 else 0.0
        body_sim[i] = sims[-1]
    combined: Array = (
        lexical + weights.title_embedding * title_sim + weights.body_embedding * body_sim
    ).astype(np.float32)
    return combined


def _vectors(chunk: KbChunk, encoder: Encoder) -> Array:
    """The chunk's stored rows if ``encoder`` made them, else computed now."""
    if chunk.vectors is not None and chunk.encoder == encoder.name:
        stored = np.frombuffer(chunk.vectors, dtype=np.float16)
        rows: Array = stored.reshape(len(chunk.titles) + 1, -1).astype(np.float32)
        return rows
    return encoder.encode([*chunk.titles, chunk.text or chunk.heading])


async def _collection_ids(
    session: AsyncSession, organization_id: uuid.UUID, given: Sequence[uuid.UUID | str]
) -> list[uuid.UUID]:
    """The organization's collections among ``given`` (ids, or names for strings that are not)."""
    ids: set[uuid.UUID] = set()
    names: set[str] = set()
    for item in given:
        if isinstance(item, uuid.UUID):
            ids.add(item)
            continue
        try:
            ids.add(uuid.UUID(item))
        except ValueError:
            names.add(item)
    mine = KnowledgeCollection.organization_id == organization_id
    stmt = select(KnowledgeCollection.id).where(
        mine, KnowledgeCollection.id.in_(ids) | KnowledgeCollection.name.in_(names)
    )
    return list((await session.execute(stmt)).scalars())


async def _load(
    session: AsyncSession, organization_id: uuid.UUID, found: Sequence[Candidate]
) -> dict[uuid.UUID, KbChunk]:
    # The organization is checked again here: the index narrows, the table decides.
    stmt = select(KbChunk).where(
        KbChunk.organization_id == organization_id,
        KbChunk.id.in_([c.chunk_id for c in found]),
    )
    return {c.id: c for c in (await session.execute(stmt)).scalars()}


async def _urls(
    session: AsyncSession, organization_id: uuid.UUID, chunks: Sequence[KbChunk]
) -> dict[uuid.UUID, str | None]:
    ids = {c.source_id for c in chunks if c.source_kind == "resource"}
    if not ids:
        return {}
    stmt = select(Resource.id, Resource.source_url).where(
        Resource.organization_id == organization_id, Resource.id.in_(ids)
    )
    return {row[0]: row[1] for row in await session.execute(stmt)}


def _hit(
    chunk: KbChunk, score: float, threshold: float, urls: dict[uuid.UUID, str | None]
) -> KbHit:
    title = str(chunk.titles[0]) if chunk.titles else chunk.heading
    return KbHit(
        chunk_id=chunk.id,
        source_kind=chunk.source_kind,
        source_id=chunk.source_id,
        collection_id=chunk.collection_id,
        title=title,
        text=chunk.text,
        score=round(score, 4),
        confident=score >= threshold,
        citation={
            "kind": chunk.source_kind,
            "id": str(chunk.source_id),
            "title": chunk.heading or title,
            "url": urls.get(chunk.source_id),
        },
    )
