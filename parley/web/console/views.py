"""Reading what the console pages show, through the same queries and access helpers as the API.

The functions return plain view models (dataclasses over the API's Read schemas) so templates
never reach into the ORM and every name shown next to an id is resolved in one query per kind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import nh3
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import (
    access_ai_agent,
    access_interaction,
    access_interaction_by_number,
    visible_queue_ids,
)
from parley.actors import Actor
from parley.errors import NotFound
from parley.models import (
    Activity,
    Channel,
    Contact,
    Membership,
    Message,
    Queue,
    ScheduledMessage,
    User,
)
from parley.models.enums import CommunicationType, ScheduledStatus, State
from parley.queries import interactions as q
from parley.queries.scheduled import scheduled_on
from parley.schemas.interactions import InteractionRead
from parley.web.console import facts
from parley.web.console.common import readable_time
from parley.web.console.facts import Fact

PAGE_SIZE = 50
EMAIL_TAGS = set(nh3.ALLOWED_TAGS) - {"img"}


@dataclass(frozen=True)
class Names:
    """Display names for the ids a page shows."""

    contacts: dict[uuid.UUID, Contact] = field(default_factory=dict)
    queues: dict[uuid.UUID, str] = field(default_factory=dict)
    users: dict[uuid.UUID, str] = field(default_factory=dict)
    channels: dict[uuid.UUID, Channel] = field(default_factory=dict)

    def contact(self, cid: uuid.UUID | None) -> str:
        found = self.contacts.get(cid) if cid else None
        if found is None:
            return "Unknown contact"
        return found.name or found.email or found.phone or "Unnamed contact"

    def queue(self, qid: uuid.UUID | None) -> str:
        return self.queues.get(qid, "—") if qid else "—"

    def user(self, uid: uuid.UUID | None) -> str:
        return self.users.get(uid, "—") if uid else "—"

    def channel(self, cid: uuid.UUID | None) -> str:
        found = self.channels.get(cid) if cid else None
        return found.name if found else "—"


async def names_for(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    contact_ids: Iterable[uuid.UUID | None] = (),
) -> Names:
    """Every queue, member and channel of the organization (small sets) and the given contacts."""
    org = organization_id
    wanted = {c for c in contact_ids if c}
    contacts = {}
    if wanted:
        rows = await session.execute(
            select(Contact).where(Contact.organization_id == org, Contact.id.in_(wanted))
        )
        contacts = {c.id: c for c in rows.scalars()}
    queues = dict(
        (
            await session.execute(select(Queue.id, Queue.name).where(Queue.organization_id == org))
        ).all()
    )
    users = dict(
        (
            await session.execute(
                select(User.id, User.name)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organization_id == org)
            )
        ).all()
    )
    channels = {
        c.id: c
        for c in (
            await session.execute(select(Channel).where(Channel.organization_id == org))
        ).scalars()
    }
    return Names(contacts, queues, users, channels)


@dataclass(frozen=True)
class ListFilters:
    status: str = "open"
    queue: str = ""
    assignee: str = ""
    channel: str = ""
    state: str = ""
    search: str = ""
    cursor: str = ""

    @classmethod
    def from_query(cls, params: dict[str, str]) -> ListFilters:
        def get(name: str, limit: int = 200) -> str:
            return params.get(name, "").replace("\x00", "").strip()[:limit]

        status = "closed" if get("status") == "closed" else "open"
        return cls(
            status,
            get("queue"),
            get("assignee"),
            get("channel"),
            get("state"),
            get("q"),
            get("cursor"),
        )

    def query(self, actor: Actor) -> q.InteractionFilter:
        assignee, unassigned = None, False
        if self.assignee == "me":
            assignee = actor.user_id
        elif self.assignee == "none":
            unassigned = True
        else:
            assignee = _uuid(self.assignee)
        states = (State(self.state),) if self.state in State.__members__ else ()
        return q.InteractionFilter(
            status=self.status,
            states=states,
            queue_id=_uuid(self.queue),
            assignee_id=assignee,
            unassigned=unassigned,
            channel_id=_uuid(self.channel),
            text=self.search or None,
        )


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Row:
    item: InteractionRead
    contact: str
    queue: str
    assignee: str
    channel: str


@dataclass(frozen=True)
class ListPage:
    rows: list[Row]
    next_cursor: str | None
    open_count: int
    closed_count: int
    names: Names


async def interaction_list(
    session: AsyncSession, *, actor: Actor, filters: ListFilters
) -> ListPage:
    org = actor.organization_id
    wanted = filters.query(actor)
    try:
        page = await q.list_interactions(
            session,
            organization_id=org,
            viewer=actor,
            filters=wanted,
            limit=PAGE_SIZE,
            cursor=filters.cursor or None,
        )
    except Exception:  # a stale or forged cursor: start from the top rather than fail
        page = await q.list_interactions(
            session, organization_id=org, viewer=actor, filters=wanted, limit=PAGE_SIZE
        )
    counts = {}
    for status in ("open", "closed"):
        tab = q.InteractionFilter(**{**wanted.__dict__, "status": status})
        counts[status] = await q.count_interactions(
            session, organization_id=org, filters=tab, viewer=actor
        )
    names = await names_for(session, org, contact_ids=(i.contact_id for i in page.items))
    rows = [
        Row(
            InteractionRead.model_validate(i),
            names.contact(i.contact_id),
            names.queue(i.queue_id),
            names.user(i.assignee_id),
            names.channel(i.channel_id),
        )
        for i in page.items
    ]
    return ListPage(rows, page.next_cursor, counts["open"], counts["closed"], names)


async def visible_queues(session: AsyncSession, actor: Actor) -> list[Queue]:
    visible = await visible_queue_ids(session, actor)
    stmt = select(Queue).where(Queue.organization_id == actor.organization_id)
    if visible is not None:
        stmt = stmt.where(Queue.id.in_(visible))
    return list((await session.execute(stmt.order_by(Queue.position, Queue.name))).scalars())


@dataclass(frozen=True)
class MessageView:
    message: Message
    clean_html: str | None


@dataclass(frozen=True)
class ActivityView:
    activity: Activity
    summary: str


@dataclass(frozen=True)
class InteractionView:
    item: InteractionRead
    contact: Contact | None
    channel: Channel | None
    names: Names
    messages: list[MessageView]
    activity: list[ActivityView]
    transfer_queues: list[Queue]
    client: list[Fact]
    client_note: str | None
    """Why there is no client environment (only web chats report one)."""
    ai: list[Fact]
    analytics: list[Fact]
    """Empty until the insight job has run."""
    metadata: list[tuple[str, str]]
    scheduled: list[ScheduledMessage]
    """Replies waiting to be sent later, soonest first."""

    @property
    def last_seq(self) -> int:
        return self.messages[-1].message.seq if self.messages else 0

    @property
    def type_text(self) -> str:
        return facts.type_text(self.item)

    @property
    def duration_text(self) -> str:
        return facts.duration_text(self.item)


def clean_email_html(html: str | None) -> str | None:
    """Email HTML, sanitized (no scripts, handlers, styles or javascript: links); shown in a
    sandboxed frame. Re-cleaned here whatever ingest did, so a bypass there is not enough."""
    if not html:
        return None
    # No images: remote ones are tracking pixels (and refused by the CSP), relative ones broken.
    return nh3.clean(html, tags=EMAIL_TAGS, url_schemes={"http", "https", "mailto"})


async def find_interaction(session: AsyncSession, *, actor: Actor, number: int) -> uuid.UUID:
    """The interaction with this number that ``actor`` may see (else NotFound)."""
    found = await access_interaction_by_number(
        session, organization_id=actor.organization_id, number=number
    )
    await access_interaction(
        session, organization_id=actor.organization_id, interaction_id=found.id, viewer=actor
    )
    return found.id


def _summary(activity: Activity, names: Names) -> str:
    data = activity.data or {}
    parts = []
    for key, value in data.items():
        if key.endswith("_id") or key in ("message_id", "seq", "interaction_id"):
            if key == "queue_id":
                parts.append(f"queue {names.queue(_uuid(str(value)))}")
            elif key == "user_id":
                parts.append(f"agent {names.user(_uuid(str(value)))}")
            continue
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            text = readable_time(value) or str(value)
            if _uuid(text) is None and text:
                parts.append(f"{key.replace('_', ' ')}: {text[:120]}")
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, str) for v in value)
            and _uuid(value[0]) is None
        ):
            parts.append(f"{key.replace('_', ' ')}: {', '.join(value)[:200]}")
    return "; ".join(parts)


async def interaction_view(
    session: AsyncSession, *, actor: Actor, interaction_id: uuid.UUID
) -> InteractionView:
    interaction, messages, activity = await q.interaction_detail(
        session,
        organization_id=actor.organization_id,
        interaction_id=interaction_id,
        viewer=actor,
    )
    read = InteractionRead.model_validate(interaction)
    names = await names_for(session, actor.organization_id, contact_ids=[read.contact_id])
    channel = names.channels.get(read.channel_id) if read.channel_id else None
    client, client_note = facts.client_facts(read, channel)
    known = {k for _, k in facts.CLIENT_FIELDS}
    metadata = [(str(k), _scalar(v)) for k, v in sorted(read.client.items()) if k not in known]
    metadata += [(str(k), _scalar(v)) for k, v in sorted(read.custom_fields.items())]
    return InteractionView(
        item=read,
        contact=names.contacts.get(read.contact_id) if read.contact_id else None,
        channel=channel,
        names=names,
        messages=[MessageView(m, clean_email_html(m.html)) for m in messages],
        activity=[ActivityView(a, _summary(a, names)) for a in activity],
        transfer_queues=await _all_queues(session, actor.organization_id),
        client=client,
        client_note=client_note,
        ai=facts.usage_facts(read, await _ai_agent_name(session, actor.organization_id, read)),
        analytics=facts.analytics_facts(read),
        metadata=metadata,
        scheduled=await scheduled_on(session, interaction, [ScheduledStatus.scheduled]),
    )


async def _ai_agent_name(
    session: AsyncSession, organization_id: uuid.UUID, read: InteractionRead
) -> str | None:
    if read.ai_agent_id is None:
        return None
    try:
        found = await access_ai_agent(
            session, organization_id=organization_id, ai_agent_id=read.ai_agent_id
        )
    except NotFound:
        # A deleted agent leaves its id behind: say so rather than show nothing.
        return "(deleted AI agent)"
    return found.name


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


async def _all_queues(session: AsyncSession, organization_id: uuid.UUID) -> list[Queue]:
    stmt = select(Queue).where(Queue.organization_id == organization_id)
    return list((await session.execute(stmt.order_by(Queue.position, Queue.name))).scalars())


async def messages_after(
    session: AsyncSession, *, actor: Actor, interaction_id: uuid.UUID, after_seq: int
) -> list[MessageView]:
    interaction = await access_interaction(
        session, organization_id=actor.organization_id, interaction_id=interaction_id, viewer=actor
    )
    rows = await q.messages_of(session, interaction)
    return [MessageView(m, clean_email_html(m.html)) for m in rows if m.seq > after_seq]


COMMUNICATION_TYPES = [c.value for c in CommunicationType]
STATES = [s.value for s in State]
