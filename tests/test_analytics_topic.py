"""Topic from the organization's topic list via the matcher, "other" below the threshold."""

from __future__ import annotations

import pytest

from parley.analytics.topic import OTHER, TopicClassifier, TopicDefinition
from parley.automation.matching import Encoder, load_encoder
from parley.automation.matching.static_model import default_model_path

TOPICS = [
    TopicDefinition(
        "Refunds", ("I want my money back", "please refund my order", "how long do refunds take")
    ),
    TopicDefinition(
        "Delivery",
        ("where is my parcel", "my order has not arrived", "tracking shows no update"),
    ),
    TopicDefinition("Login problems", ("I cannot log in", "reset my password", "account locked")),
]


def encoders() -> list[Encoder | None]:
    return [None, load_encoder(required=True)] if default_model_path().is_file() else [None]


@pytest.fixture(
    scope="module", params=encoders(), ids=lambda e: "lexical" if e is None else "static"
)
def classifier(request: pytest.FixtureRequest) -> TopicClassifier:
    return TopicClassifier(TOPICS, request.param)


def test_assigns_a_defined_topic(classifier: TopicClassifier) -> None:
    result = classifier.assign(["hi", "my package still has not arrived, tracking says nothing"])
    assert result.topic == "Delivery"
    assert result.confidence >= classifier.threshold
    assert result.evidence is not None and "arrived" in result.evidence
    assert classifier.assign(["I forgot my password and cannot sign in"]).topic == (
        "Login problems"
    )


def test_unrelated_conversation_is_other(classifier: TopicClassifier) -> None:
    result = classifier.assign(["tell me a joke about cats"])
    assert result.topic == OTHER
    assert result.best_guess is not None
    assert result.confidence < classifier.threshold


def test_no_text_and_a_strict_threshold_give_other() -> None:
    assert TopicClassifier(TOPICS).assign(["  "]).topic == OTHER
    strict = TopicClassifier(TOPICS, threshold=1.01)
    assert strict.assign(["please refund my order"]).topic == OTHER


def test_other_is_reserved() -> None:
    with pytest.raises(ValueError, match="reserved"):
        TopicClassifier([TopicDefinition("Other", ("anything",))])
