"""Creating interactions, editing their fields, tagging and cloning them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import (
    access_channel,
    access_contact,
    access_interaction,
    access_member,
    access_queue,
    viewer_of,
)
from parley.actions.activity import record_activity
from parley.actors import Actor
from parley.db.base import uuid7
from parley.errors import InvalidInput, ReadOnly
from parley.events import interaction_event
from parley.lifecycle.communication import resolve_subtype
from parley.lifecycle.state_machine import Command, editable_fields, next_state
from parley.models import Interaction, Organization, Tag
from parley.models.enums import CommunicationType, Direction, HandledBy, Priority, State
from parley.routing.triggers import work_queued

MAX_TAGS = 50


async def next_interaction_number(session: AsyncSession, organization_id: uuid.UUID) -> int:
    """Atomically take the organization's next human-friendly number (row-level, both backends)."""
    stmt = (
        update(Organization)
        .where(Organization.id == organization_id)
        .values(interaction_counter=Organization.interaction_counter + 1)
        .returning(Organization.interaction_counter)
        .execution_options(synchronize_session=False)
    )
    return int((await session.execute(stmt)).scalar_one())


async def do_create_interaction(
    session: AsyncSession,
    *,
    actor: Actor,
    direction: Direction,
    communication_type: CommunicationType,
    subtype: str | None = None,
    contact_id: uuid.UUID | None = None,
    channel_id: uuid.UUID | None = None,
    queue_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    subject: str = "",
    priority: Priority = Priority.normal,
    client: Mapping[str, Any] | None = None,
    custom_fields: Mapping[str, Any] | None = None,
    tags: Iterable[str] = (),
    cloned_from_id: uuid.UUID | None = None,
    automated: bool = False,
) -> Interaction:
    """Start an interaction.

    Inbound work starts with automation unless a queue or agent is named; outbound work is created
    by someone who is going to act on it, so it starts assigned (to them, or the named agent) or
    queued when only a queue is given.
    """
    org = actor.organization_id
    if contact_id is not None:
        await access_contact(session, organization_id=org, contact_id=contact_id)
    if channel_id is not None:
        await access_channel(session, organization_id=org, channel_id=channel_id)
    if queue_id is not None:
        await access_queue(session, organization_id=org, queue_id=queue_id)
    if direction == Direction.outbound and assignee_id is None:
        assignee_id = actor.user_id
    if assignee_id is not None:
        await access_member(session, organization_id=org, user_id=assignee_id)

    if assignee_id is not None:
        state = State.assigned
    elif automated and direction == Direction.inbound:
        state = State.automated  # automation answers first; queue_id is where it hands over
    elif queue_id is not None:
        state = State.queued
    elif direction == Direction.inbound:
        state = State.automated
    else:
        raise InvalidInput(
            "an outbound interaction needs an assignee or a queue",
            fields={"assignee_id": "required when no queue_id is given"},
        )

    now = clock.now()
    interaction = Interaction(
        id=uuid7(),
        organization_id=org,
        number=await next_interaction_number(session, org),
        contact_id=contact_id,
        channel_id=channel_id,
        communication_type=communication_type,
        subtype=resolve_subtype(communication_type, subtype),
        direction=direction,
        state=state,
        queue_id=queue_id,
        assignee_id=assignee_id,
        priority=priority,
        subject=subject,
        client=dict(client or {}),
        custom_fields=dict(custom_fields or {}),
        cloned_from_id=cloned_from_id,
        created_at=now,
        updated_at=now,
        queued_at=now if state == State.queued else None,
        assigned_at=now if state == State.assigned else None,
        handled_by=HandledBy.human if state == State.assigned else None,
        keywords=[],
        tag_rows=[],
    )
    session.add(interaction)
    await session.flush()
    names = _clean_tags(tags)
    if names:
        interaction.tag_rows.extend(await _tags_named(session, org, names))
    record_activity(
        session,
        interaction,
        "created",
        actor,
        direction=direction,
        state=state,
        communication_type=communication_type,
        queue_id=queue_id,
        assignee_id=assignee_id,
        cloned_from_id=cloned_from_id,
    )
    interaction_event(session, interaction, "interaction.created")
    if state == State.queued:
        await work_queued(session, interaction)
    return interaction


async def do_edit_interaction(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> Interaction:
    """Change editable fields. After completion only the classification of the work may change."""
    interaction = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        lock=True,
        viewer=viewer_of(actor),
    )
    allowed = editable_fields(interaction.state)
    refused = sorted(set(changes) - allowed)
    if refused:
        if interaction.state == State.completed:
            raise ReadOnly(
                "this interaction is completed; only "
                + ", ".join(sorted(allowed))
                + " can still be edited",
                fields=dict.fromkeys(refused, "not editable after completion"),
            )
        raise InvalidInput(
            "these fields cannot be edited", fields=dict.fromkeys(refused, "not editable")
        )
    changes = dict(changes)
    if "communication_type" in changes or "subtype" in changes:
        kind = CommunicationType(changes.get("communication_type", interaction.communication_type))
        keep = None if "communication_type" in changes else interaction.subtype
        changes["subtype"] = resolve_subtype(kind, changes.get("subtype", keep))
        changes["communication_type"] = kind
    diff: dict[str, dict[str, Any]] = {}
    for name, value in changes.items():
        old = getattr(interaction, name)
        if old != value:
            diff[name] = {"from": old, "to": value}
            setattr(interaction, name, value)
    if not diff:
        return interaction
    interaction.updated_at = clock.now()
    await session.flush()
    record_activity(session, interaction, "edited", actor, changes=diff)
    interaction_event(session, interaction, "interaction.updated", changed=sorted(diff))
    return interaction


async def do_set_tags(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> Interaction:
    """Add and remove tags. Tags stay editable after completion (they classify the work)."""
    interaction = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        lock=True,
        viewer=viewer_of(actor),
    )
    to_add = [n for n in _clean_tags(add) if n not in interaction.tags]
    to_remove = set(_clean_tags(remove)) & set(interaction.tags)
    if len(interaction.tags) + len(to_add) - len(to_remove) > MAX_TAGS:
        raise InvalidInput(f"an interaction can carry at most {MAX_TAGS} tags")
    if not to_add and not to_remove:
        return interaction
    interaction.tag_rows = [t for t in interaction.tag_rows if t.name not in to_remove]
    interaction.tag_rows.extend(await _tags_named(session, actor.organization_id, to_add))
    interaction.tag_rows.sort(key=lambda t: t.name)
    interaction.updated_at = clock.now()
    await session.flush()
    if to_add:
        record_activity(session, interaction, "tagged", actor, tags=to_add)
    if to_remove:
        record_activity(session, interaction, "untagged", actor, tags=sorted(to_remove))
    interaction_event(
        session, interaction, "interaction.tagged", added=to_add, removed=sorted(to_remove)
    )
    return interaction


async def do_clone_interaction(
    session: AsyncSession, *, actor: Actor, interaction_id: uuid.UUID
) -> Interaction:
    """Follow up on completed work: a new, active outbound interaction with the same customer."""
    source = await access_interaction(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        lock=True,
        viewer=viewer_of(actor),
    )
    next_state(source.state, Command.clone)
    clone = await do_create_interaction(
        session,
        actor=actor,
        direction=Direction.outbound,
        communication_type=source.communication_type,
        subtype=_outbound_subtype(source),
        contact_id=source.contact_id,
        channel_id=source.channel_id,
        queue_id=source.queue_id,
        assignee_id=actor.user_id,
        subject=source.subject,
        priority=source.priority,
        custom_fields=source.custom_fields,
        tags=source.tags,
        cloned_from_id=source.id,
    )
    record_activity(session, source, "cloned", actor, clone_id=clone.id, clone_number=clone.number)
    interaction_event(session, source, "interaction.cloned", clone_id=str(clone.id))
    return clone


def _outbound_subtype(source: Interaction) -> str:
    if source.communication_type == CommunicationType.voice:
        return "outbound_call"
    return source.subtype


def _clean_tags(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in names:
        name = " ".join(raw.strip().lower().split())
        if not name:
            continue
        if len(name) > 64:
            raise InvalidInput("a tag is at most 64 characters", fields={"tags": name[:64]})
        if name not in out:
            out.append(name)
    return out


async def _tags_named(session: AsyncSession, org: uuid.UUID, names: list[str]) -> list[Tag]:
    """The organization's tags with these names, creating missing ones (safe under races)."""
    if not names:
        return []
    stmt = select(Tag).where(Tag.organization_id == org, Tag.name.in_(names))
    found = {t.name: t for t in (await session.execute(stmt)).scalars()}
    for name in names:
        if name in found:
            continue
        try:
            async with session.begin_nested():
                tag = Tag(organization_id=org, name=name, created_at=clock.now())
                session.add(tag)
            found[name] = tag
        except IntegrityError:
            # Another transaction created it first; use theirs.
            again = select(Tag).where(Tag.organization_id == org, Tag.name == name)
            found[name] = (await session.execute(again)).scalar_one()
    return [found[n] for n in names]
