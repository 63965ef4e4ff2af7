"""Reading contacts, queues, people, API keys and tags of one organization."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import access_contact, access_member, access_queue
from parley.models import (
    AgentProfile,
    ApiKey,
    Contact,
    ContactIdentity,
    Membership,
    Queue,
    QueueMember,
    Tag,
    User,
)
from parley.models.enums import Presence
from parley.queries.pagination import Cursor, after, like_pattern
from parley.schemas.contacts import QueueRead, UserRead


async def list_contacts(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    text: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Contact], str | None]:
    start = Cursor.decode(cursor) if cursor else None
    stmt = (
        select(Contact)
        .where(Contact.organization_id == organization_id, Contact.merged_into_id.is_(None))
        .where(after(start, Contact.created_at, Contact.id))
        .order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(limit + 1)
    )
    if text:
        pattern = like_pattern(text.strip())
        stmt = stmt.where(
            or_(
                Contact.name.ilike(pattern, escape="\\"),
                Contact.email.ilike(pattern, escape="\\"),
                Contact.phone.ilike(pattern, escape="\\"),
            )
        )
    rows = list((await session.execute(stmt)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (Cursor(rows[-1].created_at, rows[-1].id).encode() if more and rows else None)


async def contact_with_identities(
    session: AsyncSession, *, organization_id: uuid.UUID, contact_id: str
) -> tuple[Contact, list[ContactIdentity]]:
    contact = await access_contact(session, organization_id=organization_id, contact_id=contact_id)
    stmt = (
        select(ContactIdentity)
        .where(
            ContactIdentity.contact_id == contact.id,
            ContactIdentity.organization_id == organization_id,
        )
        .order_by(ContactIdentity.kind, ContactIdentity.value)
    )
    return contact, list((await session.execute(stmt)).scalars())


async def queue_reads(
    session: AsyncSession, *, organization_id: uuid.UUID, queue_id: uuid.UUID | None = None
) -> list[QueueRead]:
    stmt = select(Queue).where(Queue.organization_id == organization_id).order_by(Queue.name)
    if queue_id is not None:
        stmt = stmt.where(Queue.id == queue_id)
    queues = list((await session.execute(stmt)).scalars())
    members: dict[uuid.UUID, list[uuid.UUID]] = {q.id: [] for q in queues}
    if queues:
        rows = await session.execute(
            select(QueueMember.queue_id, QueueMember.user_id).where(
                QueueMember.queue_id.in_(members), QueueMember.organization_id == organization_id
            )
        )
        for qid, uid in rows:
            members[qid].append(uid)
    return [
        QueueRead.model_validate(q).model_copy(update={"member_ids": sorted(members[q.id])})
        for q in queues
    ]


async def queue_read(
    session: AsyncSession, *, organization_id: uuid.UUID, queue_id: uuid.UUID | str
) -> QueueRead:
    """One queue with its members; another organization's queue is 404."""
    queue = await access_queue(session, organization_id=organization_id, queue_id=queue_id)
    return (await queue_reads(session, organization_id=organization_id, queue_id=queue.id))[0]


def _user_read(user: User, membership: Membership, profile: AgentProfile | None) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        name=user.name,
        role=membership.role,
        presence=profile.presence if profile else Presence.offline,
        capacity=profile.capacity if profile else {},
        skills=profile.skills if profile else {},
    )


def members_with_profiles(organization_id: uuid.UUID) -> Select[User, Membership, AgentProfile]:
    """(user, membership, agent profile or None) for each member, by name."""
    return (
        select(User, Membership, AgentProfile)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(
            AgentProfile,
            (AgentProfile.user_id == User.id)
            & (AgentProfile.organization_id == Membership.organization_id),
        )
        .where(Membership.organization_id == organization_id)
        .order_by(User.name, User.id)
    )


async def user_reads(session: AsyncSession, *, organization_id: uuid.UUID) -> list[UserRead]:
    rows = (await session.execute(members_with_profiles(organization_id))).all()
    return [_user_read(u, m, p) for u, m, p in rows]


async def user_read(
    session: AsyncSession, *, organization_id: uuid.UUID, user_id: uuid.UUID | str
) -> UserRead:
    user, membership = await access_member(
        session, organization_id=organization_id, user_id=user_id
    )
    stmt = select(AgentProfile).where(
        AgentProfile.user_id == user.id, AgentProfile.organization_id == organization_id
    )
    return _user_read(user, membership, (await session.execute(stmt)).scalar_one_or_none())


async def tag_names(session: AsyncSession, *, organization_id: uuid.UUID) -> list[str]:
    stmt = select(Tag.name).where(Tag.organization_id == organization_id).order_by(Tag.name)
    return list((await session.execute(stmt)).scalars())


async def api_keys_of(session: AsyncSession, organization_id: uuid.UUID) -> list[ApiKey]:
    """Every key of the organization, newest first, revoked ones included."""
    rows = await session.execute(
        select(ApiKey)
        .where(ApiKey.organization_id == organization_id)
        .order_by(ApiKey.created_at.desc(), ApiKey.id)
    )
    return list(rows.scalars())
