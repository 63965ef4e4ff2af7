"""Sentiment evaluation on labelled messages, with same-run baselines (``parley eval sentiment``).

The data set is a CSV with a ``text`` column and a label column (``airline_sentiment`` or
``label``) holding negative / neutral / positive. Each row also falls, by a hash of its id (or of
its text), into the ``tune`` or the ``holdout`` half: the model's thresholds and blend weight were
chosen on ``tune`` only, so ``holdout`` is the honest figure (docs/analytics.md).
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from parley.analytics.sentiment import SentimentConfig, SentimentModel
from parley.automation.matching import Encoder

LABELS = ("negative", "neutral", "positive")
LABEL_COLUMNS = ("airline_sentiment", "label", "sentiment")
ID_COLUMNS = ("tweet_id", "id")


class DatasetError(ValueError):
    pass


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    split: str  # "tune" or "holdout"


def split_of(key: str) -> str:
    """A stable half of the data: the first byte of sha256(key) even -> tune, odd -> holdout."""
    return "tune" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "holdout"


def load_examples(
    path: Path, *, text_column: str = "text", label_column: str | None = None
) -> list[Example]:
    """Rows with a known label; raises DatasetError if the columns are not there. Without
    ``label_column`` the first of :data:`LABEL_COLUMNS` present is used."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        candidates = (label_column,) if label_column else LABEL_COLUMNS
        label_col = next((c for c in candidates if c in fields), None)
        if text_column not in fields or label_col is None:
            raise DatasetError(
                f"{path}: expected a {text_column!r} column and one of {list(candidates)}"
            )
        id_col = next((c for c in ID_COLUMNS if c in fields), None)
        examples = []
        for row in reader:
            label = (row.get(label_col) or "").strip().lower()
            text = row.get(text_column) or ""
            if label in LABELS and text.strip():
                key = (row.get(id_col) or "") if id_col else text
                examples.append(Example(text=text, label=label, split=split_of(key or text)))
    if not examples:
        raise DatasetError(f"{path}: no rows labelled {', '.join(LABELS)}")
    return examples


def scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-class precision / recall / F1 over :data:`LABELS`."""
    per_class: dict[str, dict[str, float]] = {}
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        n_pred = sum(p == label for p in predicted)
        n_gold = sum(g == label for g in gold)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": n_gold,
        }
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    return {
        "n": len(gold),
        "accuracy": round(correct / len(gold), 4) if gold else 0.0,
        "macro_f1": round(sum(c["f1"] for c in per_class.values()) / len(LABELS), 4),
        "per_class": per_class,
    }


def _by_split(examples: Sequence[Example], predicted: Sequence[str]) -> dict[str, Any]:
    out = scores([e.label for e in examples], predicted)
    for name in ("tune", "holdout"):
        rows = [(e.label, p) for e, p in zip(examples, predicted, strict=True) if e.split == name]
        if rows:
            part = scores([g for g, _ in rows], [p for _, p in rows])
            out[name] = {k: part[k] for k in ("n", "accuracy", "macro_f1")}
    return out


def _run(examples: Sequence[Example], predict: Callable[[str], str]) -> list[str]:
    return [predict(e.text) for e in examples]


def evaluate_sentiment(examples: Sequence[Example], encoder: Encoder | None) -> dict[str, Any]:
    """The product model's figures, the baselines and ablations, measured in the same run."""
    model = SentimentModel(encoder)
    started = time.perf_counter()
    predicted = [model.analyse(e.text).label.value for e in examples]
    elapsed = time.perf_counter() - started
    report = _by_split(examples, predicted)
    report["ms_per_message"] = round(1000 * elapsed / len(examples), 4)
    report["model"] = model.name
    report["split"] = "sha256(id)[0] even -> tune (thresholds chosen here), odd -> holdout"

    majority = Counter(e.label for e in examples).most_common(1)[0][0]
    # VADER's published cut-offs (+-0.05) for the two general-lexicon baselines.
    plain = SentimentConfig(
        rules=False, domain=False, lexical_positive_threshold=0.05, lexical_negative_threshold=-0.05
    )
    variants: dict[str, SentimentModel] = {
        # VADER's words summed: no negation / degree / caps / contrast, no domain overrides.
        "plain_lexicon": SentimentModel(None, plain),
        # VADER's method as published: the rules, general vocabulary only.
        "vader_rules": SentimentModel(None, replace(plain, rules=True)),
        # The product without the static model (its fallback): rules + domain vocabulary.
        "lexicon_only": SentimentModel(None),
    }
    baselines: dict[str, Any] = {"majority": _by_split(examples, [majority] * len(examples))}
    baselines["majority"]["label"] = majority
    for name, variant in variants.items():
        labels = _run(examples, lambda text, v=variant: v.analyse(text).label.value)  # type: ignore[misc]
        baselines[name] = {k: v for k, v in _by_split(examples, labels).items() if k != "per_class"}
    package = _vader_package()
    if package is None:
        baselines["vader_package"] = {"skipped": "vaderSentiment is not installed"}
    else:
        labels = _run(examples, package)
        baselines["vader_package"] = {
            k: v for k, v in _by_split(examples, labels).items() if k != "per_class"
        }
    report["baselines"] = baselines
    return report


def _vader_package() -> Callable[[str], str] | None:
    """The published VADER (``vaderSentiment``, a dev dependency) with its +-0.05 cut-offs: raw
    VADER as its users run it, beside our re-implementation of its rules (``vader_rules``)."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()

    def predict(text: str) -> str:
        compound = float(analyzer.polarity_scores(text)["compound"])
        if compound >= 0.05:
            return "positive"
        return "negative" if compound <= -0.05 else "neutral"

    return predict
