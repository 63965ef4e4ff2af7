"""Sending a transfer-out: the transcript by email or SMS, or a live call bridged (Twilio).

Runs as a durable job (``transfer.forward``) enqueued by ``parley/actions/external.py``: provider
outages retry on the job schedule, permanent refusals are recorded on the interaction.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actions.activity import record_activity
from parley.actions.external import FORWARD
from parley.actors import Actor
from parley.channels.base import PermanentFailure, TemporaryFailure
from parley.channels.email.smtp import build_email, send_email
from parley.channels.twilio.outbound import account_of, twilio_post
from parley.config import Settings
from parley.jobs.runner import GiveUp, Handler, Retry
from parley.models import Channel, Interaction, Job, Message
from parley.models.enums import ChannelKind, MessageDirection

SMS_LIMIT = 1500


def transcript(interaction: Interaction, messages: list[Message], note: str, by: str) -> str:
    lines = [
        f"Interaction #{interaction.number}: {interaction.subject or '(no subject)'}",
        f"Forwarded by {by}." + (f" Note: {note}" if note else ""),
        "",
    ]
    for m in messages:
        when = m.created_at.strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"[{when}] {m.author_name or m.role}: {m.text}")
    return "\n".join(lines)


async def _public_messages(
    session: AsyncSession, interaction: Interaction, *, everything: bool = False
) -> list[Message]:
    """What the customer and we said (internal notes never leave); ``everything`` adds the
    system lines too (a call's start carries its CallSid)."""
    stmt = (
        select(Message)
        .where(
            Message.organization_id == interaction.organization_id,
            Message.interaction_id == interaction.id,
        )
        .order_by(Message.seq)
    )
    if not everything:
        stmt = stmt.where(Message.direction != MessageDirection.internal)
    return list((await session.execute(stmt)).scalars())


async def _channel(
    session: AsyncSession, interaction: Interaction, kinds: tuple[ChannelKind, ...]
) -> Channel:
    """The interaction's own channel when it is of a usable kind, else the organization's first."""
    if interaction.channel_id is not None:
        own = await session.get(Channel, interaction.channel_id)
        if own is not None and own.kind in kinds:
            return own
    stmt = (
        select(Channel)
        .where(Channel.organization_id == interaction.organization_id, Channel.kind.in_(kinds))
        .order_by(Channel.created_at)
        .limit(1)
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise PermanentFailure(f"the organization has no {'/'.join(kinds)} channel to send with")
    return found


def _call_sid(messages: list[Message]) -> str | None:
    for m in reversed(messages):
        data: Any = (m.meta or {}).get("data") or {}
        if isinstance(data, dict) and data.get("call_sid"):
            return str(data["call_sid"])
    return None


class Forward:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, session: AsyncSession, job: Job) -> None:
        p = job.payload
        interaction = await session.get(Interaction, uuid.UUID(p["interaction_id"]))
        if interaction is None or interaction.organization_id != job.organization_id:
            return
        messages = await _public_messages(session, interaction)
        text = transcript(interaction, messages, p.get("note", ""), p.get("by", "an agent"))
        try:
            reference = await self._send(session, interaction, p["method"], p["to"], text)
        except TemporaryFailure as exc:
            raise Retry(str(exc)) from exc
        except PermanentFailure as exc:
            self._record(session, interaction, "transfer_failed", p, reason=str(exc))
            raise GiveUp(str(exc)) from exc
        self._record(session, interaction, "forwarded", p, reference=reference)

    async def _send(
        self,
        session: AsyncSession,
        interaction: Interaction,
        method: str,
        to: str,
        text: str,
    ) -> str:
        if method == "email":
            # From the organization's mailbox when it has one, else Parley's own domain.
            try:
                channel = await _channel(session, interaction, (ChannelKind.email,))
                address = channel.config.get("address")
            except PermanentFailure:
                address = None
            sender = str(address or f"support@{self.settings.email_domain}")
            subject = f"Fwd: #{interaction.number} {interaction.subject}".strip()
            email = build_email(self.settings, sender=sender, to=to, subject=subject, text=text)
            return await send_email(self.settings, email)
        if method == "sms":
            channel = await _channel(session, interaction, (ChannelKind.sms,))
            number = str(channel.config.get("number") or "")
            body = text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 1] + "…"
            form = {"To": to, "From": number, "Body": body}
            sent = await twilio_post(self.settings, account_of(channel), "Messages.json", form)
            return sent.provider_message_id or ""
        call_sid = _call_sid(await _public_messages(session, interaction, everything=True))
        if call_sid is None:
            raise PermanentFailure("no live call to bridge")
        channel = await _channel(session, interaction, (ChannelKind.voice,))
        twiml = f"<Response><Dial>{escape(to)}</Dial></Response>"
        resource = f"Calls/{quote(call_sid)}.json"
        bridged = await twilio_post(self.settings, account_of(channel), resource, {"Twiml": twiml})
        return bridged.provider_message_id or ""

    @staticmethod
    def _record(
        session: AsyncSession, interaction: Interaction, kind: str, p: dict[str, Any], **more: Any
    ) -> None:
        actor = Actor.system(interaction.organization_id, "Transfer")
        record_activity(session, interaction, kind, actor, method=p["method"], to=p["to"], **more)


def handlers(settings: Settings) -> dict[str, Handler]:
    return {FORWARD: Forward(settings)}
