"""Offline insights on every interaction: sentiment, CSAT, topic, summary, keywords.

Pure code (no database, no network); see docs/analytics.md for how each is computed and
measured. Importing this package loads nothing: the lexicon and the static embedding are
loaded on first use.
"""

from __future__ import annotations

from parley.analytics.insight import InteractionInsight, analyse_interaction
from parley.analytics.keywords import Keyword, extract_keywords
from parley.analytics.rollup import (
    Csat,
    InteractionSentiment,
    csat_from_survey,
    predict_csat,
    response_times,
    rollup_sentiment,
)
from parley.analytics.sentiment import (
    Sentiment,
    SentimentConfig,
    SentimentModel,
    analyse,
    default_model,
)
from parley.analytics.summary import Summary, SummaryPart, summarize
from parley.analytics.topic import OTHER, TopicClassifier, TopicDefinition, TopicResult
from parley.analytics.transcript import Turn

__all__ = [
    "OTHER",
    "Csat",
    "InteractionInsight",
    "InteractionSentiment",
    "Keyword",
    "Sentiment",
    "SentimentConfig",
    "SentimentModel",
    "Summary",
    "SummaryPart",
    "TopicClassifier",
    "TopicDefinition",
    "TopicResult",
    "Turn",
    "analyse",
    "analyse_interaction",
    "csat_from_survey",
    "default_model",
    "extract_keywords",
    "predict_csat",
    "response_times",
    "rollup_sentiment",
    "summarize",
]
