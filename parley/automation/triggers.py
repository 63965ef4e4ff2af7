"""When automation speaks: a durable job per customer message while automation owns the work.

The turn runs after the message is committed, in its own transaction, so the ingest path never
waits on matching, tools or an LLM, and a crash between the two loses nothing (the job runs on
restart). The job re-checks ownership before saying anything: once a person owns the interaction,
automation stays silent (tests/test_automation_conversations.py).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.jobs.queue import enqueue
from parley.models import Interaction, Message
from parley.models.enums import MessageRole, State

TURN = "automation.turn"


async def request_turn(session: AsyncSession, interaction: Interaction, message: Message) -> None:
    if interaction.state != State.automated or message.role != MessageRole.customer:
        return
    await enqueue(
        session,
        kind=TURN,
        organization_id=interaction.organization_id,
        payload={"interaction_id": str(interaction.id), "message_id": str(message.id)},
        # One turn per message, however often the provider retries the delivery.
        dedupe_key=f"automation:{message.id}",
        max_attempts=3,
    )
