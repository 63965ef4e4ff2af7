"""What LLM calls cost, recorded on the interaction they served. See docs/llm.md.

Per billable call (a completion from a remote model; the offline provider's are not billable and
are not recorded):

- ``llm_tokens_in`` / ``llm_tokens_out`` grow by the call's prompt and completion tokens;
- ``llm_cost`` grows by the call's cost (exact decimals, to the micro-unit);
- ``billable_messages`` grows by one: it counts the model calls that were paid for, whatever
  their purpose and whether or not their output was used (a discarded answer was still billed);
- ``llm_model`` becomes the call's model (the latest model used);
- an Activity row ``llm_call`` records model, purpose, tokens, cost, latency and finish reason.
  Never the prompt, the answer or any key.

The counters are raised by one ``UPDATE ... SET x = x + n`` so that concurrent calls on the same
interaction do not lose each other's increments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actions.activity import record_activity
from parley.actors import Actor
from parley.automation.llm.provider import ChatMessage, Completion, LlmError, LlmProvider
from parley.models import Activity, Interaction

_COUNTERS = ["llm_model", "llm_tokens_in", "llm_tokens_out", "llm_cost", "billable_messages"]


async def record_usage(
    session: AsyncSession,
    interaction: Interaction,
    completion: Completion,
    purpose: str,
) -> Activity | None:
    """Add ``completion``'s tokens and cost to ``interaction``; None when it was not billable."""
    if not completion.billable:
        return None
    await session.execute(
        update(Interaction)
        .where(Interaction.id == interaction.id)
        .values(
            llm_model=completion.model,
            llm_tokens_in=Interaction.llm_tokens_in + completion.tokens_in,
            llm_tokens_out=Interaction.llm_tokens_out + completion.tokens_out,
            llm_cost=Interaction.llm_cost + completion.cost,
            billable_messages=Interaction.billable_messages + 1,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(interaction, attribute_names=_COUNTERS)
    return record_activity(
        session,
        interaction,
        "llm_call",
        Actor.automation(interaction.organization_id),
        model=completion.model,
        purpose=purpose,
        tokens_in=completion.tokens_in,
        tokens_out=completion.tokens_out,
        cost=str(completion.cost),
        latency_ms=completion.latency_ms,
        finish_reason=completion.finish_reason,
    )


def record_failure(
    session: AsyncSession, interaction: Interaction, error: LlmError, purpose: str
) -> Activity:
    """An Activity row ``llm_failed`` (reason and HTTP status only) before the caller escalates."""
    return record_activity(
        session,
        interaction,
        "llm_failed",
        Actor.automation(interaction.organization_id),
        purpose=purpose,
        reason=error.reason,
        status=error.status,
    )


@dataclass
class UsageMeter:
    """A provider that remembers each completion it passed on, to be recorded afterwards.

    The tasks return only their validated result; wrap the provider in a meter so that the calls
    behind it (including those whose output was discarded) can still be recorded::

        meter = UsageMeter(provider)
        answer = await compose_answer(meter, question, passages)
        await meter.record(session, interaction)
    """

    provider: LlmProvider
    calls: list[tuple[str, Completion]] = field(default_factory=list)

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        purpose: str,
        max_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        completion = await self.provider.complete(
            messages,
            purpose=purpose,
            max_tokens=max_tokens,
            temperature=temperature,
            json_schema=json_schema,
        )
        self.calls.append((purpose, completion))
        return completion

    async def record(self, session: AsyncSession, interaction: Interaction) -> list[Activity]:
        """Record every call made so far on ``interaction``, then forget them."""
        rows = []
        for purpose, completion in self.calls:
            row = await record_usage(session, interaction, completion, purpose)
            if row is not None:
                rows.append(row)
        self.calls.clear()
        return rows
