"""Analytics as durable jobs after commit: per-message sentiment as messages arrive, and the
interaction's insight when it completes (and on demand). Nothing here slows the ingest path.

Writes go straight to the analytics columns (they are derived data, owned by this module) and
each change is published, so consoles update live.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import access_contact
from parley.analytics.insight import analyse_interaction, not_english_note
from parley.analytics.language import ENGLISH, language_of
from parley.analytics.rollup import csat_from_survey
from parley.analytics.sentiment import default_model
from parley.analytics.topic import OTHER, classifier_for, topics_from_settings
from parley.analytics.transcript import Turn
from parley.errors import NotFound
from parley.events import audience_of, interaction_event, record_event
from parley.jobs.queue import enqueue
from parley.jobs.runner import Handler
from parley.models import (
    Activity,
    AiAgent,
    Interaction,
    Job,
    Membership,
    Message,
    Organization,
    User,
)
from parley.models.enums import ActorType, MessageDirection, MessageRole, Sentiment
from parley.schemas.interactions import MessageRead

MESSAGE = "analytics.message"
INTERACTION = "analytics.interaction"


async def request_message_sentiment(session: AsyncSession, message: Message) -> None:
    if message.role != MessageRole.customer or not message.text.strip():
        return
    await enqueue(
        session,
        kind=MESSAGE,
        organization_id=message.organization_id,
        payload={"message_id": str(message.id)},
        dedupe_key=f"sentiment:{message.id}",
        max_attempts=3,
    )


async def request_insight(session: AsyncSession, interaction: Interaction) -> None:
    await enqueue(
        session,
        kind=INTERACTION,
        organization_id=interaction.organization_id,
        payload={"interaction_id": str(interaction.id)},
        max_attempts=3,
    )


async def message_sentiment(session: AsyncSession, job: Job) -> None:
    message = await session.get(Message, uuid.UUID(job.payload["message_id"]))
    if message is None or message.organization_id != job.organization_id:
        return
    language = language_of(message.text)
    if language == ENGLISH:
        found = default_model().analyse(message.text)
        message.sentiment = Sentiment(found.label)
        message.sentiment_score = round(found.score, 4)
        note = {"description": found.description, "confidence": round(found.confidence, 3)}
    else:
        # The model reads English only: an honest "not analysed" beats a confident wrong label.
        message.sentiment = message.sentiment_score = None
        note = {"description": not_english_note(language), "language": language}
    message.meta = {**message.meta, "sentiment": note}
    await session.flush()
    interaction = await session.get(Interaction, message.interaction_id)
    assert interaction is not None
    record_event(
        session,
        organization_id=message.organization_id,
        type="message.updated",
        audience=audience_of(interaction, internal=True),
        data={
            "interaction_id": str(interaction.id),
            "message": MessageRead.model_validate(message).model_dump(mode="json"),
        },
    )


async def _turns(session: AsyncSession, interaction: Interaction) -> list[Turn]:
    """What was said to and by the customer, plus the reports integrations posted (system
    messages by a system actor: "payment declined ..."); never internal notes, nor the chat's
    own markers ("Chat started", written on the customer's behalf)."""
    said = Message.direction != MessageDirection.internal
    reported = (Message.role == MessageRole.system) & (Message.author_type == ActorType.system)
    rows = await session.execute(
        select(Message.role, Message.text, Message.created_at)
        .where(
            Message.interaction_id == interaction.id,
            Message.organization_id == interaction.organization_id,
            said | reported,
        )
        .order_by(Message.seq)
    )
    return [Turn(role=MessageRole(role), text=text, at=at) for role, text, at in rows]


async def _names(session: AsyncSession, interaction: Interaction, org: Organization) -> list[str]:
    """Who could be named in the transcript: the organization, its people and AI agents, the
    customer. Kept out of the keywords."""
    members = await session.execute(
        select(User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == org.id)
    )
    agents = await session.execute(select(AiAgent.name).where(AiAgent.organization_id == org.id))
    names = [org.name, *members.scalars(), *agents.scalars()]
    if interaction.contact_id is not None:
        try:
            contact = await access_contact(
                session, organization_id=org.id, contact_id=interaction.contact_id
            )
        except NotFound:
            return names  # deleted since: nobody left to name
        if contact.name:
            names.append(contact.name)
    return names


async def _reopens(session: AsyncSession, interaction: Interaction) -> int:
    count = await session.execute(
        select(func.count()).where(
            Activity.organization_id == interaction.organization_id,
            Activity.interaction_id == interaction.id,
            Activity.kind == "reopened",
        )
    )
    return int(count.scalar_one())


async def interaction_insight(session: AsyncSession, job: Job) -> None:
    interaction = await session.get(
        Interaction, uuid.UUID(job.payload["interaction_id"]), with_for_update=True
    )
    if interaction is None or interaction.organization_id != job.organization_id:
        return
    survey = (
        csat_from_survey(interaction.csat, interaction.csat_description)
        if interaction.csat is not None and interaction.csat_source == "survey"
        else None
    )
    org = await session.get(Organization, interaction.organization_id)
    assert org is not None
    topics = topics_from_settings(org.settings)
    insight = analyse_interaction(
        await _turns(session, interaction),
        topics=classifier_for(topics),
        outcome=interaction.outcome,
        reopen_count=await _reopens(session, interaction),
        survey=survey,
        subject=interaction.subject,
        names=await _names(session, interaction, org),
    )
    if insight.sentiment is not None:
        interaction.sentiment = Sentiment(insight.sentiment.label)
        interaction.sentiment_score = round(insight.sentiment.score, 4)
        interaction.sentiment_description = insight.sentiment.description
    else:
        interaction.sentiment = interaction.sentiment_score = None
        interaction.sentiment_description = insight.sentiment_note
    if survey is None:
        interaction.csat = insight.csat.score
        interaction.csat_source = insight.csat.source
        interaction.csat_description = insight.csat.description
    if insight.topic is not None and insight.topic.topic != OTHER:
        interaction.topic = insight.topic.topic
    elif interaction.topic is None and topics:
        # The organization's topics are its vocabulary: none fits, so an honest "other".
        interaction.topic = OTHER
    elif interaction.topic is None and insight.keywords:
        # No topic list, and no procedure named the subject (they do as they start): the top
        # keyword.
        interaction.topic = insight.keywords[0].phrase
    interaction.summary = insight.summary.text or None
    interaction.keywords = [k.phrase for k in insight.keywords]
    await session.flush()
    interaction_event(session, interaction, "interaction.insight")


def handlers() -> dict[str, Handler]:
    return {MESSAGE: message_sentiment, INTERACTION: interaction_insight}
