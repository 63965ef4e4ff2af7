"""TF-IDF over word and char n-grams, as an in-memory inverted index scored with numpy.

Sublinear term frequency, smoothed IDF and unit-length rows make ``scores`` a cosine in [0, 1].
Char n-grams inside word boundaries are the fuzzy feature: a typo keeps most of its n-grams.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from parley.automation.matching.text import char_ngrams, terms, word_ngrams, words

Array = npt.NDArray[np.float32]
Analyzer = Callable[[str], list[str]]


def word_features(text: str) -> list[str]:
    """Stemmed words and stemmed word bigrams."""
    stems = terms(text)
    return stems + word_ngrams(stems)


def char_features(text: str) -> list[str]:
    return char_ngrams(words(text))


class TfidfIndex:
    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.features: dict[str, int] = {}
        self.idf: Array = np.zeros(0, dtype=np.float32)
        self.n_docs = 0
        self._postings: list[tuple[npt.NDArray[np.int32], Array]] = []

    def fit(self, docs: Sequence[str]) -> TfidfIndex:
        return self.fit_groups([[doc] for doc in docs])

    def fit_groups(self, groups: Sequence[Sequence[str]]) -> TfidfIndex:
        """One document per group of texts (a label's examples), features summed."""
        counts: list[Counter[str]] = []
        for group in groups:
            count: Counter[str] = Counter()
            for text in group:
                count.update(self.analyzer(text))
            counts.append(count)
        df: Counter[str] = Counter()
        for c in counts:
            df.update(c.keys())
        self.features = {f: i for i, f in enumerate(sorted(df))}
        n = len(counts)
        self.n_docs = n
        self.idf = np.array(
            [math.log((1 + n) / (1 + df[f])) + 1.0 for f in sorted(df)], dtype=np.float32
        )
        doc_lists: list[list[int]] = [[] for _ in self.features]
        weight_lists: list[list[float]] = [[] for _ in self.features]
        for d, c in enumerate(counts):
            row = {
                self.features[f]: (1.0 + math.log(k)) * float(self.idf[self.features[f]])
                for f, k in c.items()
            }
            norm = math.sqrt(sum(w * w for w in row.values())) or 1.0
            for fid, w in row.items():
                doc_lists[fid].append(d)
                weight_lists[fid].append(w / norm)
        self._postings = [
            (np.array(ds, dtype=np.int32), np.array(ws, dtype=np.float32))
            for ds, ws in zip(doc_lists, weight_lists, strict=True)
        ]
        return self

    def query_vector(self, text: str) -> dict[int, float]:
        """The unit-length query row over known features (empty if none is known)."""
        row: dict[int, float] = {}
        for f, k in Counter(self.analyzer(text)).items():
            fid = self.features.get(f)
            if fid is not None:
                row[fid] = (1.0 + math.log(k)) * float(self.idf[fid])
        norm = math.sqrt(sum(w * w for w in row.values())) or 1.0
        return {fid: w / norm for fid, w in row.items()}

    def scores(self, text: str) -> Array:
        """Cosine similarity of ``text`` with every fitted document."""
        row = self.query_vector(text)
        if not row:
            return np.zeros(self.n_docs, dtype=np.float32)
        docs = np.concatenate([self._postings[f][0] for f in row])
        weights = np.concatenate([self._postings[f][1] * w for f, w in row.items()])
        return np.bincount(docs, weights=weights, minlength=self.n_docs).astype(np.float32)
