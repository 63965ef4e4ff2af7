"""The default LLM provider: deterministic, no network, no cost. It does the honest minimum.

- ``compose_answer``: an *extractive* answer. The passages are split into sentences; each is scored
  by how much of the question's weight (content words, stemmed, weighted by rarity among the
  sentences) it covers; up to two sentences covering at least a quarter of it are returned in
  passage order, citing the passages they come from. When none does, it abstains.
- every other purpose (``rank_procedures``, ``fill_slot``, a classification...): it abstains.
  The offline matcher (docs/matching.md) already ranks procedures, and guessing a slot's value
  from words alone would put words in the customer's mouth.

Abstaining is ``finish_reason="abstain"`` with empty text. Its answers go through the same
validation as a remote model's (:mod:`parley.automation.llm.tasks`), and cost nothing: model
``offline``, zero tokens, zero cost, not billable.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from parley.automation.llm.provider import OFFLINE_MODEL, ChatMessage, Completion
from parley.automation.llm.tasks import COMPOSE_ANSWER, request_payload
from parley.automation.matching.text import terms

MAX_SENTENCES = 2
MIN_COVERAGE = 0.25

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Question words and function words carry no topic; stemmed like the terms they are compared to.
_STOP = frozenset(
    terms(
        "a an the and or but if of to in on at by for with from as is are was were be been being "
        "do does did have has had i me my we our you your it its this that these those there "
        "what when where which who whom why how can could would should will shall may might must "
        "not no so than then too very just about into out up down please hi hello thanks thank"
    )
)


class OfflineProvider:
    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        purpose: str,
        max_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        payload = request_payload(messages)
        if purpose == COMPOSE_ANSWER and payload is not None:
            extract = extractive_answer(payload.get("question"), payload.get("passages"))
            if extract is not None:
                text, cited = extract
                return _completion(json.dumps({"answer": text, "citations": cited}), "stop")
        return _completion("", "abstain")


def extractive_answer(question: object, passages: object) -> tuple[str, list[str]] | None:
    """(the best sentences joined, the ids of their passages) or None when nothing fits."""
    if not isinstance(question, str) or not isinstance(passages, list):
        return None
    wanted = set(terms(question)) - _STOP
    sentences: list[tuple[int, int, str, str, set[str]]] = []
    for p_index, passage in enumerate(passages):
        if not isinstance(passage, dict) or not isinstance(passage.get("text"), str):
            continue
        for s_index, sentence in enumerate(_SENTENCE.split(passage["text"])):
            if sentence.strip():
                sentence_terms = set(terms(sentence))
                sentences.append(
                    (p_index, s_index, str(passage.get("id")), sentence.strip(), sentence_terms)
                )
    if not wanted or not sentences:
        return None
    frequency = Counter(t for *_, ts in sentences for t in ts & wanted)
    weight = {t: math.log(1 + len(sentences) / (1 + frequency[t])) for t in wanted}
    total = sum(weight.values())
    scored = [(sum(weight[t] for t in ts & wanted) / total, s) for s in sentences if (ts := s[4])]
    best = sorted((item for item in scored if item[0] >= MIN_COVERAGE), key=lambda item: -item[0])[
        :MAX_SENTENCES
    ]
    if not best:
        return None
    chosen = sorted((s for _, s in best), key=lambda s: (s[0], s[1]))
    text = " ".join(s[3] for s in chosen)
    return text, list(dict.fromkeys(s[2] for s in chosen))


def _completion(text: str, finish_reason: str) -> Completion:
    return Completion(
        text=text,
        model=OFFLINE_MODEL,
        tokens_in=0,
        tokens_out=0,
        cost=Decimal(0),
        latency_ms=0,
        finish_reason=finish_reason,
    )
