"""The full-text index over ``kb_chunks``, kept in step by this module alone.

SQLite: the FTS5 table ``kb_chunks_fts`` (porter stemming); its ``scope`` column holds the tokens
``o<organization>``, ``c<collection>`` and ``s<source>`` (hex ids), so a query is narrowed to one
organization inside the index, and a source's rows are found for deletion without a scan.
PostgreSQL: the ``tsvector`` column ``kb_chunks.search_vector`` (English configuration, titles
weighted A, body D) behind a GIN index. Candidates are ranked by ``bm25()`` / ``ts_rank_cd``
with OR semantics: a chunk needs one of the question's words, not all of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from parley.automation.matching import Encoder
from parley.automation.matching.text import words
from parley.models import KbChunk

MAX_TERMS = 32
# Words too common to propose a candidate (PostgreSQL's English configuration drops its own).
_STOP = (
    "a about an and any are as at be been but by can could do does for from get got has have"
    " how i if in into is it its me my no not of on or our so than that the their them then"
    " there these they this to us was we were what when where which who why will with would"
    " you your"
)
STOP_WORDS = frozenset(_STOP.split())
# bm25 weights per FTS5 column: scope (never ranks), titles, body, chunk_id.
SQLITE_SEARCH = (
    "SELECT chunk_id, -bm25(kb_chunks_fts, 0.0, 2.0, 1.0, 0.0) AS score FROM kb_chunks_fts "
    "WHERE kb_chunks_fts MATCH :match ORDER BY bm25(kb_chunks_fts, 0.0, 2.0, 1.0, 0.0) "
    "LIMIT :limit"
)
# ts_rank_cd normalization 1: divide by 1 + log(length), so long chunks do not win by size.
POSTGRES_SEARCH = (
    "SELECT id, ts_rank_cd(search_vector, q, 1) AS score "
    "FROM kb_chunks, to_tsquery('english', :match) AS q "
    "WHERE organization_id = :org AND search_vector @@ q {collections}"
    "ORDER BY score DESC, id LIMIT :limit"
)


@dataclass(frozen=True)
class Candidate:
    chunk_id: uuid.UUID
    score: float


def query_terms(query: str) -> list[str]:
    """The question's distinct words, stop words dropped (all of them if nothing else is left)."""
    found = list(dict.fromkeys(words(query)))
    kept = [w for w in found if w not in STOP_WORDS] or found
    return kept[:MAX_TERMS]


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def add_chunks(
    session: AsyncSession, chunks: Sequence[KbChunk], *, encoder: Encoder | None
) -> None:
    """Store new chunks with their embedding rows and add them to the full-text index."""
    if not chunks:
        return
    if encoder is not None:
        embed(chunks, encoder)
    session.add_all(chunks)
    await session.flush()
    if _dialect(session) == "postgresql":
        await session.execute(
            text(
                "UPDATE kb_chunks SET search_vector = "
                "setweight(to_tsvector('english', :titles), 'A') || "
                "setweight(to_tsvector('english', :body), 'D') WHERE id = :id"
            ).bindparams(bindparam("id", type_=KbChunk.__table__.c.id.type)),
            [{"id": c.id, "titles": "\n".join(c.titles), "body": c.text} for c in chunks],
        )
        return
    await session.execute(
        text(
            "INSERT INTO kb_chunks_fts (scope, titles, body, chunk_id) "
            "VALUES (:scope, :titles, :body, :chunk_id)"
        ),
        [
            {
                "scope": f"o{c.organization_id.hex} c{c.collection_id.hex} s{c.source_id.hex}",
                "titles": "\n".join(c.titles),
                "body": c.text,
                "chunk_id": c.id.hex,
            }
            for c in chunks
        ],
    )


def embed(chunks: Sequence[KbChunk], encoder: Encoder) -> None:
    """Fill ``vectors`` (titles' rows, then the body's) in one ``encode`` call."""
    texts: list[str] = []
    for chunk in chunks:
        texts.extend(chunk.titles)
        texts.append(chunk.text or chunk.heading)
    rows = encoder.encode(texts).astype(np.float16)
    start = 0
    for chunk in chunks:
        end = start + len(chunk.titles) + 1
        chunk.vectors = rows[start:end].tobytes()
        chunk.encoder = encoder.name
        start = end


async def remove_chunks(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    source_id: uuid.UUID | None = None,
    collection_id: uuid.UUID | None = None,
) -> None:
    """Delete the chunks of one source, or of a whole collection, from the table and the index."""
    stmt = delete(KbChunk).where(KbChunk.organization_id == organization_id)
    if source_id is not None:
        stmt = stmt.where(KbChunk.source_id == source_id)
        token = f"s{source_id.hex}"
    elif collection_id is not None:
        stmt = stmt.where(KbChunk.collection_id == collection_id)
        token = f"c{collection_id.hex}"
    else:
        raise ValueError("give source_id or collection_id")
    if _dialect(session) != "postgresql":
        await session.execute(
            text(
                "DELETE FROM kb_chunks_fts WHERE rowid IN (SELECT rowid FROM kb_chunks_fts "
                "WHERE kb_chunks_fts MATCH :match)"
            ),
            {"match": f'scope:("o{organization_id.hex}" AND "{token}")'},
        )
    await session.execute(stmt)


async def candidates(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    terms: Sequence[str],
    collection_ids: Sequence[uuid.UUID] | None,
    limit: int,
) -> list[Candidate]:
    """The ``limit`` chunks of the organization the engine ranks best for any of ``terms``.

    ``terms`` are plain ``[a-z0-9]+`` words (from :func:`query_terms`), quoted anyway.
    """
    if not terms or collection_ids == []:
        return []
    if _dialect(session) == "postgresql":
        clause = "AND collection_id = ANY(:collections) " if collection_ids else ""
        params: dict[str, object] = {
            "match": " | ".join(f"'{t}'" for t in terms),
            "org": organization_id,
            "limit": limit,
        }
        if collection_ids:
            params["collections"] = list(collection_ids)
        rows = await session.execute(text(POSTGRES_SEARCH.format(collections=clause)), params)
        return [Candidate(r[0], float(r[1])) for r in rows]
    scope = f'"o{organization_id.hex}"'
    if collection_ids:
        scope += " AND (" + " OR ".join(f'"c{c.hex}"' for c in collection_ids) + ")"
    match = f"scope:({scope}) AND {{titles body}}:(" + " OR ".join(f'"{t}"' for t in terms) + ")"
    rows = await session.execute(text(SQLITE_SEARCH), {"match": match, "limit": limit})
    return [Candidate(uuid.UUID(hex=r[0]), float(r[1])) for r in rows]
