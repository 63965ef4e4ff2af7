"""The contextual MiniLM encoder (real weights, installed at bootstrap) and the cascade matcher."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

import parley.automation.matching as matching
from parley.automation.matching import (
    CascadeConfig,
    CascadeMatcher,
    ContextualModel,
    HybridMatcher,
    default_contextual_path,
    load_contextual,
)
from parley.automation.matching.contextual import MAX_PIECES
from tests.test_matching_matcher import EXAMPLES, HashingEncoder


@pytest.fixture(scope="module")
def model() -> ContextualModel:
    location = default_contextual_path()
    if not (location / "model.safetensors").is_file():
        pytest.fail(f"contextual model missing in {location}: run scripts/build_models.py")
    loaded = load_contextual(location, required=True)
    assert loaded is not None
    return loaded


def cosine(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    return float(a @ b)


def test_vectors_are_unit_length_and_read_meaning(model: ContextualModel) -> None:
    texts = [
        "my card still hasn't arrived",
        "when will my new card be delivered?",
        "how do I change my PIN",
        "what's the weather like in Paris tomorrow",
    ]
    v = model.encode(texts)
    assert v.shape == (4, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    # A paraphrase is closer than a same-domain neighbour, which is closer than small talk.
    assert cosine(v[0], v[1]) > cosine(v[0], v[2]) > cosine(v[0], v[3])


def test_a_vector_does_not_depend_on_its_batch(model: ContextualModel) -> None:
    text = "I was charged twice for one order"
    alone = model._run([text])[text]
    crowd = model._run(["refund please", text, "is there a fee for top ups by card?"])[text]
    assert np.allclose(alone, crowd, atol=1e-5)


def test_known_texts_come_from_the_cache(
    model: ContextualModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = model.encode(["please cancel my subscription"])
    calls: list[Sequence[str]] = []
    run = model._run

    def counting(texts: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        calls.append(list(texts))
        return run(texts)

    monkeypatch.setattr(model, "_run", counting)
    again = model.encode(["please cancel my subscription", "and refund the last month"])
    assert np.array_equal(again[0], first[0])
    assert calls == [["and refund the last month"]]


def test_long_and_empty_texts(model: ContextualModel) -> None:
    long = "my parcel never came " * 200
    assert len(model._ids(long)) == MAX_PIECES + 2
    v = model.encode([long, ""])
    assert np.all(np.isfinite(v)) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"\0" * 64)
    (tmp_path / "vocab.txt").write_text("[PAD]\n")
    with pytest.raises(ValueError, match="pinned sha256"):
        load_contextual(tmp_path)
    assert load_contextual(tmp_path / "absent") is None
    with pytest.raises(FileNotFoundError, match="build_models"):
        load_contextual(tmp_path / "absent", required=True)


class SlowEncoder(HashingEncoder):
    """The contextual stand-in: same vectors as the fast one, but it counts its work."""

    name = "slow"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.seen.extend(texts)
        return super().encode(texts)


def test_cascade_settles_clear_messages_fast_and_sends_close_calls_on() -> None:
    slow = SlowEncoder()
    cascade = CascadeMatcher(HashingEncoder(), slow)
    cascade.fit(EXAMPLES)
    assert cascade.labels == sorted(EXAMPLES)
    slow.seen.clear()
    clear = cascade.match("how do I reset my password")
    assert clear.decided_by == "hashing" and clear.best is not None
    assert clear.best.label == "reset_password" and slow.seen == []
    unsure = cascade.match("the weather in Lisbon")
    assert unsure.decided_by == "slow" and slow.seen == ["the weather in Lisbon"]
    assert unsure.threshold == CascadeConfig().contextual.threshold


def test_cascade_cut_offs_decide_the_stage() -> None:
    never = CascadeConfig(accept_probability=1.1, accept_confidence=2.0, accept_alone=2.0)
    cascade = CascadeMatcher(HashingEncoder(), SlowEncoder(), never)
    cascade.fit(EXAMPLES)
    assert cascade.match("how do I reset my password").decided_by == "slow"
    always = CascadeConfig(accept_probability=0.0, accept_confidence=0.0)
    cascade = CascadeMatcher(HashingEncoder(), SlowEncoder(), always)
    cascade.fit(EXAMPLES)
    assert cascade.match("the weather in Lisbon").decided_by == "hashing"


@pytest.fixture
def fresh_models() -> Iterator[None]:
    matching.shared_contextual.cache_clear()
    yield
    matching.shared_contextual.cache_clear()


def test_default_matcher_falls_back_without_the_contextual_model(
    fresh_models: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(matching.default_matcher(), CascadeMatcher)
    matching.shared_contextual.cache_clear()
    monkeypatch.setenv("PARLEY_CONTEXTUAL_MODEL", str(tmp_path))
    fallback = matching.default_matcher()
    assert isinstance(fallback, HybridMatcher)
    fallback.fit(EXAMPLES)
    assert fallback.match("I lost my card").decided_by == "minilm-l6-v2-static-256"
