"""Transfers out of Parley: forward the transcript to an outside address, or bridge a live call.

The action records the transfer (activity, event) and enqueues the sending as a durable job
(``parley/channels/forward.py``), so no network I/O happens inside the transaction and a provider
outage delays the forward instead of losing it.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import access_interaction, viewer_of
from parley.actions.activity import record_activity
from parley.actions.lifecycle import check_may_work
from parley.actors import Actor
from parley.errors import InvalidInput
from parley.events import interaction_event
from parley.jobs.queue import enqueue
from parley.models import Interaction
from parley.models.enums import CommunicationType

FORWARD = "transfer.forward"
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


class ExternalMethod(StrEnum):
    email = "email"  # the transcript, by email
    sms = "sms"  # a summary and the last messages, by SMS
    voice = "voice"  # bridge the live call to an outside number


def _check_address(method: ExternalMethod, to: str) -> str:
    to = to.strip()
    if method == ExternalMethod.email and not _EMAIL.match(to):
        raise InvalidInput("not an email address", fields={"to": "an email address"})
    if method != ExternalMethod.email and not _PHONE.match(to):
        raise InvalidInput(
            "not a phone number in international format", fields={"to": "like +442079460000"}
        )
    return to


async def do_transfer_external(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    method: ExternalMethod,
    to: str,
    note: str = "",
) -> Interaction:
    """Hand the conversation to someone outside: the interaction records who, how and when."""
    to = _check_address(method, to)
    interaction = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        lock=True,
        viewer=viewer_of(actor),
    )
    check_may_work(actor, interaction)
    if method == ExternalMethod.voice and interaction.communication_type != CommunicationType.voice:
        raise InvalidInput(
            "only a call can be bridged; forward the transcript by email or SMS instead",
            fields={"method": "email or sms for this interaction"},
        )
    if not interaction.is_open and method == ExternalMethod.voice:
        raise InvalidInput("this call is over; forward the transcript instead")
    record_activity(
        session, interaction, "transferred_external", actor, method=method, to=to, note=note
    )
    interaction_event(session, interaction, "interaction.transferred_external", method=method)
    await enqueue(
        session,
        kind=FORWARD,
        organization_id=interaction.organization_id,
        payload={
            "interaction_id": str(interaction.id),
            "method": method.value,
            "to": to,
            "note": note,
            "by": actor.name,
        },
    )
    return interaction
