"""The optional LLM: a Protocol, the offline default, an OpenAI-compatible client (docs/llm.md)."""

from __future__ import annotations

from parley.automation.llm.assist import Ranker, SlotFiller, llm_ranker, llm_slot_filler, metered
from parley.automation.llm.compose import llm_composer
from parley.automation.llm.offline import OfflineProvider
from parley.automation.llm.openai import OpenAiCompatible
from parley.automation.llm.provider import (
    ChatMessage,
    Completion,
    LlmError,
    LlmProvider,
    cost_of,
    provider_from_settings,
)
from parley.automation.llm.tasks import (
    Answer,
    Passage,
    ProcedureOption,
    compose_answer,
    fill_slot,
    rank_procedures,
)
from parley.automation.llm.usage import UsageMeter, record_failure, record_usage

__all__ = [
    "Answer",
    "ChatMessage",
    "Completion",
    "LlmError",
    "LlmProvider",
    "OfflineProvider",
    "OpenAiCompatible",
    "Passage",
    "ProcedureOption",
    "Ranker",
    "SlotFiller",
    "UsageMeter",
    "compose_answer",
    "cost_of",
    "fill_slot",
    "llm_composer",
    "llm_ranker",
    "llm_slot_filler",
    "metered",
    "provider_from_settings",
    "rank_procedures",
    "record_failure",
    "record_usage",
]
