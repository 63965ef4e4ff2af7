"""Every insight of one interaction in one call: what the product stores on the interaction.

The caller loads the transcript and the interaction's facts, calls :func:`analyse_interaction`
and writes the result (``Interaction.sentiment*``, ``csat*``, ``topic``, ``summary``,
``keywords``; ``Message.sentiment*`` for the customer turns). Nothing here touches storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parley.analytics.keywords import Keyword, extract_keywords
from parley.analytics.language import ENGLISH, language_of
from parley.analytics.rollup import (
    Csat,
    InteractionSentiment,
    predict_csat,
    response_times,
    rollup_sentiment,
)
from parley.analytics.sentiment import Sentiment, SentimentModel, default_model
from parley.analytics.summary import Summary, summarize
from parley.analytics.topic import TopicClassifier, TopicResult
from parley.analytics.transcript import Turn, request_role
from parley.models.enums import Outcome


@dataclass(frozen=True)
class InteractionInsight:
    messages: tuple[tuple[int, Sentiment], ...]
    """(turn index, sentiment) for every English customer turn with text."""
    sentiment: InteractionSentiment | None
    csat: Csat
    topic: TopicResult | None
    """None when the organization defines no topics."""
    summary: Summary
    keywords: tuple[Keyword, ...]
    sentiment_note: str | None = None
    """Why there is no sentiment (no customer words, or none in English); None when there is."""


def unanalysed_note(languages: Sequence[str]) -> str:
    """Why a conversation has no sentiment, given the languages of its customer turns."""
    if not languages:
        return "No customer messages: nothing to analyse."
    named = " and ".join(sorted(set(languages)))
    return f"Not analysed: the customer wrote in {named}; sentiment is English only."


def not_english_note(language: str) -> str:
    return f"Not analysed: the message reads as {language}; sentiment is English only."


def analyse_interaction(
    turns: Sequence[Turn],
    *,
    model: SentimentModel | None = None,
    topics: TopicClassifier | None = None,
    outcome: Outcome | None = None,
    reopen_count: int = 0,
    survey: Csat | None = None,
    keyword_limit: int = 8,
    subject: str = "",
    names: Sequence[str] = (),
) -> InteractionInsight:
    """All insights of a transcript (turns in time order). ``survey`` wins over a prediction.

    Customer turns that are clearly not English get no sentiment (the model reads English
    only). Without any customer turn, an integration's report (a system turn) states the
    request for the summary, the keywords and the topic. ``subject`` helps find the topic;
    ``names`` (people's and the organization's) are kept out of the keywords.
    """
    analyser = model or default_model()
    said = [(i, t.text) for i, t in enumerate(turns) if t.is_customer and t.text.strip()]
    languages = [language_of(text) for _, text in said]
    messages = tuple(
        (i, analyser.analyse(text))
        for (i, text), language in zip(said, languages, strict=True)
        if language == ENGLISH
    )
    sentiment = rollup_sentiment([s for _, s in messages])
    first, longest = response_times(turns)
    csat = survey or predict_csat(
        sentiment=sentiment,
        outcome=outcome,
        first_response_s=first,
        longest_wait_s=longest,
        reopen_count=reopen_count,
    )
    asker = request_role(turns)
    requests = [t.text for t in turns if t.role is asker and t.text.strip()]
    spoken = [t.text for t in turns if t.is_reply or t.role is asker]
    topic_texts = [subject, *requests] if subject.strip() else requests
    return InteractionInsight(
        messages=messages,
        sentiment=sentiment,
        csat=csat,
        topic=topics.assign(topic_texts) if topics else None,
        summary=summarize(turns, outcome=outcome),
        keywords=tuple(extract_keywords(spoken, limit=keyword_limit, names=names)),
        sentiment_note=None if sentiment else unanalysed_note(languages),
    )
