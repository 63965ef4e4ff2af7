"""Carrying out a turn's decisions through the ordinary actions (the only writers).

Replies are assistant messages on the interaction's channel (delivered like any other), fields
and tags go through the interaction actions, a resolution completes the interaction, and a
hand-off routes it to a queue with the reason and the procedure's note for the agent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actions import interactions as ia
from parley.actions import lifecycle as lc
from parley.actions.messages import do_add_message
from parley.actors import Actor
from parley.automation.context import TurnContext
from parley.automation.escalation import Escalation, handoff_message
from parley.automation.procedures.interpreter import Action, Resolve, SetFields
from parley.models import Interaction, Queue
from parley.models.enums import MessageRole, Outcome, Priority


class Applier:
    def __init__(self, session: AsyncSession, ctx: TurnContext, interaction: Interaction) -> None:
        self.session, self.ctx, self.interaction = session, ctx, interaction
        org = interaction.organization_id
        self.voice = Actor.automation(org, ctx.agent_name)
        self.system = Actor.system(org, ctx.agent_name)

    async def say(self, replies: Sequence[str]) -> None:
        for text in replies:
            if text.strip():
                await do_add_message(
                    self.session,
                    actor=self.voice,
                    interaction_id=self.interaction.id,
                    role=MessageRole.assistant,
                    text=text,
                    channel_id=self.interaction.channel_id,
                )

    async def set_fields(self, actions: Sequence[Action]) -> None:
        for action in actions:
            if not isinstance(action, SetFields):
                continue
            if action.tags or action.remove_tags:
                await ia.do_set_tags(
                    self.session,
                    actor=self.system,
                    interaction_id=self.interaction.id,
                    add=action.tags,
                    remove=action.remove_tags,
                )
            changes: dict[str, object] = {}
            if action.priority:
                changes["priority"] = Priority(action.priority)
            if action.fields:
                changes["custom_fields"] = {**self.interaction.custom_fields, **action.fields}
            if changes:
                await ia.do_edit_interaction(
                    self.session,
                    actor=self.system,
                    interaction_id=self.interaction.id,
                    changes=changes,
                )

    async def resolve(self, action: Resolve) -> None:
        await lc.do_complete(
            self.session,
            actor=self.system,
            interaction_id=self.interaction.id,
            outcome=Outcome(action.outcome),
            disposition=action.disposition,
        )

    async def hand_over(
        self, why: Escalation, *, queue_name: str | None, note: str, announce: bool = True
    ) -> None:
        """Route to people; ``announce`` tells the customer (unless a procedure just did)."""
        queue_id = await self._queue_named(queue_name) if queue_name else None
        queue_id = queue_id or self.ctx.handoff_queue_id or await self._any_queue()
        if announce or not self.ctx.open_now:
            ctx = self.ctx
            await self.say(
                [handoff_message(why.reason, open_now=ctx.open_now, opens_at=ctx.opens_at)]
            )
        summary = f"Automation handed over ({why.reason.value}): {why.detail}."
        await lc.do_route(
            self.session,
            actor=self.system,
            interaction_id=self.interaction.id,
            queue_id=queue_id,
            reason=why.reason.value,
            note=f"{summary}\n{note}".strip() if note and note != why.detail else summary,
        )

    async def _queue_named(self, name: str) -> uuid.UUID | None:
        stmt = select(Queue.id).where(
            Queue.organization_id == self.interaction.organization_id, Queue.name == name
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def _any_queue(self) -> uuid.UUID | None:
        stmt = (
            select(Queue.id)
            .where(Queue.organization_id == self.interaction.organization_id)
            .order_by(Queue.position, Queue.name)
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
