"""Which procedure does a message ask for, if any: the offline hybrid matcher.

Per label, a *similarity* in [0, 1] blends the best example and the centroid in the static
embedding space with TF-IDF cosines over stemmed words and char n-grams. A softmax classifier
over the embeddings gives each label a *probability*. Candidates are ranked by
``similarity * probability ** rank_power``; the best one is a match only when its
*confidence*, ``similarity * probability ** gate_power``, reaches the threshold. Similarity
dominates the confidence on purpose: a message unlike every example is out of scope even when
the classifier, which always picks someone, is sure. Weights and thresholds were tuned on
CLINC150 ``train`` and ``oos_train`` only (see docs/matching.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from parley.automation.matching.classifier import SoftmaxRegression
from parley.automation.matching.lexical import TfidfIndex, char_features, word_features

Array = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Anything that turns texts into unit-length rows (the static or the contextual model)."""

    @property
    def name(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> Array: ...


@dataclass(frozen=True)
class Candidate:
    label: str
    score: float
    """Ranking score: ``similarity * probability ** rank_power``."""
    confidence: float
    """``similarity * probability ** gate_power``, compared with the threshold."""
    similarity: float
    """Blend of cosines in [0, 1]."""
    probability: float
    """The classifier's share among the fitted labels (1.0 without an encoder)."""


@dataclass(frozen=True)
class Match:
    candidates: tuple[Candidate, ...]
    threshold: float
    decided_by: str = "lexical"
    """The encoder whose scores these are (the cascade says which stage decided)."""

    @property
    def best(self) -> Candidate | None:
        """The top candidate if it is in scope, else None (escalate rather than guess)."""
        if self.candidates and self.candidates[0].confidence >= self.threshold:
            return self.candidates[0]
        return None


class Matcher(Protocol):
    threshold: float

    def fit(self, examples: Mapping[str, Sequence[str]]) -> None: ...

    def match(self, text: str, *, limit: int = 5) -> Match: ...


@dataclass(frozen=True)
class MatcherConfig:
    best_example: float = 0.4
    centroid: float = 0.1
    words: float = 0.25
    chars: float = 0.25
    rank_power: float = 0.2
    gate_power: float = 0.1
    threshold: float = 0.29
    # Without an encoder only the lexical terms remain; their weights are renormalised and the
    # similarity lives on another scale, hence its own threshold.
    lexical_threshold: float = 0.19


class HybridMatcher:
    """The default :class:`Matcher`. ``encoder=None`` gives the lexical-only fallback."""

    def __init__(self, encoder: Encoder | None = None, config: MatcherConfig | None = None):
        self.encoder = encoder
        self.config = config or MatcherConfig()
        self.threshold = self.config.threshold if encoder else self.config.lexical_threshold
        self.labels: list[str] = []

    def fit(self, examples: Mapping[str, Sequence[str]]) -> None:
        """Learn from trigger phrases by label. Raises ValueError if there are none."""
        labels = sorted(label for label, texts in examples.items() if any(t.strip() for t in texts))
        if not labels:
            raise ValueError("no examples to fit")
        groups = [[t for t in examples[label] if t.strip()] for label in labels]
        texts = [t for group in groups for t in group]
        owners = [i for i, group in enumerate(groups) for _ in group]
        self.labels = labels
        self._starts = np.cumsum([0] + [len(g) for g in groups[:-1]]).astype(np.intp)
        # One lexical document per label: cheaper than per example and, unlike the best-example
        # maximum, its similarity does not creep up as a label gathers more examples, so one
        # threshold holds from 10 to 100 examples per label.
        self._words = TfidfIndex(word_features).fit_groups(groups)
        self._chars = TfidfIndex(char_features).fit_groups(groups)
        if self.encoder is not None:
            owner_ids = np.array(owners, dtype=np.intp)
            self._vectors = self.encoder.encode(texts)
            centroids = np.zeros((len(labels), self._vectors.shape[1]), dtype=np.float32)
            np.add.at(centroids, owner_ids, self._vectors)
            norms = np.linalg.norm(centroids, axis=1, keepdims=True)
            self._centroids = centroids / np.where(norms == 0, 1, norms)
            self._classifier = SoftmaxRegression.train(
                self._vectors, owner_ids, n_labels=len(labels)
            )

    def _per_label_max(self, scores: Array) -> Array:
        out: Array = np.maximum.reduceat(scores, self._starts)
        return out

    def scores(self, text: str) -> tuple[Array, Array]:
        """Similarity and classifier probability for every label, in ``self.labels`` order."""
        if not self.labels:
            raise RuntimeError("fit the matcher first")
        cfg = self.config
        words = self._words.scores(text)
        chars = self._chars.scores(text)
        if self.encoder is None:
            total = cfg.words + cfg.chars
            similarity = ((cfg.words * words + cfg.chars * chars) / total).astype(np.float32)
            return similarity, np.ones_like(similarity)
        query = self.encoder.encode([text])[0]
        # einsum, not matmul: BLAS threads cost more than they save on one query (and far more
        # on a busy 2-core host).
        best = self._per_label_max(np.einsum("ij,j->i", self._vectors, query))
        centroid = self._centroids @ query
        similarity = (
            cfg.best_example * np.clip(best, 0, 1)
            + cfg.centroid * np.clip(centroid, 0, 1)
            + cfg.words * words
            + cfg.chars * chars
        )
        probability = self._classifier.probabilities(query[None, :])[0]
        return similarity.astype(np.float32), probability

    def match(self, text: str, *, limit: int = 5) -> Match:
        similarity, probability = self.scores(text)
        ranking = similarity * probability**self.config.rank_power
        confidence = similarity * probability**self.config.gate_power
        # Stable order on ties (label order) keeps results deterministic.
        order = np.argsort(-ranking, kind="stable")[:limit]
        candidates = tuple(
            Candidate(
                label=self.labels[i],
                score=float(ranking[i]),
                confidence=float(confidence[i]),
                similarity=float(similarity[i]),
                probability=float(probability[i]),
            )
            for i in order
        )
        decided_by = self.encoder.name if self.encoder is not None else "lexical"
        return Match(candidates=candidates, threshold=self.threshold, decided_by=decided_by)
