"""YAKE-style keywords: content words and phrases, stop words left out, deterministic."""

from __future__ import annotations

from parley.analytics.keywords import STOP_WORDS, extract_keywords

CONVERSATION = [
    "Hi, I ordered a blue Samsung TV last week and it still has not arrived.",
    "The tracking number says it is with DHL.",
    "Sorry to hear that! Let me check the tracking number with DHL for you.",
    "Your TV delivery was delayed at the Leeds depot. I have requested a priority delivery.",
    "OK thanks, but I want a refund of the delivery charge too.",
]


def phrases(texts: list[str], limit: int = 8) -> list[str]:
    return [k.phrase for k in extract_keywords(texts, limit=limit)]


def test_finds_the_subject_of_the_conversation() -> None:
    found = phrases(CONVERSATION)
    assert "blue Samsung TV" in found
    assert "DHL" in found
    assert "tracking number" in found  # a multi-word phrase
    assert "delivery" in found


def test_no_stop_words_and_no_duplicates() -> None:
    keywords = extract_keywords(CONVERSATION, limit=20)
    for keyword in keywords:
        assert not all(w.lower() in STOP_WORDS for w in keyword.phrase.split())
    assert len({k.phrase.lower() for k in keywords}) == len(keywords)
    # "TV" is inside the better "blue Samsung TV": not listed again on its own.
    assert "TV" not in [k.phrase for k in keywords]
    scores = [k.score for k in keywords]
    assert scores == sorted(scores)


def test_limit_determinism_and_empty_input() -> None:
    assert len(extract_keywords(CONVERSATION, limit=3)) == 3
    assert extract_keywords(CONVERSATION) == extract_keywords(CONVERSATION)
    assert extract_keywords([]) == []
    assert extract_keywords(["Hi, thanks, ok!", "yes please"]) == []


def test_links_and_numbers_are_not_keywords() -> None:
    found = phrases(["Invoice 12345 is wrong, see https://example.com/x for the invoice"])
    assert "invoice" in [p.lower() for p in found]
    assert not any("12345" in p or "http" in p for p in found)
