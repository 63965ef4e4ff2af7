"""Knowledge-base retrieval and the ranking metrics."""

from __future__ import annotations

import pytest

from parley.automation.matching import Document, HybridRetriever, RetrieverConfig
from parley.automation.matching.metrics import ndcg_at, recall_at, reciprocal_rank
from tests.test_matching_matcher import HashingEncoder

DOCS = [
    Document(
        id="pw",
        question="How do I reset my password?",
        phrasings=("forgot password",),
        answers=("Use the 'Forgot password' link on the sign-in page.",),
    ),
    Document(
        id="ship",
        question="When will my order arrive?",
        answers=("Orders ship within two days; delivery takes three to five days.",),
    ),
    Document(
        id="cancel",
        question="How can I cancel my subscription?",
        answers=("Open Billing, then choose Cancel plan.",),
    ),
]


@pytest.fixture(params=["lexical", "encoder"])
def retriever(request: pytest.FixtureRequest) -> HybridRetriever:
    r = HybridRetriever(HashingEncoder() if request.param == "encoder" else None)
    r.index(DOCS)
    return r


def test_best_document_first(retriever: HybridRetriever) -> None:
    assert retriever.search("I forgot my password")[0].id == "pw"
    assert retriever.search("how long does delivery take")[0].id == "ship"
    hits = retriever.search("cancel subscription", limit=2)
    assert len(hits) == 2 and hits[0].id == "cancel" and hits[0].score >= hits[1].score


def test_rerank_only_the_given_candidates(retriever: HybridRetriever) -> None:
    hits = retriever.search("I forgot my password", candidates=["ship", "cancel", "unknown"])
    assert {h.id for h in hits} == {"ship", "cancel"}


def test_threshold_is_the_answer_decision() -> None:
    r = HybridRetriever(HashingEncoder(), RetrieverConfig(threshold=0.3))
    r.index(DOCS)
    assert r.search("reset my password")[0].score >= r.threshold
    assert r.search("quantum chromodynamics lecture notes")[0].score < r.threshold


def test_index_needs_documents() -> None:
    with pytest.raises(ValueError, match="no documents"):
        HybridRetriever().index([])


def test_metrics_with_one_relevant_item() -> None:
    ranked = ["a", "b", "c"]
    assert reciprocal_rank(ranked, "b") == 0.5
    assert reciprocal_rank(ranked, "z") == 0.0
    assert recall_at(ranked, "c", 2) == 0.0 and recall_at(ranked, "c", 3) == 1.0
    assert ndcg_at(ranked, "a", 10) == 1.0
    assert ndcg_at(ranked, "b", 10) == pytest.approx(1 / 1.5849625)
