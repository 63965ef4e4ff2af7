"""Lookups the flow engine needs: the sender's contact, the interaction a message is threaded to,
and the contact's latest interactions. All scoped to the event's organization."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actions.contacts import contact_by_identity, do_create_contact, normalize_identity
from parley.actors import Actor
from parley.errors import Conflict
from parley.flows.engine import Candidate
from parley.ingest.event import InboundEvent, Sender
from parley.models import Contact, ContactIdentity, Interaction, ThreadKey
from parley.models.enums import ChannelKind


async def serialize_sender(
    session: AsyncSession, *, organization_id: uuid.UUID, sender: Sender
) -> None:
    """Hold a transaction-scoped lock for this sender on PostgreSQL.

    Without it, concurrent deliveries from one customer (a provider's retries, or two quick
    messages) would each decide find-or-create before the other commits, and each create an
    interaction. SQLite needs nothing: its write transactions are serialized (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name != "postgresql" or not sender.identities:
        return
    kind, value = sender.identities[0]
    key = f"{organization_id}:{kind}:{normalize_identity(kind, value)}".encode()
    lock_id = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def candidate_of(interaction: Interaction) -> Candidate:
    return Candidate(
        id=interaction.id,
        state=interaction.state,
        channel_id=interaction.channel_id,
        communication_type=interaction.communication_type,
        last_message_at=interaction.last_message_at,
        last_customer_message_at=interaction.last_customer_message_at,
        completed_at=interaction.completed_at,
        tags=tuple(interaction.tags),
    )


async def resolve_contact(
    session: AsyncSession, *, organization_id: uuid.UUID, sender: Sender
) -> Contact:
    """The contact behind any of the sender's identities, created (with them all) when new.

    Identities the contact did not have yet are added, unless they belong to someone else.
    """
    for kind, value in sender.identities:
        found = await contact_by_identity(
            session, organization_id=organization_id, kind=kind, value=value
        )
        if found is not None:
            contact = found
            break
    else:
        try:
            async with session.begin_nested():
                return await do_create_contact(
                    session,
                    actor=Actor.system(organization_id),
                    name=sender.name,
                    email=sender.email,
                    phone=sender.phone,
                    identities=sender.identities,
                )
        except (IntegrityError, Conflict):
            # The same new customer wrote twice at once, or an identity belongs elsewhere.
            return await resolve_contact(
                session, organization_id=organization_id, sender=_first(sender)
            )
    if not contact.name and sender.name:
        contact.name = sender.name
    for kind, value in sender.identities:
        normalized = normalize_identity(kind, value)
        exists = await session.execute(
            select(ContactIdentity.id).where(
                ContactIdentity.organization_id == organization_id,
                ContactIdentity.kind == kind,
                ContactIdentity.value == normalized,
            )
        )
        if exists.first() is None:
            try:
                async with session.begin_nested():
                    session.add(
                        ContactIdentity(
                            organization_id=organization_id,
                            contact_id=contact.id,
                            kind=kind,
                            value=normalized,
                            created_at=clock.now(),
                        )
                    )
            except IntegrityError:
                pass
    return contact


def _first(sender: Sender) -> Sender:
    """The sender reduced to its first identity, which the retry finds or creates alone."""
    return Sender(identities=sender.identities[:1], name=sender.name)


async def threaded_interaction(session: AsyncSession, event: InboundEvent) -> Interaction | None:
    """The interaction this event is inherently part of, if any."""
    org = event.organization_id
    if event.thread.interaction_id is not None:
        stmt = select(Interaction).where(
            Interaction.id == event.thread.interaction_id, Interaction.organization_id == org
        )
        found = (await session.execute(stmt)).scalar_one_or_none()
        if found is not None:
            return found
    if not event.thread.refers_to:
        return None
    # Email Message-IDs are global, so an email reply finds the thread whichever of the
    # organization's channels sent the message it answers (a form's emailed reply, say).
    # Other keys (chat sessions, call sids) only mean something on their own channel.
    same_channel = (
        []
        if event.channel_kind == ChannelKind.email
        else [ThreadKey.channel_id == event.channel_id]
    )
    stmt = (
        select(Interaction)
        .join(ThreadKey, ThreadKey.interaction_id == Interaction.id)
        .where(
            ThreadKey.organization_id == org,
            *same_channel,
            ThreadKey.key.in_(event.thread.refers_to),
            Interaction.organization_id == org,
        )
        .order_by(Interaction.created_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def latest_interaction(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    contact_id: uuid.UUID,
    channel_id: uuid.UUID | None,
) -> Interaction | None:
    stmt = (
        select(Interaction)
        .where(Interaction.organization_id == organization_id, Interaction.contact_id == contact_id)
        .order_by(Interaction.created_at.desc(), Interaction.id.desc())
        .limit(1)
    )
    if channel_id is not None:
        stmt = stmt.where(Interaction.channel_id == channel_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_thread_keys(
    session: AsyncSession, *, event: InboundEvent, interaction_id: uuid.UUID, keys: tuple[str, ...]
) -> None:
    """Remember keys under which later messages find this interaction (first writer wins)."""
    for key in dict.fromkeys(k[:500] for k in keys if k):
        exists = await session.execute(
            select(ThreadKey.id).where(
                ThreadKey.channel_id == event.channel_id, ThreadKey.key == key
            )
        )
        if exists.first() is not None:
            continue
        try:
            async with session.begin_nested():
                session.add(
                    ThreadKey(
                        organization_id=event.organization_id,
                        channel_id=event.channel_id,
                        key=key,
                        interaction_id=interaction_id,
                        created_at=clock.now(),
                    )
                )
        except IntegrityError:
            pass
