"""Interaction roll-up: recency-weighted sentiment with a trend, predicted and surveyed CSAT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parley.analytics import Turn, analyse_interaction
from parley.analytics.rollup import (
    csat_from_survey,
    predict_csat,
    response_times,
    rollup_sentiment,
)
from parley.analytics.sentiment import Sentiment, SentimentModel
from parley.models.enums import MessageRole, Outcome
from parley.models.enums import Sentiment as Label

MODEL = SentimentModel(None)
T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def said(*texts: str) -> list[Sentiment]:
    return [MODEL.analyse(t) for t in texts]


def test_no_customer_messages_gives_none() -> None:
    assert rollup_sentiment([]) is None


def test_trend_improved_and_recency_weighted_label() -> None:
    result = rollup_sentiment(
        said("My order is lost and nobody answers", "Still waiting, this is awful", "Thanks!")
    )
    assert result is not None
    assert (result.trend, result.start, result.end) == ("improved", Label.negative, Label.positive)
    assert "improved from negative at the start to positive at the end" in result.description


def test_trend_worsened() -> None:
    result = rollup_sentiment(said("Thanks, great help", "ok", "This is useless, still broken"))
    assert result is not None
    assert (result.trend, result.label) == ("worsened", Label.negative)


def test_steady_single_message() -> None:
    result = rollup_sentiment(said("This is terrible"))
    assert result is not None
    assert (result.trend, result.label, result.messages) == ("steady", Label.negative, 1)
    assert result.description == "Negative throughout (1 customer message)."


def test_the_latest_message_counts_most() -> None:
    late_happy = rollup_sentiment(said("awful", "awful", "great, thank you so much"))
    late_angry = rollup_sentiment(said("great, thank you so much", "awful", "awful"))
    assert late_happy is not None and late_angry is not None
    assert late_happy.score > late_angry.score


def csat(score: float = 0.0, **kwargs: object) -> int:
    sentiment = rollup_sentiment([Sentiment(Label.neutral, score, 0.8, "")])
    return predict_csat(sentiment=sentiment, **kwargs).score  # type: ignore[arg-type]


@pytest.mark.parametrize("outcome", [None, Outcome.resolved, Outcome.unresolved])
def test_predicted_csat_is_monotonic_in_sentiment(outcome: Outcome | None) -> None:
    values = [csat(s / 10, outcome=outcome) for s in range(-10, 11)]
    assert values == sorted(values)
    assert all(1 <= v <= 5 for v in values)


def test_predicted_csat_is_monotonic_in_outcome_waits_and_reopens() -> None:
    for s in (-0.8, -0.2, 0.0, 0.4, 0.9):
        assert csat(s, outcome=Outcome.unresolved) <= csat(s) <= csat(s, outcome=Outcome.resolved)
        waits = [csat(s, first_response_s=w) for w in (10, 600, 7200, 40000, 200000)]
        assert waits == sorted(waits, reverse=True)
        reopens = [csat(s, reopen_count=n) for n in range(4)]
        assert reopens == sorted(reopens, reverse=True)
    assert csat(1.0, outcome=Outcome.resolved, first_response_s=30) == 5
    assert csat(-1.0, outcome=Outcome.unresolved, first_response_s=90000, reopen_count=2) == 1


def test_predicted_csat_is_marked_and_explained() -> None:
    sentiment = rollup_sentiment(said("This is useless"))
    result = predict_csat(sentiment=sentiment, outcome=Outcome.unresolved, first_response_s=10800)
    assert result.source == "predicted"
    assert result.description.startswith(f"Predicted {result.score}/5: ")
    assert "marked unresolved" in result.description and "3 h" in result.description
    neutral = predict_csat(sentiment=None)
    assert (neutral.score, neutral.description) == (
        3,
        "Predicted 3/5: no signal beyond the neutral default.",
    )


def test_survey_csat() -> None:
    assert csat_from_survey(4, " quick and kind ").description == (
        'Customer rated 4/5: "quick and kind"'
    )
    assert csat_from_survey(2).source == "survey"
    with pytest.raises(ValueError, match="between 1 and 5"):
        csat_from_survey(6)


def test_response_times() -> None:
    turns = [
        Turn(MessageRole.customer, "hi", T0),
        Turn(MessageRole.customer, "anyone?", T0 + timedelta(minutes=5)),
        Turn(MessageRole.agent, "hello", T0 + timedelta(minutes=10)),
        Turn(MessageRole.customer, "my card", T0 + timedelta(minutes=11)),
        Turn(MessageRole.assistant, "ok", T0 + timedelta(minutes=41)),
        Turn(MessageRole.customer, "thanks", T0 + timedelta(minutes=50)),
    ]
    assert response_times(turns) == (600.0, 1800.0)
    assert response_times(turns[:2]) == (None, None)


def test_analyse_interaction_prefers_the_survey() -> None:
    turns = [
        Turn(MessageRole.customer, "My refund never arrived", T0),
        Turn(MessageRole.agent, "I have issued the refund again.", T0 + timedelta(minutes=2)),
        Turn(MessageRole.customer, "Great, thank you!", T0 + timedelta(minutes=3)),
    ]
    insight = analyse_interaction(turns, model=MODEL, outcome=Outcome.resolved)
    assert [i for i, _ in insight.messages] == [0, 2]
    assert insight.sentiment is not None and insight.sentiment.trend == "improved"
    assert insight.csat.source == "predicted" and insight.csat.score >= 4
    assert insight.topic is None
    surveyed = analyse_interaction(turns, model=MODEL, survey=csat_from_survey(2))
    assert (surveyed.csat.score, surveyed.csat.source) == (2, "survey")
