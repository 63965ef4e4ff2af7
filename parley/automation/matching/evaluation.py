"""Offline evaluation of the matcher and the retriever on labelled data sets.

Pure functions over loaded data; ``parley eval`` (parley/cli/eval.py) handles files and output.
"""

from __future__ import annotations

import csv
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from parley.automation.matching.matcher import Matcher
from parley.automation.matching.metrics import ndcg_at, recall_at, reciprocal_rank
from parley.automation.matching.retriever import Document, Retriever

Pairs = list[tuple[str, str]]
OOS_LABEL = "oos"


class DatasetError(ValueError):
    pass


def load_split_dataset(path: Path, *, holdout: float = 0.3, seed: int = 0) -> dict[str, Pairs]:
    """Splits of ``[text, label]`` pairs from a CLINC150-style JSON file or a CSV.

    A CSV (header ``text,<label column>``, as Banking77's ``text,category``) has no splits of its
    own: it becomes ``train`` and ``test``, holding out ``holdout`` of each label's rows, chosen
    with a seeded shuffle so that the split is the same on every run.
    """
    if path.suffix.lower() == ".csv":
        return _split_csv(path, holdout=holdout, seed=seed)
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: expected an object mapping split names to [text, label] pairs")
    splits: dict[str, Pairs] = {}
    for name, rows in raw.items():
        try:
            splits[name] = [(str(text), str(label)) for text, label in rows]
        except (TypeError, ValueError):
            raise DatasetError(f"{path}: split {name!r} is not a list of [text, label]") from None
    return splits


def _split_csv(path: Path, *, holdout: float, seed: int) -> dict[str, Pairs]:
    if not 0 < holdout < 1:
        raise DatasetError("holdout must be between 0 and 1")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or len(header) < 2:
            raise DatasetError(f"{path}: expected a header row 'text,label'")
        by_label: dict[str, list[str]] = defaultdict(list)
        for row in reader:
            if len(row) >= 2 and row[0].strip():
                by_label[row[1]].append(row[0])
    rng = random.Random(seed)  # noqa: S311 - a reproducible split, not a secret
    train: Pairs = []
    test: Pairs = []
    for label in sorted(by_label):
        texts = by_label[label][:]
        rng.shuffle(texts)
        cut = max(1, round(len(texts) * holdout))
        test.extend((t, label) for t in texts[:cut])
        train.extend((t, label) for t in texts[cut:])
    return {"train": train, "test": test}


def select_examples(pairs: Pairs, *, shots: int | None, seed: int = 0) -> dict[str, list[str]]:
    """Training examples by label (``oos`` rows dropped); ``shots`` per label, seeded, if given."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in pairs:
        if label != OOS_LABEL:
            by_label[label].append(text)
    if shots is None:
        return dict(by_label)
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    chosen: dict[str, list[str]] = {}
    for label in sorted(by_label):
        texts = by_label[label][:]
        rng.shuffle(texts)
        chosen[label] = texts[:shots]
    return chosen


def evaluate_procedures(
    *,
    matcher: Matcher,
    examples: Mapping[str, Sequence[str]],
    test: Pairs,
    oos: Sequence[str],
) -> dict[str, Any]:
    """Fit ``matcher`` on ``examples``, then score in-scope ``test`` pairs and ``oos`` texts.

    In-scope accuracy counts a query as right only when the best candidate is the gold label
    *and* clears the threshold (the CLINC150 convention); ``top1_accuracy`` ignores the threshold.
    """
    started = time.perf_counter()
    matcher.fit(examples)
    fit_seconds = time.perf_counter() - started
    in_scope = [(text, label) for text, label in test if label != OOS_LABEL]
    oos_texts = [*oos, *(text for text, label in test if label == OOS_LABEL)]
    correct = top1 = rejected = false_accepts = 0
    decided_by: Counter[str] = Counter()
    elapsed = 0.0
    for text, label in in_scope:
        started = time.perf_counter()
        result = matcher.match(text, limit=1)
        elapsed += time.perf_counter() - started
        decided_by[result.decided_by] += 1
        top = result.candidates[0] if result.candidates else None
        top1 += top is not None and top.label == label
        correct += result.best is not None and result.best.label == label
        false_accepts += result.best is not None and result.best.label != label
    for text in oos_texts:
        started = time.perf_counter()
        result = matcher.match(text, limit=1)
        elapsed += time.perf_counter() - started
        decided_by[result.decided_by] += 1
        rejected += result.best is None
    n_queries = len(in_scope) + len(oos_texts)
    return {
        "in_scope_accuracy": _ratio(correct, len(in_scope)),
        "oos_recall": _ratio(rejected, len(oos_texts)),
        "top1_accuracy": _ratio(top1, len(in_scope)),
        "in_scope_wrong_match_rate": _ratio(false_accepts, len(in_scope)),
        # Queries per deciding encoder: with the cascade, how many took the contextual stage.
        "decided_by": dict(sorted(decided_by.items())),
        "threshold": matcher.threshold,
        "n_labels": len(examples),
        "n_train_examples": sum(len(v) for v in examples.values()),
        "n_test": len(in_scope),
        "n_oos": len(oos_texts),
        "fit_seconds": round(fit_seconds, 3),
        "ms_per_query": round(1000 * elapsed / n_queries, 3) if n_queries else None,
    }


def load_faqs(path: Path) -> list[Document]:
    """FAQs as ``[{"id", "question", "answers": [...], "phrasings": [...] (optional)}]``."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        Document(
            id=str(row["id"]),
            question=str(row["question"]),
            phrasings=tuple(str(p) for p in row.get("phrasings", ())),
            answers=tuple(str(a) for a in row.get("answers", ())),
        )
        for row in rows
    ]


def load_queries(path: Path) -> list[tuple[str, str]]:
    """Queries as ``[{"query", "faq_id"}]``, returned as (query, faq id) pairs."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [(str(row["query"]), str(row["faq_id"])) for row in rows]


def evaluate_kb(
    *, retriever: Retriever, documents: Sequence[Document], queries: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """Index ``documents``, rank them for each query; answer only above the threshold."""
    retriever.index(documents)
    totals = {"mrr": 0.0, "recall_at_1": 0.0, "recall_at_5": 0.0, "ndcg_at_10": 0.0}
    answered = answered_right = 0
    elapsed = 0.0
    for query, gold in queries:
        started = time.perf_counter()
        hits = retriever.search(query, limit=10)
        elapsed += time.perf_counter() - started
        ranked = [h.id for h in hits]
        totals["mrr"] += reciprocal_rank(ranked, gold)
        totals["recall_at_1"] += recall_at(ranked, gold, 1)
        totals["recall_at_5"] += recall_at(ranked, gold, 5)
        totals["ndcg_at_10"] += ndcg_at(ranked, gold, 10)
        if hits and hits[0].score >= retriever.threshold:
            answered += 1
            answered_right += hits[0].id == gold
    n = len(queries)
    report: dict[str, Any] = {k: _ratio(v, n) for k, v in totals.items()}
    report.update(
        threshold=retriever.threshold,
        answer_rate=_ratio(answered, n),
        precision_at_threshold=_ratio(answered_right, answered),
        n_faqs=len(documents),
        n_queries=n,
        ms_per_query=round(1000 * elapsed / n, 3) if n else None,
    )
    return report


def _ratio(numerator: float, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def synthetic_procedures(pairs: Pairs, *, count: int, phrases: int) -> dict[str, list[str]]:
    """``count`` procedures of ``phrases`` phrases each, cut from the labels' examples in turn.

    Raises DatasetError when the examples do not stretch that far.
    """
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in pairs:
        if label != OOS_LABEL:
            by_label[label].append(text)
    procedures: dict[str, list[str]] = {}
    for chunk in range(max((len(v) for v in by_label.values()), default=0) // phrases):
        for label in sorted(by_label):
            texts = by_label[label][chunk * phrases : (chunk + 1) * phrases]
            if len(texts) == phrases and len(procedures) < count:
                procedures[f"{label}#{chunk}"] = texts
    if len(procedures) < count:
        raise DatasetError(f"only {len(procedures)} procedures of {phrases} phrases available")
    return procedures


def time_matching(
    *, matcher: Matcher, examples: Mapping[str, Sequence[str]], queries: Sequence[str]
) -> dict[str, Any]:
    """Fit, warm up, then time ``match`` on every distinct query: mean and percentiles in ms.

    The contextual encoder remembers the texts it has seen, so the warm-up uses altered texts
    and repeated queries are dropped: every timed message is new to the matcher, as a
    customer's message is.
    """
    started = time.perf_counter()
    matcher.fit(examples)
    fit_seconds = time.perf_counter() - started
    queries = list(dict.fromkeys(queries))
    for text in queries[:50]:
        matcher.match(f"{text} (warm-up)")
    times: list[float] = []
    decided_by: Counter[str] = Counter()
    for text in queries:
        started = time.perf_counter()
        result = matcher.match(text)
        times.append(1000 * (time.perf_counter() - started))
        decided_by[result.decided_by] += 1
    times.sort()

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p * len(times)))], 3)

    return {
        "procedures": len(examples),
        "phrases": sum(len(v) for v in examples.values()),
        "n_queries": len(times),
        "fit_seconds": round(fit_seconds, 3),
        "ms_mean": round(sum(times) / len(times), 3) if times else None,
        "ms_p50": pct(0.5) if times else None,
        "ms_p99": pct(0.99) if times else None,
        "ms_max": round(times[-1], 3) if times else None,
        "decided_by": dict(sorted(decided_by.items())),
    }
