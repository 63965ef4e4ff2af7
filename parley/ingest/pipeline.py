"""The one ingest path: dedupe, find the contact, classify, run the flows, carry out the plan.

Every channel adapter calls ``do_ingest`` inside the transaction its edge owns; the edge
acknowledges the provider only after that transaction commits. A provider's retry of a message
already stored returns the stored message and runs nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_channel, access_interaction
from parley.actions import interactions as ia
from parley.actions import lifecycle as lc
from parley.actions.activity import record_activity
from parley.actions.messages import do_add_message
from parley.actors import Actor
from parley.automation.triggers import request_turn
from parley.events import interaction_event
from parley.flows.apply import apply_plan, queue_id_named
from parley.flows.engine import Facts, Plan, run_flows
from parley.flows.store import active_flows
from parley.ingest.classify import classify
from parley.ingest.event import EventType, Happening, InboundEvent
from parley.ingest.facts import (
    add_thread_keys,
    candidate_of,
    latest_interaction,
    resolve_contact,
    serialize_sender,
    threaded_interaction,
)
from parley.ingest.status import do_apply_status
from parley.lifecycle.communication import OF_CHANNEL
from parley.models import Channel, Contact, FlowRun, Interaction, Message
from parley.models.enums import ActorType, Direction, MessageRole, Outcome, Priority, State


@dataclass(frozen=True)
class IngestResult:
    event_type: EventType | None
    interaction: Interaction | None
    message: Message | None
    duplicate: bool = False


async def _stored(session: AsyncSession, event: InboundEvent) -> Message | None:
    if event.provider_message_id is None:
        return None
    stmt = select(Message).where(
        Message.channel_id == event.channel_id,
        Message.provider_message_id == event.provider_message_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def do_ingest(session: AsyncSession, *, event: InboundEvent) -> IngestResult:
    channel = await access_channel(
        session, organization_id=event.organization_id, channel_id=event.channel_id
    )
    if event.happening == Happening.status:
        assert event.status is not None
        message = await do_apply_status(session, channel=channel, update=event.status)
        return IngestResult(None, None, message)
    await serialize_sender(session, organization_id=event.organization_id, sender=event.sender)
    stored = await _stored(session, event)
    if stored is not None:
        return IngestResult(
            None, await session.get(Interaction, stored.interaction_id), stored, True
        )

    contact = await resolve_contact(
        session, organization_id=event.organization_id, sender=event.sender
    )
    threaded = await threaded_interaction(session, event)
    on_channel = await latest_interaction(
        session, organization_id=event.organization_id, contact_id=contact.id, channel_id=channel.id
    )
    anywhere = await latest_interaction(
        session, organization_id=event.organization_id, contact_id=contact.id, channel_id=None
    )
    kind, subtype = OF_CHANNEL[channel.kind]
    if event.happening == Happening.voicemail:
        subtype = "voicemail"
    event_type = classify(
        event.happening,
        channel.kind,
        threaded=candidate_of(threaded) if threaded else None,
        latest_on_channel=candidate_of(on_channel) if on_channel else None,
    )
    facts = Facts(
        event_type=event_type,
        channel_kind=channel.kind,
        communication_type=kind,
        now=clock.now(),
        text=event.text,
        contact_attributes=dict(contact.attributes),
        threaded=candidate_of(threaded) if threaded else None,
        latest_on_channel=candidate_of(on_channel) if on_channel else None,
        latest_any=candidate_of(anywhere) if anywhere else None,
        automated_sender=event.automated,
    )
    if threaded is not None and threaded.state == State.completed and event.happening in _EPILOGUE:
        # A chat's end or its survey after the agent closed it belongs to that interaction's
        # history; it is not new work, and a completed transcript stays read-only.
        await record_epilogue(session, event, threaded)
        session.add(
            FlowRun(
                organization_id=event.organization_id,
                interaction_id=threaded.id,
                channel_id=channel.id,
                event_type=event_type,
                message_id=None,
                trace={
                    "event_type": event_type,
                    "flows": [],
                    "notes": ["recorded on the completed interaction it belongs to"],
                },
                created_at=clock.now(),
            )
        )
        return IngestResult(event_type, threaded, None)
    plan = run_flows(await active_flows(session, event.organization_id, event_type), facts)
    run = _Run(session, event, channel, contact, plan, subtype)
    interaction, message = await run.carry_out()
    if event.happening == Happening.survey:
        _apply_survey(interaction, event)
    session.add(
        FlowRun(
            organization_id=event.organization_id,
            interaction_id=interaction.id,
            channel_id=channel.id,
            event_type=event_type,
            message_id=message.id if message else None,
            trace={"event_type": event_type, "flows": plan.trace, "notes": run.notes},
            created_at=clock.now(),
        )
    )
    return IngestResult(event_type, interaction, message)


_EPILOGUE = frozenset({Happening.chat_end, Happening.survey, Happening.call_end})


def _apply_survey(interaction: Interaction, event: InboundEvent) -> None:
    """A post-chat survey is the customer's own CSAT for the interaction."""
    rating = event.data.get("rating")
    if isinstance(rating, int) and 1 <= rating <= 5:
        interaction.csat = rating
        interaction.csat_source = "survey"
        comment = event.data.get("comment")
        interaction.csat_description = str(comment)[:2000] if comment else None


async def record_epilogue(
    session: AsyncSession, event: InboundEvent, interaction: Interaction
) -> None:
    """What follows a conversation (chat end, survey, call end) recorded on its interaction;
    a survey's rating becomes the customer's own CSAT. The demo's scripted surveys use it too."""
    if event.happening == Happening.survey:
        _apply_survey(interaction, event)
    record_activity(
        session,
        interaction,
        str(event.happening),
        Actor.system(event.organization_id),
        text=_describe(event),
        provider_message_id=event.provider_message_id,
        data=event.data,
    )
    interaction_event(session, interaction, "interaction.updated", changed=["activity"])
    await session.flush()


class _Run:
    """Carries out one plan with the actions, noting anything it had to decide on its own."""

    def __init__(
        self,
        session: AsyncSession,
        event: InboundEvent,
        channel: Channel,
        contact: Contact,
        plan: Plan,
        subtype: str,
    ) -> None:
        self.session, self.event, self.channel, self.contact = session, event, channel, contact
        self.plan, self.subtype = plan, subtype
        self.org = event.organization_id
        self.system = Actor.system(self.org)
        self.customer = Actor(self.org, ActorType.contact, contact.id, contact.name or "Customer")
        self.notes: list[str] = []
        # Auto-replies, bounces and notices (edits, deletions) are recorded, never answered.
        self._silent = event.automated or event.happening == Happening.notice

    async def carry_out(self) -> tuple[Interaction, Message | None]:
        interaction = await self._interaction()
        message = None
        if self.plan.attach or not self.plan.trace:
            message = await self._attach(interaction)
        elif self.event.text or self.event.attachments:
            # Nothing acknowledged is lost: a message no flow attached is still kept.
            self.notes.append("no flow attached the message; attached it anyway")
            message = await self._attach(interaction)
        await add_thread_keys(
            self.session,
            event=self.event,
            interaction_id=interaction.id,
            keys=self.event.thread.own_keys + self.event.thread.refers_to,
        )
        await apply_plan(
            self.session,
            interaction=interaction,
            plan=self.plan,
            channel_id=self.channel.id,
            silent=self._silent,
            notes=self.notes,
        )
        await self._abandoned(interaction)
        if message is not None and not self._silent:
            # While automation owns the conversation, every customer message is its turn.
            await request_turn(self.session, interaction, message)
        return interaction, message

    async def _abandoned(self, interaction: Interaction) -> None:
        """The customer left (chat ended, call hung up) before any person answered: the work is
        abandoned, counted as such in queue metrics, and no longer offered to agents."""
        left = self.event.happening in (Happening.chat_end, Happening.call_end)
        if not left or interaction.assigned_at is not None:
            return
        if interaction.state != State.queued:
            return  # automation's conversations end as automation decides
        interaction.abandoned_at = clock.now()
        record_activity(self.session, interaction, "abandoned", self.system)
        await lc.do_complete(
            self.session,
            actor=self.system,
            interaction_id=interaction.id,
            outcome=Outcome.unresolved,
            disposition="abandoned",
        )

    async def _interaction(self) -> Interaction:
        plan = self.plan
        if plan.interaction_id is not None:
            interaction = await access_interaction(
                self.session,
                organization_id=self.org,
                interaction_id=plan.interaction_id,
                lock=True,
            )
            if plan.reopen and interaction.state == State.completed:
                interaction = await lc.do_reopen(
                    self.session,
                    actor=self.system,
                    interaction_id=interaction.id,
                    reason="the customer wrote again",
                    queue_id=self.channel.default_queue_id,
                )
            if interaction.state == State.completed:
                self.notes.append("the interaction found is completed; started a new one")
            else:
                if interaction.channel_id != self.channel.id or plan.change_communication_type:
                    await self._switch_channel(interaction)
                return interaction
        elif plan.create is None:
            self.notes.append("no flow created an interaction; created one by default")
        create = plan.create or {}
        queue_id = (
            await queue_id_named(
                self.session,
                organization_id=self.org,
                name=create.get("queue"),
                notes=self.notes,
                instead="used the channel's default",
            )
            or self.channel.default_queue_id
        )
        kind, _ = OF_CHANNEL[self.channel.kind]
        return await ia.do_create_interaction(
            self.session,
            actor=self.system,
            direction=Direction.inbound,
            communication_type=kind,
            subtype=self.subtype,
            contact_id=self.contact.id,
            channel_id=self.channel.id,
            queue_id=queue_id,
            subject=create.get("subject") or (self.event.subject or "")[:500],
            priority=create.get("priority") or Priority.normal,
            client=self.event.client,
            automated=self.plan.run_automation,
        )

    async def _switch_channel(self, interaction: Interaction) -> None:
        """A call continued by SMS stays one interaction: its type follows the conversation."""
        kind, _ = OF_CHANNEL[self.channel.kind]
        before = (interaction.channel_id, interaction.communication_type, interaction.subtype)
        interaction.channel_id = self.channel.id
        interaction.communication_type, interaction.subtype = kind, self.subtype
        if before != (interaction.channel_id, interaction.communication_type, interaction.subtype):
            record_activity(
                self.session,
                interaction,
                "channel_changed",
                self.system,
                from_channel_id=before[0],
                from_type=before[1],
                to_channel_id=self.channel.id,
                to_type=kind,
            )
            await self.session.flush()

    async def _attach(self, interaction: Interaction) -> Message:
        event = self.event
        text = event.text or _describe(event)
        return await do_add_message(
            self.session,
            actor=self.customer,
            interaction_id=interaction.id,
            role=MessageRole.customer if event.happening in _CUSTOMER_SAYS else MessageRole.system,
            text=text,
            html=event.html,
            attachments=[vars(a) for a in event.attachments],
            channel_id=self.channel.id,
            provider_message_id=event.provider_message_id,
            author_name=event.sender.name,
            sent_at=event.occurred_at,
            meta={"happening": event.happening, **({"data": event.data} if event.data else {})},
        )


_CUSTOMER_SAYS = frozenset(
    {
        Happening.message,
        Happening.form,
        Happening.review,
        Happening.review_edit,
        Happening.external,
        Happening.voicemail,
    }
)


def _describe(event: InboundEvent) -> str:
    """A readable transcript line for events that carry no text of their own."""
    data: dict[str, Any] = event.data
    match event.happening:
        case Happening.chat_start:
            return "Chat started"
        case Happening.chat_end:
            return "Chat ended"
        case Happening.call_start:
            return "Call started"
        case Happening.call_end:
            seconds = data.get("duration_s")
            return f"Call ended after {seconds} s" if seconds is not None else "Call ended"
        case Happening.survey:
            return f"Survey completed: rating {data.get('rating', '?')}"
        case Happening.voicemail:
            return "Voicemail received"
        case _:
            return "(no text)"
