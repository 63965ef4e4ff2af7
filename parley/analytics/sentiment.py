"""Offline sentiment of a customer message: positive, neutral or negative, with a score and why.

Two signals, blended (docs/analytics.md has the figures):

1. **Lexicon with rules**, VADER's method (Hutto and Gilbert, 2014) re-implemented: word and
   phrase valences (``lexicon.py``), a negator in the three preceding words flips and damps a
   valence ("not bad"), degree words scale it ("very", "slightly"), ALL-CAPS and "!" add
   emphasis, and the clause after "but" outweighs the one before. The sum is squashed into
   [-1, 1] with ``x / sqrt(x^2 + 15)``.
2. **Anchor similarity** (optional): the message's static MiniLM embedding against hand-written
   anchor phrases per class (``anchors.py``): a softmax over the cosines with each class's
   centroid gives ``p(positive) - p(negative)``.

The label comes from the blended score and two thresholds. Nothing is trained on customer data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from parley.analytics.anchors import ANCHORS
from parley.analytics.lexicon import (
    BOOSTERS,
    CONTRAST,
    NEGATORS,
    Lexicon,
    load_lexicon,
    word_key,
)
from parley.automation.matching import Encoder, shared_encoder
from parley.automation.matching.classifier import softmax
from parley.models.enums import Sentiment as Label

NEGATION_SCALAR = -0.74
CAPS_BOOST = 0.733
FULL_ANCHOR_WORDS = 4
SCOPE = 3  # how many words back a negator or a degree word reaches
_SKIP = re.compile(r"^(?:https?://|www\.|@)", re.IGNORECASE)
_EDGE_PUNCT = "\"'`.,;:!?()[]{}<>*_~#&|/\\-"
_CLASSES = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Sentiment:
    label: Label
    score: float
    """Blended polarity in [-1, 1]."""
    confidence: float
    """How far inside its class's band the score is, in [0, 1]."""
    description: str
    cues: tuple[str, ...] = ()
    """The words that moved the score most, strongest first (negated ones as "not good")."""


@dataclass(frozen=True)
class SentimentConfig:
    # Chosen on the airline data's "tune" half only (docs/analytics.md).
    lexicon_weight: float = 1.0
    anchor_weight: float = 2.0
    positive_threshold: float = 0.175
    negative_threshold: float = -0.125
    # Without the static model (lexicon only) the score lives on another scale.
    lexical_positive_threshold: float = 0.4
    lexical_negative_threshold: float = -0.05
    rules: bool = True
    """Negation, degree words, caps, punctuation and contrast (off for the plain baseline)."""
    domain: bool = True
    """Customer-service overrides on top of VADER's general lexicon."""


@dataclass(frozen=True)
class _Token:
    key: str
    caps: bool
    valence: float | None = None  # set for emoji and emoticons
    # The word ends a sentence or clause ("late." "answers;"): negation and degree words
    # before it do not reach past it ("nobody answers. Terrible." is not "not terrible").
    ends: bool = False


@dataclass
class _Scored:
    total: float = 0.0
    cues: list[tuple[str, float]] = field(default_factory=list)
    words: int = 0
    negated: set[str] = field(default_factory=set)
    """Keys of the sentiment words a negator flipped, and of those negators."""


def tokenize(text: str, lexicon: Lexicon) -> list[_Token]:
    """Words (lexicon keys), emoji and emoticons; links and @mentions are dropped."""
    tokens: list[_Token] = []
    for raw in text.split():
        if _SKIP.match(raw):
            continue
        if raw in lexicon.emoticons:
            tokens.append(_Token(raw, caps=False, valence=lexicon.emoticons[raw]))
            continue
        stripped = raw.strip(_EDGE_PUNCT)
        if stripped in lexicon.emoticons:
            tokens.append(_Token(stripped, caps=False, valence=lexicon.emoticons[stripped]))
            continue
        key = word_key(stripped)
        if key:
            letters = [c for c in stripped if c.isalpha()]
            caps = len(letters) > 1 and all(c.isupper() for c in letters)
            tokens.append(_Token(key, caps=caps, ends=raw[-1] in ".!?;"))
        for char in raw:
            if char in lexicon.emoticons and not char.isascii():
                tokens.append(_Token(char, caps=False, valence=lexicon.emoticons[char]))
    return tokens


def lexicon_score(text: str, lexicon: Lexicon, *, rules: bool = True) -> tuple[float, _Scored]:
    """The lexicon polarity of ``text`` in [-1, 1] and the cues behind it."""
    tokens = tokenize(text, lexicon)
    keys = [t.key for t in tokens]
    scored = _Scored(words=len(tokens))
    shouting = sum(t.caps for t in tokens) < len(tokens)  # caps only stand out in mixed case
    contrast = max((i for i, k in enumerate(keys) if k in CONTRAST), default=-1) if rules else -1
    i = 0
    while i < len(tokens):
        valence, span = _valence_at(tokens, i, lexicon)
        if not valence:
            i += max(span, 1)
            continue
        cue = " ".join(keys[i : i + span])
        if rules:
            valence, negated = _modify(valence, tokens, i, shouting=shouting)
            cue = f"not {cue}" if negated else cue
            if negated:
                scored.negated.update(keys[i : i + span])
                scored.negated.update(k for k in keys[max(0, i - SCOPE) : i] if k in NEGATORS)
            if contrast >= 0:
                valence *= 0.5 if i < contrast else 1.5 if i > contrast else 1.0
        scored.total += valence
        scored.cues.append((cue, valence))
        i += span
    total = scored.total
    if rules and total:
        bangs = min(text.count("!"), 4) * 0.292
        questions = text.count("?")
        emphasis = bangs + (min(questions * 0.18, 0.96) if questions > 1 else 0.0)
        total += math.copysign(emphasis, total)
    return total / math.sqrt(total * total + 15.0), scored


def _valence_at(tokens: list[_Token], i: int, lexicon: Lexicon) -> tuple[float, int]:
    """(valence, number of tokens used) for the phrase or word starting at ``i``."""
    if tokens[i].valence is not None:
        return tokens[i].valence or 0.0, 1
    for length in range(min(lexicon.longest_phrase, len(tokens) - i), 1, -1):
        phrase = tuple(t.key for t in tokens[i : i + length])
        if phrase in lexicon.phrases:
            return lexicon.phrases[phrase], length
    if tokens[i].key in NEGATORS or tokens[i].key in BOOSTERS:
        return 0.0, 1
    return lexicon.words.get(tokens[i].key, 0.0), 1


def _modify(valence: float, tokens: list[_Token], i: int, *, shouting: bool) -> tuple[float, bool]:
    """Caps, degree words and negation in the :data:`SCOPE` words before ``tokens[i]``."""
    if tokens[i].caps and shouting:
        valence += math.copysign(CAPS_BOOST, valence)
    negated = False
    for distance in range(1, SCOPE + 1):
        if i - distance < 0:
            break
        before = tokens[i - distance]
        if before.ends:
            break
        if before.key in BOOSTERS:
            boost = BOOSTERS[before.key] * (1.0 - 0.05 * (distance - 1))
            if before.caps and shouting:
                boost += math.copysign(CAPS_BOOST, boost)
            valence += boost if valence > 0 else -boost  # a dampener (< 0) shrinks |valence|
        if before.key in NEGATORS:
            negated = True
    if negated:
        valence *= NEGATION_SCALAR
    return valence, negated


class AnchorScorer:
    """``p(positive) - p(negative)``: a softmax over the cosines with each class's anchor centroid.

    A softmax classifier fitted on the anchors (the matcher's) was tried too: with 16 phrases a
    class it separates them perfectly and answers with near one-hot probabilities, which blended
    worse than these smooth centroid cosines (docs/analytics.md).
    """

    def __init__(
        self,
        encoder: Encoder,
        anchors: dict[str, tuple[str, ...]] = ANCHORS,
        *,
        temperature: float = 0.05,
    ):
        self.encoder = encoder
        self.temperature = temperature
        rows = [encoder.encode(list(anchors[label])).mean(axis=0) for label in _CLASSES]
        centroids = np.stack(rows)
        self.centroids = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)

    def score(self, text: str) -> float:
        vector = self.encoder.encode([text])[0]
        if not vector.any():
            return 0.0
        # einsum, not matmul: BLAS threads cost more than they save on one row.
        cosines = np.einsum("ij,j->i", self.centroids, vector) / self.temperature
        p = softmax(cosines)
        return float(p[2] - p[0])


class SentimentModel:
    """Lexicon + rules, blended with anchor similarity when an encoder is given."""

    def __init__(self, encoder: Encoder | None = None, config: SentimentConfig | None = None):
        self.config = config or SentimentConfig()
        self.lexicon = load_lexicon(domain=self.config.domain)
        use_anchors = encoder is not None and self.config.anchor_weight > 0
        self.anchors = AnchorScorer(encoder) if use_anchors and encoder else None

    @property
    def name(self) -> str:
        return "lexicon+anchors" if self.anchors else "lexicon"

    @property
    def band(self) -> tuple[float, float]:
        """(positive, negative) thresholds: scores between them are neutral."""
        cfg = self.config
        if self.anchors:
            return cfg.positive_threshold, cfg.negative_threshold
        return cfg.lexical_positive_threshold, cfg.lexical_negative_threshold

    def _anchor(self, text: str, scored: _Scored) -> tuple[float, float]:
        """(anchor score, its weight in the blend).

        A bag of token vectors cannot see "not": "not good" embeds next to praise. So negated
        sentiment words and their negators are left out of the text the anchors see; what
        remains still carries the tone. Messages under :data:`FULL_ANCHOR_WORDS` words get less
        weight (the mean of one or two token vectors is mostly noise).
        """
        if self.anchors is None:
            return 0.0, 0.0
        kept = [w for w in text.split() if word_key(w) not in scored.negated]
        if not kept:
            return 0.0, 0.0
        weight = self.config.anchor_weight * min(1.0, scored.words / FULL_ANCHOR_WORDS)
        return self.anchors.score(" ".join(kept)), weight

    def analyse(self, text: str) -> Sentiment:
        cfg = self.config
        lexical, scored = lexicon_score(text, self.lexicon, rules=cfg.rules)
        anchor, weight = self._anchor(text, scored)
        blended = (cfg.lexicon_weight * lexical + weight * anchor) / (cfg.lexicon_weight + weight)
        score = max(-1.0, min(1.0, blended))
        band = self.band
        label = _label(score, band)
        cues = tuple(c for c, _ in sorted(scored.cues, key=lambda cv: -abs(cv[1])))
        return Sentiment(
            label=label,
            score=round(score, 4),
            confidence=round(_confidence(score, label, band), 4),
            description=describe(label, scored.cues, anchor=anchor if self.anchors else None),
            cues=cues,
        )


def _label(score: float, band: tuple[float, float]) -> Label:
    if score >= band[0]:
        return Label.positive
    if score <= band[1]:
        return Label.negative
    return Label.neutral


def _confidence(score: float, label: Label, band: tuple[float, float]) -> float:
    """0.5 at a threshold, 1.0 at the far end of the label's band (its middle for neutral)."""
    high, low = band
    if label is Label.positive:
        depth = (score - high) / (1.0 - high)
    elif label is Label.negative:
        depth = (low - score) / (1.0 + low)
    else:
        depth = 1.0 - abs(score - (high + low) / 2) / ((high - low) / 2)
    return 0.5 + 0.5 * max(0.0, min(1.0, depth))


def _quote(cues: list[str]) -> str:
    quoted = [f"'{c}'" for c in cues]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def describe(label: Label, cues: list[tuple[str, float]], *, anchor: float | None) -> str:
    """One sentence saying which words (and, if it mattered, which tone) led to ``label``."""
    pos = [c for c, v in sorted(cues, key=lambda cv: -cv[1]) if v > 0][:3]
    neg = [c for c, v in sorted(cues, key=lambda cv: cv[1]) if v < 0][:3]
    tone = ""
    if anchor is not None and abs(anchor) >= 0.3:
        tone = "reads like a complaint" if anchor < 0 else "reads like thanks or praise"
    if label is Label.neutral:
        if pos and neg:
            return f"Neutral: {_quote(pos)} and {_quote(neg)} balance out."
        if pos or neg:
            return f"Neutral: only a weak cue ({_quote((pos or neg)[:1])})."
        return "Neutral: no sentiment words" + (f", though it {tone}." if tone else ".")
    own, other = (pos, neg) if label is Label.positive else (neg, pos)
    name = label.value.capitalize()
    if not own:
        return f"{name}: no sentiment words, but the message {tone or 'leans that way'}."
    text = f"{name}: {_quote(own)}"
    return text + (f" outweigh {_quote(other[:1])}." if other else ".")


@lru_cache(maxsize=1)
def default_model() -> SentimentModel:
    """The product's model: with the static embedding if its artifact exists, else lexicon only."""
    return SentimentModel(shared_encoder())


def analyse(text: str) -> Sentiment:
    """Sentiment of one customer message with :func:`default_model`."""
    return default_model().analyse(text)
