"""``parley bench kb``: knowledge-base search latency at 1k, 10k and 100k chunks.

One organization's knowledge base grows through the sizes (chunks of synthetic English-like
text, Zipf-distributed words, stored with the real actions' indexing: embedding rows and the
full-text index). At each size the same questions (words of a random chunk's title and body,
plus words from elsewhere) are timed two ways, interleaved:

- **parley**: ``search_kb`` (engine candidates, re-ranking, citations);
- **baseline**: the raw full-text query alone (``index.candidates``: FTS5 ``bm25`` or
  PostgreSQL ``ts_rank_cd``, no re-ranking, no rows loaded).

Figures are per query in milliseconds (p50, p99, mean); the ratio is Parley's over the
baseline's. On SQLite (a temporary file) and, with ``--database-url``, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parley.actions.organizations import do_create_organization
from parley.actors import Actor
from parley.automation.kb.actions import do_create_collection
from parley.automation.kb.index import add_chunks, candidates, query_terms
from parley.automation.kb.search import search_kb
from parley.automation.matching import Encoder, shared_encoder
from parley.db.engine import Database
from parley.db.migrate import upgrade
from parley.models import KbChunk

SYLLABLES = "ba be bi bo bu da de di do ka ke ki ko la le li lo ma me mi mo na ne no ra re ri ro"


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    queries: int = 200
    runs: int = 2
    batch: int = 2_000
    lexical_only: bool = False
    database_url: str | None = None
    seed: int = 11


def say(message: str) -> None:
    print(f"bench kb: {message}", file=sys.stderr, flush=True)


class Corpus:
    """Deterministic English-like text: a 20,000-word vocabulary with Zipf frequencies."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible data, not a secret
        parts = SYLLABLES.split()
        vocab: set[str] = set()
        while len(vocab) < 20_000:
            vocab.add("".join(self.rng.choice(parts) for _ in range(self.rng.randint(2, 4))))
        self.vocab = sorted(vocab)
        self.rng.shuffle(self.vocab)
        self.weights = [1.0 / (rank + 1) for rank in range(len(self.vocab))]

    def words(self, n: int) -> list[str]:
        return self.rng.choices(self.vocab, weights=self.weights, k=n)

    def chunk(self) -> tuple[list[str], str]:
        title = " ".join(self.words(self.rng.randint(4, 9)))
        body = " ".join(self.words(self.rng.randint(60, 160)))
        return [title], body

    def question(self, titles: list[str], body: str) -> str:
        own = titles[0].split()[:4] + self.rng.sample(body.split(), 3)
        return " ".join(own + self.words(2))


async def _grow(
    db: Database,
    org: uuid.UUID,
    collection: uuid.UUID,
    corpus: Corpus,
    count: int,
    config: Config,
    encoder: Encoder | None,
) -> list[str]:
    """Add ``count`` chunks in batches; returns some questions drawn from them."""
    questions: list[str] = []
    for start in range(0, count, config.batch):
        chunks = []
        for _ in range(min(config.batch, count - start)):
            titles, body = corpus.chunk()
            chunks.append(
                KbChunk(
                    organization_id=org,
                    collection_id=collection,
                    source_kind="resource",
                    source_id=uuid.uuid4(),
                    heading=titles[0],
                    titles=titles,
                    text=body,
                )
            )
            if not questions or corpus.rng.random() < 0.05:
                questions.append(corpus.question(titles, body))
        async with db.transaction() as session:
            await add_chunks(session, chunks, encoder=encoder)
    return questions


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3)

    return {"p50_ms": pct(0.5), "p99_ms": pct(0.99), "mean_ms": round(statistics.fmean(times), 3)}


async def _time(db: Database, call: Callable[[Any, str], Awaitable[object]], q: str) -> float:
    async with db.transaction() as session:
        started = time.perf_counter()
        await call(session, q)
        return 1000 * (time.perf_counter() - started)


async def bench_database(url: str, config: Config, encoder: Encoder | None) -> dict[str, Any]:
    await upgrade(url)
    db = Database(url)
    corpus = Corpus(config.seed)
    try:
        async with db.transaction() as session:
            org = await do_create_organization(
                session, slug=f"bench-kb-{uuid.uuid4().hex[:8]}", name="KB bench"
            )
            collection = await do_create_collection(session, actor=Actor.system(org.id), name="kb")
        rows: list[dict[str, Any]] = []
        pool: list[str] = []
        stored = 0
        for size in config.sizes:
            began = time.perf_counter()
            pool += await _grow(db, org.id, collection.id, corpus, size - stored, config, encoder)
            insert_s = time.perf_counter() - began
            stored = size
            questions = corpus.rng.sample(pool, min(config.queries, len(pool)))
            say(f"{db.dialect}: {size} chunks ({insert_s:.1f} s to add); timing")

            async def parley(session: Any, q: str) -> object:
                return await search_kb(
                    session, organization_id=org.id, query=q, encoder=encoder, limit=10
                )

            async def baseline(session: Any, q: str) -> object:
                return await candidates(
                    session,
                    organization_id=org.id,
                    terms=query_terms(q),
                    collection_ids=None,
                    limit=30,
                )

            for q in questions[:20]:  # warm caches and the encoder
                await _time(db, parley, q)
            ours: list[float] = []
            raw: list[float] = []
            for _ in range(config.runs):
                for q in questions:
                    raw.append(await _time(db, baseline, q))
                    ours.append(await _time(db, parley, q))
            p, b = _summary(ours), _summary(raw)
            rows.append(
                {
                    "chunks": size,
                    "insert_s": round(insert_s, 2),
                    "queries": len(ours),
                    "parley": p,
                    "baseline": b,
                    "ratio_p50": round(p["p50_ms"] / b["p50_ms"], 2) if b["p50_ms"] else None,
                    "ratio_p99": round(p["p99_ms"] / b["p99_ms"], 2) if b["p99_ms"] else None,
                }
            )
        return {
            "baseline_what": "the raw full-text query (30 candidates), no re-ranking",
            "by_chunks": rows,
        }
    finally:
        await db.dispose()


async def run(config: Config) -> dict[str, Any]:
    encoder = None if config.lexical_only else shared_encoder()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    report: dict[str, Any] = {
        "bench": "kb",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": [round(x, 2) for x in load],
        },
        "config": {k: v for k, v in asdict(config).items() if k != "database_url"},
        "encoder": encoder.name if encoder is not None else "lexical-only",
    }
    databases: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-kb-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        databases["sqlite"] = await bench_database(url, config, encoder)
    if config.database_url:
        databases["postgresql"] = await bench_database(config.database_url, config, encoder)
    report["database"] = databases
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in load]
    return report


def run_sync(config: Config) -> dict[str, Any]:
    return asyncio.run(run(config))
