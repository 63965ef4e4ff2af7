"""Running the flows of a system event on one interaction, and storing the decision trace."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.flows.apply import apply_plan
from parley.flows.engine import Facts, Plan, run_flows
from parley.flows.model import SYSTEM_EVENTS, FlowDefinition
from parley.flows.store import active_flows
from parley.ingest.event import EventType
from parley.ingest.facts import candidate_of
from parley.models import Channel, Contact, FlowRun, Interaction
from parley.models.enums import ChannelKind
from parley.timers.arm import MARK


async def facts_about(
    session: AsyncSession,
    interaction: Interaction,
    *,
    event_type: EventType,
    text: str = "",
    sla_clock: str | None = None,
) -> Facts:
    """What a system event's flow conditions see: the interaction itself plays the part of the
    interaction an inbound message is threaded to. An interaction with no channel counts as
    ``api``."""
    contact = await session.get(Contact, interaction.contact_id) if interaction.contact_id else None
    channel = await session.get(Channel, interaction.channel_id) if interaction.channel_id else None
    candidate = dataclasses.replace(candidate_of(interaction), created_at=interaction.created_at)
    return Facts(
        event_type=event_type,
        channel_kind=channel.kind if channel else ChannelKind.api,
        communication_type=interaction.communication_type,
        now=clock.now(),
        text=text,
        contact_attributes=dict(contact.attributes) if contact else {},
        threaded=candidate,
        latest_on_channel=candidate,
        latest_any=candidate,
        sla_clock=sla_clock,
    )


def matched(plan: Plan) -> bool:
    return any(entry["matched"] for entry in plan.trace)


async def carry_out(
    session: AsyncSession,
    *,
    interaction: Interaction,
    event_type: EventType,
    plan: Plan,
    details: dict[str, Any],
    message_id: uuid.UUID | None = None,
) -> None:
    """Apply a system event's plan and store its decision trace, shaped like an inbound one's
    (plus ``system_event``: what raised it)."""
    notes: list[str] = []
    await apply_plan(
        session,
        interaction=interaction,
        plan=plan,
        channel_id=interaction.channel_id,
        silent=False,
        notes=notes,
        reply_meta={MARK: event_type.value},
    )
    session.add(
        FlowRun(
            organization_id=interaction.organization_id,
            interaction_id=interaction.id,
            channel_id=interaction.channel_id,
            event_type=event_type,
            message_id=message_id,
            trace={
                "event_type": event_type,
                "flows": plan.trace,
                "notes": notes,
                "system_event": details,
            },
            created_at=clock.now(),
        )
    )
    await session.flush()


async def run_on(
    session: AsyncSession,
    *,
    interaction: Interaction,
    event_type: EventType,
    flows: Sequence[FlowDefinition],
    details: dict[str, Any],
    text: str = "",
    sla_clock: str | None = None,
    message_id: uuid.UUID | None = None,
) -> Plan:
    """Evaluate ``flows`` for this interaction, carry the plan out, store the trace."""
    facts = await facts_about(
        session, interaction, event_type=event_type, text=text, sla_clock=sla_clock
    )
    plan = run_flows(flows, facts)
    await carry_out(
        session,
        interaction=interaction,
        event_type=event_type,
        plan=plan,
        details=details,
        message_id=message_id,
    )
    return plan


async def raise_system_event(
    session: AsyncSession,
    *,
    interaction: Interaction,
    event_type: EventType,
    data: dict[str, Any],
) -> None:
    """Run the organization's flows bound to ``event_type`` on this interaction, in the caller's
    transaction.

    For ``sla_breached`` the SLA code passes ``data={"clock": "first_response" | "next_response"
    | "resolution", ...}``; ``clock`` is what the ``sla_clock`` condition tests, and the whole
    ``data`` is kept in the trace. A completed interaction, or an organization with no flow for
    the event, runs nothing and stores no trace.
    """
    if event_type not in SYSTEM_EVENTS:
        raise ValueError(f"{event_type} is not a system event")
    if not interaction.is_open:
        return
    flows = await active_flows(session, interaction.organization_id, event_type)
    if not flows:
        return
    clock_name = data.get("clock")
    await run_on(
        session,
        interaction=interaction,
        event_type=event_type,
        flows=flows,
        # Whatever the caller passes (datetimes included) is kept in the trace as JSON.
        details=json.loads(json.dumps(data, default=str)),
        sla_clock=str(clock_name) if clock_name is not None else None,
    )
