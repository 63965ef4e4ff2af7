"""The static model and the numpy pieces its build relies on (no torch anywhere)."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from parley.automation.matching import load_encoder
from parley.automation.matching.bert import BertEncoder, _erf
from parley.automation.matching.distill import _pca
from parley.automation.matching.safetensors import SafetensorsError, read_safetensors
from parley.automation.matching.static_model import StaticModel, default_model_path


def safetensors_bytes(tensors: dict[str, np.ndarray]) -> bytes:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    blobs = b""
    for name, array in tensors.items():
        raw = array.astype("<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(array.shape),
            "data_offsets": [len(blobs), len(blobs) + len(raw)],
        }
        blobs += raw
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + blobs


def test_read_safetensors_roundtrip() -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    tensors = read_safetensors(safetensors_bytes({"a": a, "b": np.ones(4, dtype=np.float32)}))
    assert np.array_equal(tensors["a"], a) and tensors["b"].shape == (4,)
    with pytest.raises(SafetensorsError):
        read_safetensors(struct.pack("<Q", 999) + b"{}")


def test_erf_matches_the_stdlib() -> None:
    xs = np.linspace(-4, 4, 81, dtype=np.float32)
    assert np.allclose(_erf(xs), [math.erf(x) for x in xs], atol=2e-7)


def test_pca_is_deterministic_and_orders_components() -> None:
    rng = np.random.default_rng(0)
    data = (rng.normal(size=(200, 6)) * [5, 3, 1, 0.5, 0.2, 0.1]).astype(np.float32)
    first, second = _pca(data, 3), _pca(data.copy(), 3)
    assert np.array_equal(first, second)
    variances = first.var(axis=0)
    assert list(variances) == sorted(variances, reverse=True)


def test_bert_encoder_is_a_residual_stack_of_the_right_shape() -> None:
    rng = np.random.default_rng(1)
    hidden, inter, vocab = 24, 48, 10

    def w(*shape: int) -> np.ndarray:
        return (rng.normal(size=shape) * 0.1).astype(np.float32)

    tensors = {
        "embeddings.word_embeddings.weight": w(vocab, hidden),
        "embeddings.position_embeddings.weight": w(8, hidden),
        "embeddings.token_type_embeddings.weight": w(2, hidden),
        "embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(hidden, np.float32),
    }
    for i in range(6):
        p = f"encoder.layer.{i}"
        for name in ("query", "key", "value"):
            tensors[f"{p}.attention.self.{name}.weight"] = w(hidden, hidden)
            tensors[f"{p}.attention.self.{name}.bias"] = w(hidden)
        tensors[f"{p}.attention.output.dense.weight"] = w(hidden, hidden)
        tensors[f"{p}.attention.output.dense.bias"] = w(hidden)
        tensors[f"{p}.intermediate.dense.weight"] = w(inter, hidden)
        tensors[f"{p}.intermediate.dense.bias"] = w(inter)
        tensors[f"{p}.output.dense.weight"] = w(hidden, inter)
        tensors[f"{p}.output.dense.bias"] = w(hidden)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors[f"{p}.{ln}.weight"] = np.ones(hidden, np.float32)
            tensors[f"{p}.{ln}.bias"] = np.zeros(hidden, np.float32)
    out = BertEncoder(tensors).forward(np.array([[1, 2, 3], [4, 5, 6]]))
    assert out.shape == (2, 3, hidden)
    # Post-LayerNorm output: every position has mean 0 and unit variance.
    assert np.allclose(out.mean(axis=-1), 0, atol=1e-5)
    assert np.allclose(out.var(axis=-1), 1, atol=1e-3)
    # A sequence's states do not depend on the other sequences in the batch.
    alone = BertEncoder(tensors).forward(np.array([[1, 2, 3]]))
    assert np.allclose(alone[0], out[0], atol=1e-5)


def test_static_model_save_load_and_encode(tmp_path: Path) -> None:
    tokens = ["[PAD]", "[UNK]", "card", "lost", "##s", "pass", "##word"]
    vectors = np.eye(len(tokens), 4, dtype=np.float32) + 0.01
    model = StaticModel(tokens=tokens, vectors=vectors, metadata={"name": "tiny"})
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = StaticModel.load(path)
    assert loaded.name == "tiny" and loaded.tokens == tokens
    encoded = loaded.encode(["lost cards", "password", "zzz"])
    assert encoded.shape == (3, 4)
    assert np.allclose(np.linalg.norm(encoded[:2], axis=1), 1.0, atol=1e-3)
    assert not encoded[2].any()  # only unknown pieces: a zero row, not NaN


def test_default_path_and_missing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_STATIC_MODEL", str(tmp_path / "absent.npz"))
    assert default_model_path() == tmp_path / "absent.npz"
    assert load_encoder() is None
    with pytest.raises(FileNotFoundError, match="build_models"):
        load_encoder(required=True)


def test_the_built_model_puts_paraphrases_together() -> None:
    path = default_model_path()
    if not path.is_file():
        pytest.skip(f"no static model at {path}: run scripts/build_models.py")
    model = StaticModel.load(path)
    a, b, c = model.encode(["How do I reset my password?", "I forgot my password", "Will it rain?"])
    assert float(a @ b) > 0.6 > float(a @ c)
    assert "all-MiniLM-L6-v2" in str(model.metadata["attribution"])
