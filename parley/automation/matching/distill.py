"""Distil a static (model2vec-style) embedding table from MiniLM with numpy alone.

Method (Tulkens & van Dongen, Model2Vec, MIT): run every vocabulary token through the sentence
transformer on its own, framed by the special tokens, and keep the token's output state;
reduce to ``dims`` with PCA; weight each row by SIF with Zipf-estimated frequencies. (Current
model2vec averages all three output states; the token's own state, as in early model2vec, was
about one point better for intent matching on CLINC150 train splits: docs/matching.md.) The
forward pass is the numpy BERT encoder in ``bert.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from parley.automation.matching.bert import BertEncoder, SourceFiles
from parley.automation.matching.safetensors import read_safetensors

Array = npt.NDArray[np.float32]
_UNUSED = re.compile(r"\[unused\d+\]")


def _pca(matrix: Array, dims: int) -> Array:
    centred = matrix - matrix.mean(axis=0)
    # Eigen-decomposition of the covariance: the vocabulary is ~30k x 384, so this is cheap.
    cov = centred.T.astype(np.float64) @ centred.astype(np.float64)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:dims]
    basis = vectors[:, order]
    # Fix each component's sign so the artifact is byte-identical from run to run.
    signs = np.sign(basis[np.abs(basis).argmax(axis=0), np.arange(dims)])
    out: Array = (centred.astype(np.float64) @ (basis * signs)).astype(np.float32)
    return out


@dataclass(frozen=True)
class Distilled:
    tokens: list[str]
    vectors: Array


def distill(
    source: SourceFiles, *, dims: int = 256, sif: float = 1e-4, batch: int = 1024
) -> Distilled:
    """One static vector per vocabulary token (``[unused*]`` dropped), see the module doc."""
    encoder = BertEncoder(read_safetensors(source.weights))
    vocab = source.vocab
    index = {token: i for i, token in enumerate(vocab)}
    keep = [i for i, token in enumerate(vocab) if not _UNUSED.fullmatch(token)]
    cls, sep = index["[CLS]"], index["[SEP]"]
    outputs: list[Array] = []
    for start in range(0, len(keep), batch):
        ids = np.array(keep[start : start + batch], dtype=np.int64)
        # model2vec frames each token as [SEP] token [CLS]: reversed works better in its benchmarks.
        framed = np.stack([np.full_like(ids, sep), ids, np.full_like(ids, cls)], axis=1)
        outputs.append(encoder.forward(framed)[:, 1])
    embeddings = _pca(np.concatenate(outputs), dims)
    rank_weight = 1.0 / np.arange(2, len(keep) + 2)
    proba = rank_weight / rank_weight.sum()
    embeddings *= (sif / (sif + proba)).astype(np.float32)[:, None]
    return Distilled(tokens=[vocab[i] for i in keep], vectors=embeddings)
