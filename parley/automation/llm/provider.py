"""The LLM behind automation, as a small Protocol. See docs/llm.md.

Two implementations: :class:`~parley.automation.llm.offline.OfflineProvider` (the default, no
network) and :class:`~parley.automation.llm.openai.OpenAiCompatible` (any server speaking OpenAI's
chat completions wire format). Nothing here knows about interactions or organizations: a provider
turns messages into text and says what that cost; :mod:`parley.automation.llm.tasks` decides what
the text may be used for, and :mod:`parley.automation.llm.usage` records the cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from parley.config import Settings

Role = Literal["system", "user", "assistant"]

# Costs are kept to the micro-unit, the precision of ``interactions.llm_cost`` (Numeric(12, 6)),
# so that a sum of recorded calls equals the stored total exactly.
COST_QUANTUM = Decimal("0.000001")
OFFLINE_MODEL = "offline"


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    tokens_in: int
    tokens_out: int
    cost: Decimal
    latency_ms: int
    # The provider's reason ("stop", "length", ...); the offline provider says "abstain" when it
    # has nothing to offer and "stop" otherwise.
    finish_reason: str

    @property
    def billable(self) -> bool:
        """True when a remote model produced this (the offline provider's work costs nothing)."""
        return self.model != OFFLINE_MODEL


class LlmError(Exception):
    """A call failed for good (after the one retry): the caller should fall back or escalate.

    ``reason`` is machine-readable: ``rate_limited``, ``unavailable``, ``timeout``, ``network``,
    ``refused`` (4xx other than 429), ``too_large``, ``invalid_response``.
    """

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status
        self.retry_after = retry_after


class LlmProvider(Protocol):
    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        purpose: str,
        max_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        """Answer ``messages``; ``purpose`` names the task (for logs, costs and the offline rules).

        ``json_schema``, when given, asks the model for a JSON object of that shape; callers must
        still validate what comes back. Raises :class:`LlmError` when no answer could be had.
        """
        ...


def cost_of(
    tokens_in: int, tokens_out: int, *, price_in_per_1k: Decimal, price_out_per_1k: Decimal
) -> Decimal:
    """Exact decimal cost, rounded half-up to the micro-unit."""
    raw = (Decimal(tokens_in) * price_in_per_1k + Decimal(tokens_out) * price_out_per_1k) / 1000
    return raw.quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)


def provider_from_settings(settings: Settings) -> LlmProvider:
    """The OpenAI-compatible client when ``PARLEY_LLM_BASE_URL`` is set, else the offline one."""
    from parley.automation.llm.offline import OfflineProvider
    from parley.automation.llm.openai import OpenAiCompatible

    if not settings.llm_base_url:
        return OfflineProvider()
    return OpenAiCompatible(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        model=settings.llm_model,
        price_in_per_1k=settings.llm_price_in_per_1k,
        price_out_per_1k=settings.llm_price_out_per_1k,
        timeout_s=float(settings.llm_timeout_s),
    )
