"""A knowledge-base composer for the engine: the LLM's cited answer, or the fallback's.

``llm_composer(provider, fallback)`` has the engine's composer shape
``(session, interaction, question, hits) -> str``. It offers the hits to :func:`compose_answer`
as passages, records every call on the interaction (and a failure as ``llm_failed``), and uses the
fallback (the engine's extractive answer) whenever the model abstains, is discarded or fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from parley.automation.llm.assist import metered
from parley.automation.llm.provider import LlmProvider
from parley.automation.llm.tasks import COMPOSE_ANSWER, Passage, compose_answer
from parley.models import Interaction


class Hit(Protocol):
    """What the composer reads of a knowledge-base hit."""

    @property
    def title(self) -> str: ...
    @property
    def answer(self) -> str: ...
    @property
    def source(self) -> str | None: ...


H = TypeVar("H", bound=Hit)
H_contra = TypeVar("H_contra", bound=Hit, contravariant=True)


class Compose(Protocol[H_contra]):
    """The engine's composer shape (``parley.automation.context.Composer``)."""

    async def __call__(
        self,
        session: AsyncSession,
        interaction: Interaction,
        question: str,
        hits: Sequence[H_contra],
    ) -> str: ...


def llm_composer(provider: LlmProvider, fallback: Compose[H]) -> Compose[H]:
    async def compose(
        session: AsyncSession, interaction: Interaction, question: str, hits: Sequence[H]
    ) -> str:
        # Ids are positions: nothing from the hit (or the model) is used to look anything up.
        passages = [Passage(str(i), h.answer, h.title) for i, h in enumerate(hits, start=1)]
        answer = await metered(
            session,
            interaction,
            provider,
            COMPOSE_ANSWER,
            lambda p: compose_answer(p, question, passages),
        )
        if answer is None:
            return await fallback(session, interaction, question, hits)
        cited = [hits[int(i) - 1] for i in answer.citations]
        sources = "; ".join(f"{h.title} ({h.source})" if h.source else h.title for h in cited)
        return f"{answer.text}\n\nSources: {sources}"

    return compose
