"""The topic of an interaction, from the organization's own topic list, or "other".

An organization defines topics as names with a few example phrases ("Refunds": "I want my
money back", "refund my order", ...) in ``Organization.settings["topics"]``. They are fitted
into the procedure matcher (``parley.automation.matching.HybridMatcher``: static embedding +
TF-IDF + classifier), and each customer message is matched; among the matches that clear the
threshold the strongest wins, each message counting a little less than the one before (the
request comes first). Otherwise the topic is :data:`OTHER`: a wrong topic is worse than an
honest "other".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from parley.automation.matching import Encoder, HybridMatcher, MatcherConfig, shared_encoder

OTHER = "other"
POSITION_DECAY = 0.85


@dataclass(frozen=True)
class TopicDefinition:
    name: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class TopicResult:
    topic: str
    """A defined topic's name, or :data:`OTHER`."""
    confidence: float
    """The matcher's confidence for the best topic (also when it fell short: then "other")."""
    best_guess: str | None
    """The best topic even below the threshold (None without any customer text)."""
    evidence: str | None
    """The customer message that matched best, verbatim."""


class TopicClassifier:
    """Fits the organization's topics once; :meth:`assign` is then cheap per interaction."""

    def __init__(
        self,
        topics: Sequence[TopicDefinition],
        encoder: Encoder | None = None,
        *,
        threshold: float | None = None,
        config: MatcherConfig | None = None,
    ) -> None:
        """Raises ValueError when no topic has an example, or a topic is named "other"."""
        if any(t.name.strip().lower() == OTHER for t in topics):
            raise ValueError(f"{OTHER!r} is reserved for messages that match no topic")
        self.matcher = HybridMatcher(encoder, config)
        # The name is an example too: "Billing" should match "a question about billing".
        self.matcher.fit({t.name: [t.name, *t.examples] for t in topics})
        self.threshold = self.matcher.threshold if threshold is None else threshold

    def assign(self, customer_texts: Sequence[str]) -> TopicResult:
        """The topic of a conversation from its customer messages (in order).

        Every message is matched, and the first three joined; among the matches that clear the
        threshold the earliest strong one wins: each message counts :data:`POSITION_DECAY` times
        the one before, because the request comes first and a later line ("if it hasn't gone by
        Friday I'll be back") can echo another topic's words.
        """
        texts = [t for t in customer_texts if t.strip()]
        if not texts:
            return TopicResult(topic=OTHER, confidence=0.0, best_guess=None, evidence=None)
        # Early messages state the request; matching them joined as well helps when it is
        # spread over several short messages ("hi" / "my card" / "was charged twice").
        weighted = [(t, POSITION_DECAY**i) for i, t in enumerate(texts)]
        if len(texts) > 1:
            weighted.append((" ".join(texts[:3]), 1.0))
        chosen: tuple[float, str, float, str] | None = None  # weighted, label, confidence, text
        guess: tuple[float, str, str] | None = None  # the best raw match, whatever its strength
        for text, weight in weighted:
            top = self.matcher.match(text, limit=1).candidates
            if not top:
                continue
            label, confidence = top[0].label, top[0].confidence
            if guess is None or confidence > guess[0]:
                guess = (confidence, label, text)
            if confidence >= self.threshold and (chosen is None or confidence * weight > chosen[0]):
                chosen = (confidence * weight, label, confidence, text)
        if chosen is not None:
            _, label, confidence, text = chosen
            return TopicResult(label, round(confidence, 4), label, text)
        if guess is None:
            return TopicResult(topic=OTHER, confidence=0.0, best_guess=None, evidence=None)
        confidence, label, text = guess
        return TopicResult(OTHER, round(max(confidence, 0.0), 4), label, text)


def topics_from_settings(settings: Mapping[str, Any]) -> tuple[TopicDefinition, ...]:
    """The organization's topic list from its settings (``settings["topics"]``: a list of
    ``{"name": ..., "examples": [...]}``). Malformed entries and the reserved name are skipped,
    so a bad edit degrades to fewer topics rather than failing every analysis."""
    found = settings.get("topics")
    if not isinstance(found, list):
        return ()
    topics: list[TopicDefinition] = []
    for entry in found:
        if not isinstance(entry, Mapping):
            continue
        name = str(entry.get("name") or "").strip()[:200]
        examples = entry.get("examples")
        if not name or name.lower() == OTHER or not isinstance(examples, list):
            continue
        phrases = tuple(str(e).strip() for e in examples if isinstance(e, str) and e.strip())
        topics.append(TopicDefinition(name, phrases))
    return tuple(topics)


@lru_cache(maxsize=32)
def classifier_for(topics: tuple[TopicDefinition, ...]) -> TopicClassifier | None:
    """A fitted classifier for this topic list (fitted once per distinct list and process), with
    the shared static model when installed; None without topics."""
    if not topics:
        return None
    return TopicClassifier(topics, shared_encoder())
