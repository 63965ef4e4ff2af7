"""From message insights to interaction insights: overall sentiment with its trend, and CSAT.

Pure functions over already-analysed messages; the caller loads and stores. CSAT comes from the
customer's survey when there is one (``source="survey"``), else it is *predicted* from the
conversation by the documented heuristic below (``source="predicted"``), never presented as
the customer's own rating.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from parley.analytics.sentiment import Sentiment
from parley.analytics.transcript import Turn
from parley.models.enums import Outcome
from parley.models.enums import Sentiment as Label

Trend = Literal["improved", "worsened", "steady"]
CsatSource = Literal["survey", "predicted"]

RECENCY_DECAY = 0.7  # each older customer message counts 0.7x the next one
TREND_DELTA = 0.3  # score change (on [-1, 1]) that counts as a trend
_RANK = {Label.negative: -1, Label.neutral: 0, Label.positive: 1}


@dataclass(frozen=True)
class InteractionSentiment:
    label: Label
    score: float
    """Recency-weighted mean of the customer messages' scores, in [-1, 1]."""
    trend: Trend
    start: Label
    end: Label
    messages: int
    description: str


@dataclass(frozen=True)
class Csat:
    score: int
    """1 (very dissatisfied) to 5 (very satisfied)."""
    source: CsatSource
    description: str


def rollup_sentiment(messages: Sequence[Sentiment]) -> InteractionSentiment | None:
    """Interaction sentiment from its customer messages in time order; None if there are none.

    The label is a recency-weighted vote of the messages' labels (weights 0.7^age x confidence),
    so how the customer feels at the end counts most. The trend compares the first and last
    thirds of the conversation (at least one message each).
    """
    if not messages:
        return None
    n = len(messages)
    weights = [RECENCY_DECAY ** (n - 1 - i) for i in range(n)]
    score = sum(w * m.score for w, m in zip(weights, messages, strict=True)) / sum(weights)
    votes = dict.fromkeys(Label, 0.0)
    for w, m in zip(weights, messages, strict=True):
        votes[m.label] += w * m.confidence
    # Ties go to the latest message's label.
    label = max(votes, key=lambda lab: (votes[lab], lab is messages[-1].label))
    third = max(1, n // 3)
    first, last = messages[:third], messages[-third:]
    start, end = _typical(first), _typical(last)
    trend: Trend = "steady"
    if n > 1:
        delta = _mean(last) - _mean(first)
        if delta >= TREND_DELTA or _RANK[end] > _RANK[start]:
            trend = "improved"
        elif delta <= -TREND_DELTA or _RANK[end] < _RANK[start]:
            trend = "worsened"
    return InteractionSentiment(
        label=label,
        score=round(score, 4),
        trend=trend,
        start=start,
        end=end,
        messages=n,
        description=_describe_rollup(label, trend, start, end, n),
    )


def _mean(messages: Sequence[Sentiment]) -> float:
    return sum(m.score for m in messages) / len(messages)


def _typical(messages: Sequence[Sentiment]) -> Label:
    votes = dict.fromkeys(Label, 0.0)
    for m in messages:
        votes[m.label] += m.confidence
    return max(votes, key=lambda lab: (votes[lab], lab is messages[-1].label))


def _describe_rollup(label: Label, trend: Trend, start: Label, end: Label, n: int) -> str:
    count = f"{n} customer message{'s' if n != 1 else ''}"
    if trend == "steady":
        return f"{label.value.capitalize()} throughout ({count})."
    if start == end:
        # The score moved by a trend's worth inside one label: "less negative", not "negative
        # to negative".
        return (
            f"{label.value.capitalize()} overall: {trend}, though still {end.value} at the end "
            f"({count})."
        )
    return (
        f"{label.value.capitalize()} overall: {trend} from {start.value} at the start "
        f"to {end.value} at the end ({count})."
    )


def response_times(turns: Sequence[Turn]) -> tuple[float | None, float | None]:
    """(first response, longest wait) in seconds between a customer message and the next reply.

    Waits still open at the end of the transcript are not counted. None when nothing is timed.
    """
    waiting_since: datetime | None = None
    waits: list[float] = []
    for turn in turns:
        if turn.at is None:
            continue
        if turn.is_customer and waiting_since is None:
            waiting_since = turn.at
        elif turn.is_reply and waiting_since is not None:
            waits.append(max(0.0, (turn.at - waiting_since).total_seconds()))
            waiting_since = None
    if not waits:
        return None, None
    return waits[0], max(waits)


def csat_from_survey(score: int, comment: str | None = None) -> Csat:
    """The customer's own rating. Raises ValueError outside 1-5."""
    if not 1 <= score <= 5:
        raise ValueError("CSAT must be between 1 and 5")
    said = f': "{comment.strip()}"' if comment and comment.strip() else "."
    return Csat(score=score, source="survey", description=f"Customer rated {score}/5{said}")


def _wait_penalty(seconds: float | None) -> float:
    """0 up to 5 minutes, then -0.25 per band (<=1 h, <=8 h, <=24 h, longer); unknown is 0."""
    if seconds is None or seconds <= 300:
        return 0.0
    bands = (3600, 8 * 3600, 24 * 3600)
    return -0.25 * (1 + sum(seconds > b for b in bands))


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    return f"{round(seconds / 86400)} days"


def predict_csat(
    *,
    sentiment: InteractionSentiment | None,
    outcome: Outcome | None = None,
    first_response_s: float | None = None,
    longest_wait_s: float | None = None,
    reopen_count: int = 0,
) -> Csat:
    """A predicted 1-5 CSAT when the customer gave none, with one sentence saying why.

    Start at 3 and add: 1.5 x the end-weighted sentiment score (-1.5..+1.5); +0.25 improved /
    -0.25 worsened; +0.75 resolved / -0.75 unresolved; a penalty for the first response and the
    longest wait past 5 minutes (-0.25 up to 1 h, -0.5 up to 8 h, -0.75 up to 24 h, -1 beyond);
    -0.5 per reopen (at most -1). Rounded and clamped to 1-5. Every term is monotonic: better
    sentiment, resolution and faster replies never lower the prediction. It is a heuristic, not
    a fitted model (no labelled CSAT data is available offline).
    """
    value = 3.0
    reasons: list[tuple[float, str]] = []
    if sentiment is not None:
        value += 1.5 * sentiment.score
        reasons.append((1.5 * sentiment.score, f"{sentiment.label.value} customer sentiment"))
        if sentiment.trend != "steady":
            step = 0.25 if sentiment.trend == "improved" else -0.25
            value += step
            reasons.append((step, f"sentiment {sentiment.trend}"))
    if outcome is not None:
        step = 0.75 if outcome is Outcome.resolved else -0.75
        value += step
        reasons.append((step, f"marked {outcome.value}"))
    for seconds, what in ((first_response_s, "first reply"), (longest_wait_s, "longest wait")):
        penalty = _wait_penalty(seconds)
        value += penalty
        if seconds is not None and (penalty or what == "first reply"):
            reasons.append((penalty or 0.01, f"{what} after {_duration(seconds)}"))
    if reopen_count > 0:
        step = -0.5 * min(reopen_count, 2)
        value += step
        reasons.append((step, f"reopened {reopen_count} time{'s' if reopen_count > 1 else ''}"))
    score = max(1, min(5, int(value + 0.5)))
    main = [text for _, text in sorted(reasons, key=lambda r: -abs(r[0]))[:3]]
    why = ", ".join(main) if main else "no signal beyond the neutral default"
    return Csat(score=score, source="predicted", description=f"Predicted {score}/5: {why}.")
