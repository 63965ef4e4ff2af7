"""``parley eval kb --database``: the StackFAQ-style evaluation through the real indexed search.

The FAQs are imported into a fresh organization of a migrated database (the actions the API
uses: chunking, embedding rows, full-text index), then every query goes through ``search_kb``.
The report has the same keys as the in-memory evaluation
(``parley.automation.matching.evaluation.evaluate_kb``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from parley.actions.organizations import do_create_organization
from parley.actors import Actor
from parley.automation.kb.actions import FaqInput, do_create_collection, do_create_faqs
from parley.automation.kb.search import search_kb, threshold_for
from parley.automation.matching import Document, Encoder
from parley.automation.matching.metrics import ndcg_at, recall_at, reciprocal_rank
from parley.db.engine import Database
from parley.db.migrate import upgrade


async def evaluate_kb_database(
    *,
    url: str,
    documents: Sequence[Document],
    queries: Sequence[tuple[str, str]],
    encoder: Encoder | None,
) -> dict[str, Any]:
    """Import ``documents`` into the database at ``url`` (migrated first), then rank for each
    query; an answer counts only when the best hit is ``confident``."""
    await upgrade(url)
    db = Database(url)
    try:
        started = time.perf_counter()
        async with db.transaction() as session:
            org = await do_create_organization(
                session, slug=f"eval-{uuid.uuid4().hex[:8]}", name="KB evaluation"
            )
            actor = Actor.system(org.id)
            collection = await do_create_collection(session, actor=actor, name="eval")
            items = [
                FaqInput(question=d.question, answer=d.body, alternatives=list(d.phrasings))
                for d in documents
            ]
            faqs = await do_create_faqs(
                session, actor=actor, collection=collection, items=items, encoder=encoder
            )
        index_seconds = time.perf_counter() - started
        doc_of = {faq.id: doc.id for faq, doc in zip(faqs, documents, strict=True)}
        totals = {"mrr": 0.0, "recall_at_1": 0.0, "recall_at_5": 0.0, "ndcg_at_10": 0.0}
        answered = answered_right = 0
        elapsed = 0.0
        for query, gold in queries:
            async with db.transaction() as session:
                began = time.perf_counter()
                hits = await search_kb(
                    session, organization_id=org.id, query=query, limit=10, encoder=encoder
                )
                elapsed += time.perf_counter() - began
            ranked = [doc_of[h.source_id] for h in hits]
            totals["mrr"] += reciprocal_rank(ranked, gold)
            totals["recall_at_1"] += recall_at(ranked, gold, 1)
            totals["recall_at_5"] += recall_at(ranked, gold, 5)
            totals["ndcg_at_10"] += ndcg_at(ranked, gold, 10)
            if hits and hits[0].confident:
                answered += 1
                answered_right += ranked[0] == gold
    finally:
        await db.dispose()
    n = len(queries)
    report: dict[str, Any] = {k: _ratio(v, n) for k, v in totals.items()}
    report.update(
        threshold=threshold_for(encoder),
        answer_rate=_ratio(answered, n),
        precision_at_threshold=_ratio(answered_right, answered),
        n_faqs=len(documents),
        n_queries=n,
        ms_per_query=round(1000 * elapsed / n, 3) if n else None,
        index_seconds=round(index_seconds, 3),
        database=db.dialect,
    )
    return report


def _ratio(numerator: float, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None
