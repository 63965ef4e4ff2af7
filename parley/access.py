"""The only way to load an object by an id that came from outside.

Each helper filters by the caller's organization, so another tenant's id behaves exactly like an id
that does not exist: 404, with no hint that it exists elsewhere. Interactions are also filtered by
who is looking (``viewer``): admins and integrations see all; supervisors and agents see their
queues' interactions, their own, and unrouted ones (no queue and no assignee: automation is
handling them and any person may take over); anything else is just as absent.

``lock=True`` takes a row lock (SELECT ... FOR UPDATE on PostgreSQL; SQLite write transactions are
already serialized) and reloads the row, so lifecycle commands decide on the current state.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actors import Actor
from parley.errors import NotFound
from parley.models import (
    AiAgent,
    ApiKey,
    Channel,
    Contact,
    Faq,
    Flow,
    Interaction,
    KnowledgeCollection,
    Membership,
    Message,
    Organization,
    OrganizationSecret,
    Procedure,
    Queue,
    QueueMember,
    Resource,
    Review,
    ScheduledMessage,
    Scorecard,
    StoredFile,
    User,
)
from parley.models.enums import ActorType, Role

T = TypeVar(
    "T",
    Interaction,
    Contact,
    Queue,
    Message,
    Channel,
    ApiKey,
    Flow,
    Procedure,
    AiAgent,
    OrganizationSecret,
    KnowledgeCollection,
    Faq,
    Resource,
    Scorecard,
    Review,
    ScheduledMessage,
    StoredFile,
)


async def _scoped(
    session: AsyncSession,
    model: type[T],
    organization_id: uuid.UUID,
    object_id: uuid.UUID | str,
    what: str,
    *,
    lock: bool = False,
) -> T:
    oid = parse_id(object_id, what)
    stmt: Any = select(model).where(model.id == oid, model.organization_id == organization_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found: T | None = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"{what} not found")
    return found


def parse_id(value: uuid.UUID | str, what: str) -> uuid.UUID:
    """An id from outside, or 404: a malformed id is as unknown as a missing one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError):
        raise NotFound(f"{what} not found") from None


def viewer_of(actor: Actor) -> Actor | None:
    """Whose visibility an action applies: people and API keys. Channel ingest acts for a
    customer already authenticated by the channel (a reply may thread into another contact's
    interaction, as in an email thread), and the system and automation see everything."""
    return actor if actor.type in (ActorType.user, ActorType.api_key) else None


def sees_everything(actor: Actor) -> bool:
    """Admins (people or admin API keys), the system and automation."""
    if actor.type in (ActorType.system, ActorType.automation):
        return True
    return actor.type in (ActorType.user, ActorType.api_key) and actor.has_role(Role.admin)


async def visible_queue_ids(session: AsyncSession, actor: Actor) -> frozenset[uuid.UUID] | None:
    """The queues whose interactions ``actor`` may see; None means every queue and interaction.

    A customer (contact actor) sees no queue, only their own interactions.
    """
    if sees_everything(actor):
        return None
    if actor.user_id is None:
        return frozenset()
    stmt = select(QueueMember.queue_id).where(
        QueueMember.organization_id == actor.organization_id,
        QueueMember.user_id == actor.user_id,
    )
    return frozenset((await session.execute(stmt)).scalars())


def visibility_clause(
    actor: Actor, queue_ids: frozenset[uuid.UUID] | None
) -> ColumnElement[bool] | None:
    """The SQL filter for lists; None when the actor sees everything."""
    if queue_ids is None:
        return None
    if actor.type == ActorType.contact:
        return Interaction.contact_id == actor.id
    mine = Interaction.assignee_id == actor.user_id if actor.user_id else false()
    unrouted = Interaction.queue_id.is_(None) & Interaction.assignee_id.is_(None)
    if actor.user_id is None:  # a limited API key: no queues of its own
        return false()
    if not queue_ids:
        return or_(mine, unrouted)
    return or_(mine, unrouted, Interaction.queue_id.in_(queue_ids))


def may_see(actor: Actor, queue_ids: frozenset[uuid.UUID] | None, interaction: Interaction) -> bool:
    if queue_ids is None:
        return True
    if actor.type == ActorType.contact:
        return interaction.contact_id == actor.id
    if actor.user_id is None:
        return False
    if interaction.assignee_id == actor.user_id:
        return True
    if interaction.queue_id is None:
        return interaction.assignee_id is None
    return interaction.queue_id in queue_ids


async def access_interaction(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    interaction_id: uuid.UUID | str,
    lock: bool = False,
    viewer: Actor | None = None,
) -> Interaction:
    """One interaction of the organization; with ``viewer``, only one they may see (else 404)."""
    found = await _scoped(
        session, Interaction, organization_id, interaction_id, "interaction", lock=lock
    )
    if viewer is not None and not may_see(viewer, await visible_queue_ids(session, viewer), found):
        raise NotFound("interaction not found")
    return found


async def access_interaction_by_number(
    session: AsyncSession, *, organization_id: uuid.UUID, number: int
) -> Interaction:
    stmt = select(Interaction).where(
        Interaction.organization_id == organization_id, Interaction.number == number
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound("interaction not found")
    return found


async def access_message(
    session: AsyncSession, *, organization_id: uuid.UUID, message_id: uuid.UUID | str
) -> Message:
    return await _scoped(session, Message, organization_id, message_id, "message")


async def access_contact(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    contact_id: uuid.UUID | str,
    lock: bool = False,
) -> Contact:
    return await _scoped(session, Contact, organization_id, contact_id, "contact", lock=lock)


async def access_queue(
    session: AsyncSession, *, organization_id: uuid.UUID, queue_id: uuid.UUID | str
) -> Queue:
    return await _scoped(session, Queue, organization_id, queue_id, "queue")


async def access_channel(
    session: AsyncSession, *, organization_id: uuid.UUID, channel_id: uuid.UUID | str
) -> Channel:
    return await _scoped(session, Channel, organization_id, channel_id, "channel")


async def access_member(
    session: AsyncSession, *, organization_id: uuid.UUID, user_id: uuid.UUID | str
) -> tuple[User, Membership]:
    """A user of this organization with their membership; users of other organizations are 404."""
    uid = parse_id(user_id, "user")
    stmt = (
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(User.id == uid, Membership.organization_id == organization_id)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise NotFound("user not found")
    return row[0], row[1]


async def access_api_key(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    api_key_id: uuid.UUID | str,
    lock: bool = False,
) -> ApiKey:
    return await _scoped(session, ApiKey, organization_id, api_key_id, "API key", lock=lock)


async def access_organization_by_slug(session: AsyncSession, *, slug: str) -> Organization:
    found = (
        await session.execute(select(Organization).where(Organization.slug == slug))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"organization {slug!r} not found")
    return found


async def access_flow(
    session: AsyncSession, *, organization_id: uuid.UUID, flow_id: uuid.UUID | str
) -> Flow:
    return await _scoped(session, Flow, organization_id, flow_id, "flow")


async def access_procedure(
    session: AsyncSession, *, organization_id: uuid.UUID, procedure_id: uuid.UUID | str
) -> Procedure:
    return await _scoped(session, Procedure, organization_id, procedure_id, "procedure")


async def access_ai_agent(
    session: AsyncSession, *, organization_id: uuid.UUID, ai_agent_id: uuid.UUID | str
) -> AiAgent:
    return await _scoped(session, AiAgent, organization_id, ai_agent_id, "AI agent")


async def access_secret(
    session: AsyncSession, *, organization_id: uuid.UUID, secret_id: uuid.UUID | str
) -> OrganizationSecret:
    return await _scoped(session, OrganizationSecret, organization_id, secret_id, "secret")


async def access_knowledge_collection(
    session: AsyncSession, *, organization_id: uuid.UUID, collection_id: uuid.UUID | str
) -> KnowledgeCollection:
    return await _scoped(session, KnowledgeCollection, organization_id, collection_id, "collection")


async def access_faq(
    session: AsyncSession, *, organization_id: uuid.UUID, faq_id: uuid.UUID | str
) -> Faq:
    return await _scoped(session, Faq, organization_id, faq_id, "faq")


async def access_resource(
    session: AsyncSession, *, organization_id: uuid.UUID, resource_id: uuid.UUID | str
) -> Resource:
    return await _scoped(session, Resource, organization_id, resource_id, "resource")


async def access_scorecard(
    session: AsyncSession, *, organization_id: uuid.UUID, scorecard_id: uuid.UUID | str
) -> Scorecard:
    return await _scoped(session, Scorecard, organization_id, scorecard_id, "scorecard")


def review_visibility_clause(
    actor: Actor, queue_ids: frozenset[uuid.UUID] | None
) -> ColumnElement[bool] | None:
    """Which coaching reviews ``actor`` may read; None means all of the organization's.

    The coached agent and the reviewer always see a review; supervisors also see reviews of the
    interactions they may see; agents never see their colleagues' coaching.
    """
    if queue_ids is None:
        return None
    if actor.user_id is None:
        return false()
    own = or_(Review.agent_id == actor.user_id, Review.reviewer_id == actor.user_id)
    if not actor.has_role(Role.supervisor):
        return own
    seen = visibility_clause(actor, queue_ids)
    visible = select(Interaction.id).where(
        Interaction.organization_id == actor.organization_id, seen if seen is not None else true()
    )
    return or_(own, Review.interaction_id.in_(visible))


async def access_review(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    review_id: uuid.UUID | str,
    viewer: Actor | None = None,
    lock: bool = False,
) -> Review:
    """One coaching review; with ``viewer``, only one they may read (else 404)."""
    found = await _scoped(session, Review, organization_id, review_id, "review", lock=lock)
    if viewer is None:
        return found
    queue_ids = await visible_queue_ids(session, viewer)
    if queue_ids is None:
        return found
    if viewer.user_id is not None and viewer.user_id in (found.agent_id, found.reviewer_id):
        return found
    if viewer.has_role(Role.supervisor):
        interaction = await session.get(Interaction, found.interaction_id)
        if interaction is not None and may_see(viewer, queue_ids, interaction):
            return found
    raise NotFound("review not found")


async def access_scheduled_message(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    scheduled_id: uuid.UUID | str,
    lock: bool = False,
) -> ScheduledMessage:
    """A reply waiting to be sent. Callers reach it through its interaction (loaded first with
    the viewer's visibility) and check that it belongs there."""
    return await _scoped(
        session, ScheduledMessage, organization_id, scheduled_id, "scheduled message", lock=lock
    )


async def access_file(
    session: AsyncSession, *, organization_id: uuid.UUID, file_id: uuid.UUID | str
) -> StoredFile:
    """An attachment's bytes; callers also check the file belongs to what the caller may see."""
    return await _scoped(session, StoredFile, organization_id, file_id, "file")
