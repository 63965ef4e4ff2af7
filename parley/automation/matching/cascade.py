"""The default matcher: the fast static stage decides the easy messages, the contextual stage
the close calls.

Both stages are :class:`HybridMatcher` instances fitted on the same trigger examples, one over
the static model (0.3 ms per message) and one over the contextual MiniLM (3-8 ms). A message
is settled by the static stage only when its classifier is sure *and* its similarity is well
above the static threshold; anything less (a near-twin intent, a borderline out-of-scope
message) goes to the contextual stage, whose answer stands. On CLINC150 train splits about a
third of messages take the slow path, and the cascade is as accurate as the contextual stage
alone (docs/matching.md has the figures and how the two cut-offs were chosen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from parley.automation.matching.matcher import Encoder, HybridMatcher, Match, MatcherConfig


@dataclass(frozen=True)
class CascadeConfig:
    accept_probability: float = 0.7
    """The static classifier's share the top label needs to be settled without the slow stage."""
    accept_confidence: float = 0.35
    """... and its static confidence (the static threshold is 0.29)."""
    accept_alone: float = 0.55
    """A static confidence that settles the message whatever the classifier's share: several
    procedures with near-identical triggers split the share without making the call any closer."""
    static: MatcherConfig = field(default_factory=MatcherConfig)
    # Contextual cosines run lower than static ones for the same paraphrase, hence a lower
    # threshold, tuned like the static one on CLINC150 train / oos_train only.
    contextual: MatcherConfig = field(default_factory=lambda: MatcherConfig(threshold=0.24))


class CascadeMatcher:
    """A :class:`Matcher` over a static and a contextual encoder (see the module doc)."""

    def __init__(
        self, static: Encoder, contextual: Encoder, config: CascadeConfig | None = None
    ) -> None:
        self.config = config or CascadeConfig()
        self.fast = HybridMatcher(static, self.config.static)
        self.slow = HybridMatcher(contextual, self.config.contextual)
        # The threshold of the stage that usually has the last word; each Match carries its own.
        self.threshold = self.slow.threshold

    @property
    def labels(self) -> list[str]:
        return self.fast.labels

    def fit(self, examples: Mapping[str, Sequence[str]]) -> None:
        """Fit both stages. Raises ValueError if there are no examples."""
        self.fast.fit(examples)
        self.slow.fit(examples)

    def match(self, text: str, *, limit: int = 5) -> Match:
        quick = self.fast.match(text, limit=limit)
        top = quick.candidates[0] if quick.candidates else None
        cfg = self.config
        if top is not None and (
            top.confidence >= cfg.accept_alone
            or (
                top.probability >= cfg.accept_probability
                and top.confidence >= cfg.accept_confidence
            )
        ):
            return quick
        return self.slow.match(text, limit=limit)
