"""Message sentiment: lexicon rules (negation, degree words, emoji, contrast) and the blend."""

from __future__ import annotations

import pytest

from parley.analytics.sentiment import SentimentModel, analyse
from parley.automation.matching import load_encoder
from parley.automation.matching.static_model import default_model_path
from parley.models.enums import Sentiment as Label

LEXICON = SentimentModel(None)


def models() -> list[SentimentModel]:
    """The lexicon-only fallback, and the product's blend when the static model is built."""
    found = [LEXICON]
    if default_model_path().is_file():
        found.append(SentimentModel(load_encoder(required=True)))
    return found


@pytest.fixture(params=models(), ids=lambda m: m.name)
def model(request: pytest.FixtureRequest) -> SentimentModel:
    result: SentimentModel = request.param
    return result


def test_negation_flips_a_sentiment_word(model: SentimentModel) -> None:
    assert model.analyse("not bad").label is Label.positive
    assert model.analyse("not good").label is Label.negative
    assert model.analyse("The food was not good at all").label is Label.negative
    assert "not good" in model.analyse("not good").cues


def test_negation_is_what_beats_the_plain_lexicon() -> None:
    from parley.analytics.sentiment import SentimentConfig

    plain = SentimentModel(None, SentimentConfig(rules=False))
    assert plain.analyse("not bad").label is Label.negative
    assert LEXICON.analyse("not bad").label is Label.positive


def test_intensifiers_and_dampeners_scale_the_score() -> None:
    good = LEXICON.analyse("good").score
    assert LEXICON.analyse("very good").score > good
    assert LEXICON.analyse("slightly good").score < good
    assert LEXICON.analyse("extremely bad").score < LEXICON.analyse("bad").score
    assert LEXICON.analyse("good!!!").score > good
    assert (
        LEXICON.analyse("that was GOOD, thanks").score
        > LEXICON.analyse("that was good, thanks").score
    )


def test_emoji_and_emoticons(model: SentimentModel) -> None:
    assert model.analyse("\U0001f621").label is Label.negative
    assert model.analyse("\U0001f60d thank you").label is Label.positive
    assert model.analyse("still waiting :(").label is Label.negative
    assert LEXICON.analyse("ok :)").score > 0


def test_mixed_message_follows_the_clause_after_but(model: SentimentModel) -> None:
    mixed = model.analyse("The agent was lovely but my parcel is still missing")
    assert mixed.label is Label.negative
    assert "missing" in mixed.cues and "lovely" in mixed.cues
    assert "outweigh 'lovely'" in mixed.description


def test_customer_service_vocabulary(model: SentimentModel) -> None:
    assert model.analyse("I have been on hold for two hours").label is Label.negative
    assert model.analyse("My flight was cancelled and I am stranded").label is Label.negative
    assert model.analyse("Thanks so much, that fixed it!").label is Label.positive


def test_neutral_questions_and_empty_text(model: SentimentModel) -> None:
    assert model.analyse("What time do you open tomorrow?").label is Label.neutral
    empty = model.analyse("")
    assert (empty.label, empty.score) == (Label.neutral, 0.0)
    assert empty.description == "Neutral: no sentiment words."


def test_score_confidence_and_description_are_well_formed(model: SentimentModel) -> None:
    for text in ("I love it", "worst service ever!!!", "ok", "@airline http://x.y #fail"):
        result = model.analyse(text)
        assert -1.0 <= result.score <= 1.0
        assert 0.5 <= result.confidence <= 1.0
        assert result.description.startswith(result.label.value.capitalize())
        assert result.description.endswith(".")


def test_analyse_uses_the_default_model() -> None:
    assert analyse("this is terrible").label is Label.negative
