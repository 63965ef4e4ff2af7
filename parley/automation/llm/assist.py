"""The LLM's help to the engine, each call metered on the interaction it serves.

``metered`` runs one task (:mod:`parley.automation.llm.tasks`) through a :class:`UsageMeter`,
records its usage (and a failure as ``llm_failed``), and turns a provider failure into None, so
every helper here degrades to "no help" exactly as when the model abstains:

- ``llm_ranker``: which of the close procedure candidates the message asks for (used only when
  no candidate clears the matcher's threshold: the matcher stays the first and cheapest judge);
- ``llm_slot_filler``: the words of a longer message that answer a free-text question.

The knowledge-base composer (``compose.py``) uses ``metered`` too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from parley.automation.llm.provider import LlmError, LlmProvider
from parley.automation.llm.tasks import (
    FILL_SLOT,
    RANK_PROCEDURES,
    ProcedureOption,
    fill_slot,
    rank_procedures,
)
from parley.automation.llm.usage import UsageMeter, record_failure
from parley.models import Interaction

T = TypeVar("T")


async def metered(
    session: AsyncSession,
    interaction: Interaction,
    provider: LlmProvider,
    purpose: str,
    task: Callable[[LlmProvider], Awaitable[T | None]],
) -> T | None:
    """``task``'s result, or None when the provider fails; its calls recorded either way."""
    meter = UsageMeter(provider)
    try:
        result = await task(meter)
    except LlmError as exc:
        record_failure(session, interaction, exc, purpose)
        result = None
    await meter.record(session, interaction)
    return result


class Ranker(Protocol):
    async def __call__(
        self,
        session: AsyncSession,
        interaction: Interaction,
        text: str,
        options: Sequence[ProcedureOption],
    ) -> str | None: ...


class SlotFiller(Protocol):
    async def __call__(
        self, session: AsyncSession, interaction: Interaction, description: str, text: str
    ) -> str | None: ...


def llm_ranker(provider: LlmProvider) -> Ranker:
    async def rank(
        session: AsyncSession,
        interaction: Interaction,
        text: str,
        options: Sequence[ProcedureOption],
    ) -> str | None:
        return await metered(
            session,
            interaction,
            provider,
            RANK_PROCEDURES,
            lambda p: rank_procedures(p, text, options),
        )

    return rank


def llm_slot_filler(provider: LlmProvider) -> SlotFiller:
    async def fill(
        session: AsyncSession, interaction: Interaction, description: str, text: str
    ) -> str | None:
        return await metered(
            session, interaction, provider, FILL_SLOT, lambda p: fill_slot(p, description, text)
        )

    return fill
