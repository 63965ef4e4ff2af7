"""The static embedding model: a token -> vector table, averaged over a text's WordPieces.

The table is built once, offline, by ``scripts/build_models.py`` (see docs/matching.md)
and loaded from a file; nothing here touches the network or builds anything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from parley.automation.matching.wordpiece import UNK, WordPiece

Array = npt.NDArray[np.float32]
ARTIFACT_NAME = "minilm-l6-v2-static-256-v1.npz"
FORMAT_VERSION = 1


def installed_path(variable: str, name: str) -> Path:
    """Where a model file the build script installs lives: ``$<variable>`` when set, else
    ``name`` in ``$XDG_CACHE_HOME/parley`` (default ``~/.cache/parley``)."""
    explicit = os.environ.get(variable)
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "parley" / name


def default_model_path() -> Path:
    """``$PARLEY_STATIC_MODEL``, else the artifact in ``$XDG_CACHE_HOME/parley`` (~/.cache)."""
    return installed_path("PARLEY_STATIC_MODEL", ARTIFACT_NAME)


@dataclass
class StaticModel:
    tokens: list[str]
    vectors: Array
    metadata: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.wordpiece = WordPiece(self.tokens)
        self.dim = int(self.vectors.shape[1])

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", "static"))

    @classmethod
    def load(cls, path: Path) -> StaticModel:
        with np.load(path, allow_pickle=False) as data:
            metadata = json.loads(str(data["metadata"]))
            if metadata.get("format") != FORMAT_VERSION:
                raise ValueError(f"{path}: unsupported static model format")
            tokens = str(data["tokens"]).split("\n")
            vectors = data["vectors"].astype(np.float32)
        return cls(tokens=tokens, vectors=vectors, metadata=metadata)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp,
            tokens=np.array("\n".join(self.tokens)),
            vectors=self.vectors.astype(np.float16),
            metadata=np.array(json.dumps({**self.metadata, "format": FORMAT_VERSION})),
        )
        tmp.replace(path)

    def token_ids(self, text: str) -> list[int]:
        vocab = self.wordpiece.vocab
        return [vocab[p] for p in self.wordpiece.tokenize(text) if p != UNK]

    def encode(self, texts: Sequence[str]) -> Array:
        """Unit-length mean token vectors, one row per text (zeros for a text with no tokens)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self.token_ids(text)
            if ids:
                out[row] = self.vectors[ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        normalized: Array = (out / np.where(norms == 0, 1, norms)).astype(np.float32)
        return normalized
