"""Ranking metrics for one query with a single relevant item (the gold FAQ)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def reciprocal_rank(ranked: Sequence[str], gold: str) -> float:
    for rank, item in enumerate(ranked, start=1):
        if item == gold:
            return 1.0 / rank
    return 0.0


def recall_at(ranked: Sequence[str], gold: str, k: int) -> float:
    return 1.0 if gold in ranked[:k] else 0.0


def ndcg_at(ranked: Sequence[str], gold: str, k: int) -> float:
    """nDCG@k with one relevant item: the ideal DCG is 1."""
    for rank, item in enumerate(ranked[:k], start=1):
        if item == gold:
            return 1.0 / math.log2(rank + 1)
    return 0.0
