"""From a parsed email and its envelope recipients to stored messages, in one transaction.

A recipient is either an email channel's inbound address (``config["address"]``, any case) or a
signed reply address (``threading.py``) that names an interaction of the organization. One email
becomes one message per organization it reaches, however many of that organization's addresses
it was sent to (a reply address wins, since it names the interaction).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.api.deps import Services
from parley.channels.email import threading
from parley.channels.email.parse import ParsedEmail
from parley.files import do_store_file
from parley.ingest.event import (
    Attachment,
    Happening,
    InboundEvent,
    Sender,
    StatusUpdate,
    ThreadHints,
)
from parley.ingest.pipeline import IngestResult, do_ingest
from parley.models import Channel, Interaction, Message, StoredFile
from parley.models.enums import ChannelKind, DeliveryStatus, IdentityKind

log = logging.getLogger("parley.email")
ATTEMPTS = 3


@dataclass(frozen=True)
class Route:
    channel: Channel
    interaction_id: uuid.UUID | None = None


async def route(
    session: AsyncSession, *, secret_key: str, domain: str, address: str
) -> Route | None:
    """Where mail to ``address`` goes, or None when no organization owns it."""
    address = address.strip().strip("<>").lower()
    token = threading.read_reply_address(address, domain)
    if token is not None:
        return await _by_token(session, secret_key, token)
    stmt = (
        select(Channel)
        .where(
            Channel.kind == ChannelKind.email,
            Channel.is_active.is_(True),
            func.lower(Channel.config["address"].as_string()) == address,
        )
        # Two organizations naming one address: the first to configure it keeps it.
        .order_by(Channel.created_at, Channel.id)
        .limit(1)
    )
    channel = (await session.execute(stmt)).scalar_one_or_none()
    return Route(channel) if channel is not None else None


async def _by_token(
    session: AsyncSession, secret_key: str, token: threading.ReplyToken
) -> Route | None:
    # Unscoped on purpose: the verified tag, not the caller, is what names the organization.
    interaction = await session.get(Interaction, token.interaction_id)
    if interaction is None or not threading.verify(secret_key, interaction.organization_id, token):
        return None
    org = interaction.organization_id
    channels = select(Channel).where(
        Channel.organization_id == org,
        Channel.kind == ChannelKind.email,
        Channel.is_active.is_(True),
    )
    # The interaction's own email channel if it has one, else the organization's first.
    rows = list((await session.execute(channels.order_by(Channel.created_at))).scalars())
    if not rows:
        return None
    chosen = next((c for c in rows if c.id == interaction.channel_id), rows[0])
    return Route(chosen, interaction.id)


def one_per_organization(routes: list[Route]) -> list[Route]:
    chosen: dict[uuid.UUID, Route] = {}
    for found in routes:
        current = chosen.get(found.channel.organization_id)
        if current is None or (current.interaction_id is None and found.interaction_id):
            chosen[found.channel.organization_id] = found
    return list(chosen.values())


def provider_id(parsed: ParsedEmail) -> str:
    """The dedupe key: the Message-ID, or a digest when it is missing or too long to store."""
    if parsed.message_id and len(parsed.message_id) <= 255:
        return parsed.message_id
    if parsed.message_id:
        return "sha256:" + hashlib.sha256(parsed.message_id.encode()).hexdigest()
    return "sha256:" + parsed.sha256


def events_for(
    found: Route,
    parsed: ParsedEmail,
    *,
    envelope_from: str | None,
    attachments: tuple[Attachment, ...],
) -> list[InboundEvent]:
    channel = found.channel
    sender = parsed.sender
    email = sender.email if sender else _valid(envelope_from)
    name = (sender.name if sender else "") or None
    null_sender = envelope_from is not None and envelope_from.strip("<> ") == ""
    automated = parsed.automated or null_sender
    own = (parsed.message_id,) if parsed.message_id else ()
    data = {
        "from": email,
        "reply_to": parsed.reply_to[0].email if parsed.reply_to else None,
        "to": [a.email for a in parsed.to][:50],
        "cc": [a.email for a in parsed.cc][:50],
        "subject": parsed.subject,
        "message_id": parsed.message_id,
        "in_reply_to": list(parsed.in_reply_to),
        "references": list(parsed.references),
        "automated": automated,
        "auto_submitted": parsed.auto_submitted or ("null return path" if null_sender else None),
        "bounce": parsed.bounce,
        "defects": list(parsed.defects),
    }
    now = clock.now()
    sane = parsed.date is not None and now - timedelta(days=30) <= parsed.date <= now
    event = InboundEvent(
        organization_id=channel.organization_id,
        channel_id=channel.id,
        channel_kind=channel.kind,
        # A bounce is about an earlier message: a system line, never a customer's words.
        happening=Happening.notice if parsed.bounce else Happening.message,
        sender=Sender(
            identities=((IdentityKind.email, email),) if email else (),
            name=name,
            email=email,
        ),
        provider_message_id=provider_id(parsed),
        text=parsed.text,
        html=parsed.html,
        subject=parsed.subject or None,
        attachments=attachments,
        # The message's own id is a hint too: a reply that arrived before it has registered it.
        thread=ThreadHints(
            own_keys=own, refers_to=own + parsed.refers_to, interaction_id=found.interaction_id
        ),
        occurred_at=parsed.date if sane else None,
        data=data,
        automated=automated,
    )
    events = [event]
    if parsed.bounce and parsed.bounce_failed:
        # The outbound messages it bounces are marked failed (never moved back from there).
        for bounced in parsed.bounced_ids:
            events.append(
                replace(
                    event,
                    happening=Happening.status,
                    provider_message_id=None,
                    status=StatusUpdate(
                        bounced, DeliveryStatus.failed, "bounced: " + parsed.subject
                    ),
                )
            )
    return events


def _valid(address: str | None) -> str | None:
    address = (address or "").strip().strip("<>").lower()
    return address if "@" in address and " " not in address else None


async def deliver(
    svc: Services, parsed: ParsedEmail, *, recipients: list[str], envelope_from: str | None
) -> list[IngestResult] | None:
    """Store the email for every organization it reaches; returns after the commit.

    None when no recipient is (still) ours. A unique-constraint race with a concurrent delivery
    of the same message rolls back and retries, and the retry finds the stored message.
    """
    for attempt in range(ATTEMPTS):
        try:
            async with svc.db.transaction() as session:
                return await _deliver(svc, session, parsed, recipients, envelope_from)
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
            log.info("email %s: concurrent delivery, retrying", parsed.message_id)
    return None  # pragma: no cover - the loop returns or raises


async def _deliver(
    svc: Services,
    session: AsyncSession,
    parsed: ParsedEmail,
    recipients: list[str],
    envelope_from: str | None,
) -> list[IngestResult] | None:
    settings = svc.settings
    routes: list[Route] = []
    for address in recipients:
        found = await route(
            session, secret_key=settings.secret_key, domain=settings.email_domain, address=address
        )
        if found is not None:
            routes.append(found)
    if not routes:
        return None
    results: list[IngestResult] = []
    for found in one_per_organization(routes):
        if await _already_stored(session, found.channel, provider_id(parsed)):
            results.append(IngestResult(None, None, None, duplicate=True))
            continue
        files = [
            await do_store_file(
                session,
                organization_id=found.channel.organization_id,
                filename=part.filename,
                content_type=part.content_type,
                data=part.data,
            )
            for part in parsed.attachments
        ]
        attachments = tuple(
            Attachment(
                f.filename, f.content_type, f.size, storage_key=str(f.id), content_id=p.content_id
            )
            for f, p in zip(files, parsed.attachments, strict=True)
        )
        for event in events_for(
            found, parsed, envelope_from=envelope_from, attachments=attachments
        ):
            result = await do_ingest(session, event=event)
            if result.duplicate:
                await _discard(session, files)  # stored meanwhile by a concurrent delivery
            results.append(result)
    return results


async def _already_stored(session: AsyncSession, channel: Channel, pid: str) -> bool:
    stmt = select(Message.id).where(
        Message.channel_id == channel.id, Message.provider_message_id == pid
    )
    return (await session.execute(stmt)).first() is not None


async def _discard(session: AsyncSession, files: list[StoredFile]) -> None:
    for stored in files:
        await session.delete(stored)
    await session.flush()
