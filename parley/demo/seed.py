"""The demo organization: a lived-in outdoor-gear shop, seeded through the real actions.

Conversations go through the same actions the API uses, so their activity feed, outbox events,
counters and timestamps are what real traffic would have produced; the injectable clock is moved
along each script so the data spans the last ten days. The whole seed is one transaction: it
either lands completely or not at all, and it does nothing when the ``demo`` organization exists.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actions.contacts import do_create_contact
from parley.actions.interactions import (
    do_clone_interaction,
    do_create_interaction,
    do_set_tags,
)
from parley.actions.lifecycle import do_assign, do_claim, do_complete, do_transfer, do_wrap_up
from parley.actions.messages import do_add_message
from parley.actions.organizations import (
    do_add_member,
    do_create_organization,
    do_create_user,
    user_by_email,
)
from parley.actions.queues import do_create_queue
from parley.actors import Actor
from parley.config import Settings
from parley.db.engine import Database
from parley.demo.automation import do_ready_demo_automation
from parley.demo.content import (
    ASSISTANT_NAME,
    BOT,
    CHANNELS,
    CONTACTS,
    CUSTOMER,
    ORGANIZATION_NAME,
    QUEUES,
    SYSTEM,
    USERS,
    Assign,
    Claim,
    Clone,
    Complete,
    Conversation,
    Note,
    Say,
    Step,
    Survey,
    Tag,
    Transfer,
    When,
    WrapUp,
)
from parley.demo.history import HISTORY
from parley.demo.today import TODAY
from parley.demo.webchat import do_ready_demo_webchat
from parley.ingest.event import Happening, InboundEvent, Sender
from parley.ingest.pipeline import record_epilogue
from parley.lifecycle.communication import OF_CHANNEL
from parley.models import AiAgent, Channel, Contact, Interaction, Organization, Queue, User
from parley.models.enums import ActorType, ChannelKind, HandledBy, MessageRole
from parley.security.passwords import Passwords

DEMO_SLUG = "demo"
# Printed by `parley demo` and published with the source: demo credentials, never real ones.
DEMO_PASSWORD = "parley-demo-2026"  # noqa: S105
CONVERSATIONS: tuple[Conversation, ...] = HISTORY + TODAY
# The shop "opened" (organization, people, queues, channels, contacts) this long before today.
SETUP_DAYS_AGO = 12


async def seed_demo(settings: Settings, *, base_url: str) -> str:
    """Seed the demo organization unless it exists; return how to sign in either way.

    Precondition: the database schema is migrated to head.
    """
    check_conversations(CONVERSATIONS)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            exists = await _demo_exists(session)
            if not exists:
                await seed_into(session, passwords=Passwords.from_settings(settings))
            await do_ready_demo_webchat(session, slug=DEMO_SLUG)  # the widget on /demo/shop
            await do_ready_demo_automation(session, slug=DEMO_SLUG)  # procedures, FAQs, Nova
    finally:
        await db.dispose()
    return sign_in_text(base_url=base_url, created=not exists)


def seed_demo_sync(settings: Settings, *, base_url: str) -> str:
    return asyncio.run(seed_demo(settings, base_url=base_url))


async def _demo_exists(session: AsyncSession) -> bool:
    found = await session.execute(select(Organization.id).where(Organization.slug == DEMO_SLUG))
    return found.first() is not None


def sign_in_text(*, base_url: str, created: bool) -> str:
    org = f"{ORGANIZATION_NAME} (organization: {DEMO_SLUG})"
    status = (
        f"Seeded the demo organization {org}."
        if created
        else f"The demo organization {org} already exists; nothing was changed."
    )
    width = max(len(u.name) for u in USERS)
    return "\n".join(
        [
            status,
            "",
            f"Sign in at {base_url.rstrip('/')}/login as any of:",
            *(f"  {u.role.value:<11} {u.name:<{width}}  {u.email}" for u in USERS),
            f"Password for all of them: {DEMO_PASSWORD}",
            "",
            "These are demo credentials, printed here and published with Parley's source: keep the",
            "demo organization off public servers and never put real customer data in it.",
            "",
            f"API access: `parley apikey create --org {DEMO_SLUG}` prints a new key, once.",
        ]
    )


# --- the content, checked before anything is written ---------------------------------------------


def check_conversations(conversations: tuple[Conversation, ...]) -> None:
    """Raise ValueError if a script names an unknown key or could end in the future.

    A ``days_ago`` script must end by today's midnight, so it lies in the past whatever the time of
    day the seed runs; a ``minutes_ago`` script must fit in its minutes.
    """
    people = {u.key for u in USERS} | {CUSTOMER, BOT, SYSTEM}
    queues, contacts = {q.key for q in QUEUES}, {c.key for c in CONTACTS}
    for conv in conversations:
        where = f"demo conversation {conv.subject!r}"
        names = {conv.opened_by, *(n for s in conv.steps for n in _people_of(s))}
        unknown = names - people
        unknown |= {q for q in [conv.queue, *(_queue_of(s) for s in conv.steps)] if q} - queues
        unknown |= {conv.contact} - contacts
        if unknown:
            raise ValueError(f"{where} names unknown keys: {sorted(unknown)}")
        length = sum(s.after for s in conv.steps)
        if conv.start.days_ago > 0:
            hours, minutes = (int(x) for x in conv.start.hhmm.split(":"))
            budget = conv.start.days_ago * 86_400 - (hours * 3_600 + minutes * 60)
        else:
            budget = conv.start.minutes_ago * 60
        if length > budget:
            raise ValueError(f"{where} runs {length - budget} s into the future")


def _people_of(step: Step) -> list[str]:
    if isinstance(step, Assign | Transfer) and step.to:
        return [step.who, step.to]
    return [step.who]


def _queue_of(step: Step) -> str | None:
    return step.queue if isinstance(step, Transfer) else None


def start_of(when: When, now: datetime) -> datetime:
    if when.days_ago == 0:
        return now - timedelta(minutes=when.minutes_ago)
    hours, minutes = (int(x) for x in when.hhmm.split(":"))
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=when.days_ago) + timedelta(hours=hours, minutes=minutes)


# --- the cast ------------------------------------------------------------------------------------


@dataclass
class Cast:
    """The seeded rows the scripts refer to by key, and who acts for each key."""

    organization: Organization
    users: dict[str, User]
    actors: dict[str, Actor]
    queues: dict[str, Queue]
    channels: dict[ChannelKind, Channel]
    contacts: dict[str, Contact]
    assistant: AiAgent
    """The AI agent the scripts' BOT lines are said by."""

    def actor(self, who: str, conv: Conversation) -> Actor:
        org = self.organization.id
        if who == CUSTOMER:
            contact = self.contacts[conv.contact]
            return Actor(org, ActorType.contact, contact.id, contact.name or "Website visitor")
        if who == BOT:
            return Actor.automation(org, self.assistant.name)
        if who == SYSTEM:
            # An integration posting through the API, named after its channel.
            return Actor.system(org, self.channels[conv.channel].name)
        return self.actors[who]


async def seed_into(session: AsyncSession, *, passwords: Passwords) -> Cast:
    """Write the whole demo into ``session`` (the caller commits). Precondition: no demo yet."""
    now = clock.now()
    opened = start_of(When(days_ago=SETUP_DAYS_AGO, hhmm="08:00"), now)
    with clock.frozen(opened):
        cast = await _seed_cast(session, passwords=passwords)
    await play(session, cast, CONVERSATIONS, now=now)
    return cast


async def _seed_cast(session: AsyncSession, *, passwords: Passwords) -> Cast:
    org = await do_create_organization(session, slug=DEMO_SLUG, name=ORGANIZATION_NAME)
    # The automation first: the scripts' assistant lines are its AI agent's.
    await do_ready_demo_automation(session, slug=DEMO_SLUG)
    assistant = (
        await session.execute(
            select(AiAgent).where(AiAgent.organization_id == org.id, AiAgent.name == ASSISTANT_NAME)
        )
    ).scalar_one()
    users, actors = await _seed_people(session, org, passwords)
    queues = await _seed_queues(session, org, users)
    channels = await _seed_channels(session, org, queues)
    contacts: dict[str, Contact] = {}
    for spec in CONTACTS:
        contacts[spec.key] = await do_create_contact(
            session,
            actor=Actor.system(org.id),
            name=spec.name,
            email=spec.email,
            phone=spec.phone,
            attributes=spec.attributes,
            identities=spec.identities,
        )
    return Cast(org, users, actors, queues, channels, contacts, assistant)


async def _seed_people(
    session: AsyncSession, org: Organization, passwords: Passwords
) -> tuple[dict[str, User], dict[str, Actor]]:
    users: dict[str, User] = {}
    actors: dict[str, Actor] = {}
    for spec in USERS:
        # Reuse an account that already exists elsewhere rather than fail on its email; its
        # password is then whatever its owner set.
        user = await user_by_email(session, spec.email) or await do_create_user(
            session, email=spec.email, name=spec.name, password=DEMO_PASSWORD, passwords=passwords
        )
        await do_add_member(
            session,
            organization_id=org.id,
            user_id=user.id,
            role=spec.role,
            capacity=spec.capacity,
            skills=spec.skills,
        )
        users[spec.key] = user
        actors[spec.key] = Actor(org.id, ActorType.user, user.id, user.name, spec.role)
    return users, actors


async def _seed_queues(
    session: AsyncSession, org: Organization, users: dict[str, User]
) -> dict[str, Queue]:
    queues: dict[str, Queue] = {}
    for spec in QUEUES:
        queues[spec.key] = await do_create_queue(
            session,
            actor=Actor.system(org.id),
            name=spec.name,
            description=spec.description,
            sla_policy=spec.sla_policy,
            wrap_up_timeout_s=spec.wrap_up_timeout_s,
            member_ids=[users[k].id for k in spec.members],
        )
    return queues


async def _seed_channels(
    session: AsyncSession, org: Organization, queues: dict[str, Queue]
) -> dict[ChannelKind, Channel]:
    # No channel action exists yet; the seed is an edge, so it writes the rows itself.
    channels = {
        spec.kind: Channel(
            organization_id=org.id,
            kind=spec.kind,
            name=spec.name,
            is_active=True,
            config=dict(spec.config),
            secrets={},
            default_queue_id=queues[spec.queue].id,
            find_or_create={},
            created_at=clock.now(),
        )
        for spec in CHANNELS
    }
    session.add_all(channels.values())
    await session.flush()
    return channels


# --- the scripts ---------------------------------------------------------------------------------


async def play(
    session: AsyncSession, cast: Cast, conversations: tuple[Conversation, ...], *, now: datetime
) -> None:
    """Run every script, interleaved in time order.

    Interleaving keeps interaction numbers, UUIDv7 ids and ``created_at`` in the same order, as
    they would be for real traffic (a follow-up cloned three days later gets a later number).
    """
    beats: list[tuple[datetime, int, int, Step | None]] = []
    for index, conv in enumerate(conversations):
        at = start_of(conv.start, now)
        beats.append((at, index, 0, None))
        for n, step in enumerate(conv.steps, start=1):
            at += timedelta(seconds=step.after)
            beats.append((at, index, n, step))
    beats.sort(key=lambda beat: beat[:3])
    current: dict[int, Interaction] = {}
    for at, index, _, beat in beats:
        conv = conversations[index]
        with clock.frozen(at):
            if beat is None:
                current[index] = await _open(session, cast, conv)
            else:
                current[index] = await _perform(session, cast, conv, current[index], beat)


async def _open(session: AsyncSession, cast: Cast, conv: Conversation) -> Interaction:
    kind, subtype = OF_CHANNEL[conv.channel]
    return await do_create_interaction(
        session,
        actor=cast.actor(conv.opened_by, conv),
        direction=conv.direction,
        communication_type=kind,
        subtype=conv.subtype or subtype,
        contact_id=cast.contacts[conv.contact].id,
        channel_id=cast.channels[conv.channel].id,
        queue_id=cast.queues[conv.queue].id if conv.queue else None,
        subject=conv.subject,
        priority=conv.priority,
        client=conv.client,
        custom_fields=conv.custom_fields,
        tags=conv.tags,
    )


ROLE_OF = {CUSTOMER: MessageRole.customer, BOT: MessageRole.assistant, SYSTEM: MessageRole.system}


async def _perform(
    session: AsyncSession, cast: Cast, conv: Conversation, interaction: Interaction, step: Step
) -> Interaction:
    """Apply one step; returns the interaction later steps act on (a clone's, after a Clone)."""
    actor = cast.actor(step.who, conv)
    iid = interaction.id
    match step:
        case Say(who=who, text=text):
            await do_add_message(
                session,
                actor=actor,
                interaction_id=iid,
                role=ROLE_OF.get(who, MessageRole.agent),
                text=text,
                channel_id=interaction.channel_id,
            )
            if who == BOT:
                _assisted(interaction, cast.assistant)
        case Note(text=text):
            await do_add_message(
                session,
                actor=actor,
                interaction_id=iid,
                role=MessageRole.agent,
                text=text,
                internal=True,
            )
        case Claim():
            await do_claim(session, actor=actor, interaction_id=iid)
        case Assign(to=to):
            await do_assign(session, actor=actor, interaction_id=iid, user_id=cast.users[to].id)
        case Transfer(queue=queue, to=to, note=text):
            await do_transfer(
                session,
                actor=actor,
                interaction_id=iid,
                note=text,
                queue_id=cast.queues[queue].id if queue else None,
                user_id=cast.users[to].id if to else None,
            )
        case Tag(add=add):
            await do_set_tags(session, actor=actor, interaction_id=iid, add=add)
        case WrapUp():
            await do_wrap_up(session, actor=actor, interaction_id=iid)
        case Complete(outcome=outcome, disposition=disposition):
            await do_complete(
                session, actor=actor, interaction_id=iid, outcome=outcome, disposition=disposition
            )
        case Clone():
            return await do_clone_interaction(session, actor=actor, interaction_id=iid)
        case Survey(rating=rating, comment=comment):
            # As the widget's post-chat survey arrives through ingest.
            assert interaction.channel_id is not None
            survey = InboundEvent(
                organization_id=interaction.organization_id,
                channel_id=interaction.channel_id,
                channel_kind=conv.channel,
                happening=Happening.survey,
                sender=Sender(identities=()),
                data={"rating": rating, **({"comment": comment} if comment else {})},
            )
            await record_epilogue(session, survey, interaction)
    return interaction


def _assisted(interaction: Interaction, assistant: AiAgent) -> None:
    """What the automation engine records when its AI agent speaks: which agent, and that the
    knowledge it answered from handled the conversation until a person takes it."""
    interaction.ai_agent_id = assistant.id
    if interaction.handled_by is None:
        interaction.handled_by = HandledBy.kb
