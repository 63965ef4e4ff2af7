"""The procedure matcher: ranking, the out-of-scope threshold, determinism, misuse."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from parley.automation.matching import HybridMatcher, MatcherConfig
from parley.automation.matching.text import terms

EXAMPLES = {
    "reset_password": [
        "I forgot my password",
        "how do I reset my password",
        "can't log in, need a new password",
    ],
    "card_lost": ["I lost my card", "my card was stolen", "block my lost card please"],
    "refund": ["I want a refund", "can I get my money back", "refund my order"],
}


class HashingEncoder:
    """A stand-in encoder: bag of stemmed words hashed into 64 dimensions, unit length."""

    name = "hashing"

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text):
                out[row, zlib.crc32(term.encode()) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        result: npt.NDArray[np.float32] = (out / np.where(norms == 0, 1, norms)).astype(np.float32)
        return result


@pytest.fixture(params=["lexical", "encoder"])
def matcher(request: pytest.FixtureRequest) -> HybridMatcher:
    m = HybridMatcher(HashingEncoder() if request.param == "encoder" else None)
    m.fit(EXAMPLES)
    return m


@pytest.mark.parametrize(
    ("message", "label"),
    [
        ("I forgot my pasword, how do I reset it?", "reset_password"),
        ("someone stole my card", "card_lost"),
        ("please refund me", "refund"),
    ],
)
def test_ranks_the_right_procedure_first(matcher: HybridMatcher, message: str, label: str) -> None:
    result = matcher.match(message)
    assert result.candidates[0].label == label
    assert result.best is not None and result.best.label == label
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)


def test_unrelated_message_is_out_of_scope(matcher: HybridMatcher) -> None:
    result = matcher.match("what's the weather in Lisbon tomorrow?")
    assert result.best is None
    assert result.candidates  # still ranked, for a supervisor's eyes


def test_threshold_decides_between_match_and_escalation() -> None:
    strict = HybridMatcher(HashingEncoder(), MatcherConfig(threshold=0.99))
    strict.fit(EXAMPLES)
    assert strict.match("someone stole my card").best is None
    lenient = HybridMatcher(HashingEncoder(), MatcherConfig(threshold=0.0))
    lenient.fit(EXAMPLES)
    assert lenient.match("someone stole my card").best is not None


def test_scores_are_bounded_and_limit_is_respected(matcher: HybridMatcher) -> None:
    result = matcher.match("lost card refund", limit=2)
    assert len(result.candidates) == 2
    for c in result.candidates:
        assert 0.0 <= c.confidence <= c.similarity <= 1.0 + 1e-6
        assert 0.0 <= c.probability <= 1.0


def test_deterministic_across_fits() -> None:
    def run() -> list[tuple[str, float]]:
        m = HybridMatcher(HashingEncoder())
        m.fit(EXAMPLES)
        return [(c.label, c.score) for c in m.match("I need my money back").candidates]

    assert run() == run()


def test_empty_message_matches_nothing(matcher: HybridMatcher) -> None:
    assert matcher.match("   ").best is None


def test_fit_needs_examples_and_match_needs_fit() -> None:
    with pytest.raises(ValueError, match="no examples"):
        HybridMatcher().fit({"empty": ["  "]})
    with pytest.raises(RuntimeError, match="fit"):
        HybridMatcher().match("hello")


def test_labels_without_examples_are_ignored() -> None:
    m = HybridMatcher(HashingEncoder())
    m.fit({**EXAMPLES, "nothing": []})
    assert "nothing" not in m.labels
