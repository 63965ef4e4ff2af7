"""Reading interactions: the filtered list, one interaction with its transcript and feed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import access_interaction, visibility_clause, visible_queue_ids
from parley.actors import Actor
from parley.models import Activity, Contact, Interaction, InteractionTag, Message, Tag
from parley.models.enums import CommunicationType, Direction, MessageKind, State
from parley.queries.pagination import Cursor, after, like_pattern


@dataclass(frozen=True)
class InteractionFilter:
    status: str | None = None  # "open" | "closed"
    states: tuple[State, ...] = ()
    queue_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    channel_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    communication_type: CommunicationType | None = None
    direction: Direction | None = None
    tag: str | None = None
    text: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True)
class Page:
    items: list[Interaction]
    next_cursor: str | None


def _conditions(organization_id: uuid.UUID, f: InteractionFilter) -> list[ColumnElement[bool]]:
    i = Interaction
    where: list[ColumnElement[bool]] = [i.organization_id == organization_id]
    if f.status == "open":
        where.append(i.state != State.completed)
    elif f.status == "closed":
        where.append(i.state == State.completed)
    if f.states:
        where.append(i.state.in_(f.states))
    if f.queue_id:
        where.append(i.queue_id == f.queue_id)
    if f.assignee_id:
        where.append(i.assignee_id == f.assignee_id)
    if f.unassigned:
        where.append(i.assignee_id.is_(None))
    if f.channel_id:
        where.append(i.channel_id == f.channel_id)
    if f.contact_id:
        where.append(i.contact_id == f.contact_id)
    if f.communication_type:
        where.append(i.communication_type == f.communication_type)
    if f.direction:
        where.append(i.direction == f.direction)
    if f.created_after:
        where.append(i.created_at >= f.created_after)
    if f.created_before:
        where.append(i.created_at < f.created_before)
    if f.tag:
        where.append(
            exists().where(
                InteractionTag.interaction_id == i.id,
                InteractionTag.tag_id == Tag.id,
                Tag.name == f.tag.strip().lower(),
            )
        )
    if f.text:
        where.append(_text_match(organization_id, f.text))
    return where


def _text_match(organization_id: uuid.UUID, text: str) -> ColumnElement[bool]:
    """Subject, contact name or email, any message text, or the interaction number (#42)."""
    pattern = like_pattern(text.strip())
    matches: list[ColumnElement[bool]] = [
        Interaction.subject.ilike(pattern, escape="\\"),
        exists().where(
            Contact.id == Interaction.contact_id,
            or_(
                Contact.name.ilike(pattern, escape="\\"),
                Contact.email.ilike(pattern, escape="\\"),
            ),
        ),
        exists().where(
            Message.interaction_id == Interaction.id,
            Message.organization_id == organization_id,
            Message.text.ilike(pattern, escape="\\"),
        ),
    ]
    number = text.strip().lstrip("#")
    if number.isdigit() and len(number) < 10:
        matches.append(Interaction.number == int(number))
    return or_(*matches)


async def list_interactions(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    filters: InteractionFilter,
    limit: int = 50,
    cursor: str | None = None,
    viewer: Actor | None = None,
) -> Page:
    start = Cursor.decode(cursor) if cursor else None
    stmt = (
        select(Interaction)
        .where(*_conditions(organization_id, filters))
        .where(*await _visible(session, viewer))
        .where(after(start, Interaction.created_at, Interaction.id))
        .order_by(Interaction.created_at.desc(), Interaction.id.desc())
        .limit(limit + 1)
    )
    rows = list((await session.execute(stmt)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = Cursor(rows[-1].created_at, rows[-1].id).encode() if more and rows else None
    return Page(rows, next_cursor)


async def _visible(session: AsyncSession, viewer: Actor | None) -> list[ColumnElement[bool]]:
    """Who is looking narrows what exists (see parley/access.py)."""
    if viewer is None:
        return []
    clause = visibility_clause(viewer, await visible_queue_ids(session, viewer))
    return [] if clause is None else [clause]


async def count_interactions(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    filters: InteractionFilter,
    viewer: Actor | None = None,
) -> int:
    stmt = (
        select(func.count())
        .select_from(Interaction)
        .where(*_conditions(organization_id, filters))
        .where(*await _visible(session, viewer))
    )
    return int((await session.execute(stmt)).scalar_one())


async def interaction_detail(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    interaction_id: uuid.UUID | str,
    include_notes: bool = True,
    viewer: Actor | None = None,
) -> tuple[Interaction, list[Message], list[Activity]]:
    interaction = await access_interaction(
        session, organization_id=organization_id, interaction_id=interaction_id, viewer=viewer
    )
    return (
        interaction,
        await messages_of(session, interaction, include_notes),
        await activity_of(session, interaction),
    )


async def messages_of(
    session: AsyncSession, interaction: Interaction, include_notes: bool = True
) -> list[Message]:
    stmt = (
        select(Message)
        .where(
            Message.interaction_id == interaction.id,
            Message.organization_id == interaction.organization_id,
        )
        .order_by(Message.seq)
    )
    if not include_notes:
        stmt = stmt.where(Message.kind != MessageKind.note)
    return list((await session.execute(stmt)).scalars())


async def activity_of(session: AsyncSession, interaction: Interaction) -> list[Activity]:
    stmt = (
        select(Activity)
        .where(
            Activity.interaction_id == interaction.id,
            Activity.organization_id == interaction.organization_id,
        )
        .order_by(Activity.created_at, Activity.id)
    )
    return list((await session.execute(stmt)).scalars())
