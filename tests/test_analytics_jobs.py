"""Analytics after commit: every customer message gets its sentiment, every completed interaction
its insight (sentiment and trend, predicted CSAT unless surveyed, topic, summary, keywords)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from parley.actions.messages import do_add_message
from parley.models import Interaction, Message
from parley.models.enums import MessageRole
from tests.factories import Tenant, settle


async def say(tenant: Tenant, interaction_id: str, role: MessageRole, text: str) -> None:
    actor = tenant.agent.actor if role == MessageRole.agent else tenant.system
    async with tenant.db.transaction() as s:
        await do_add_message(
            s, actor=actor, interaction_id=uuid.UUID(interaction_id), role=role, text=text
        )


async def test_messages_and_the_completed_interaction_get_their_insight(tenant: Tenant) -> None:
    created = await tenant.create_interaction(
        subject="Late parcel", text="My parcel is two weeks late and nobody answers. Terrible."
    )
    iid = created["id"]
    await tenant.agent.client.post(f"/api/v1/interactions/{iid}/claim")
    await say(tenant, iid, MessageRole.agent, "I'm sorry! I have reshipped it by express today.")
    await say(tenant, iid, MessageRole.customer, "Thank you so much, that is great service!")
    await tenant.agent.client.post(
        f"/api/v1/interactions/{iid}/complete", json={"outcome": "resolved"}
    )
    await settle(tenant)
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Message.text, Message.sentiment, Message.sentiment_score, Message.meta)
            .where(Message.interaction_id == uuid.UUID(iid), Message.role == MessageRole.customer)
            .order_by(Message.seq)
        )
        customer = rows.all()
        interaction = await s.get(Interaction, uuid.UUID(iid))
    assert [r.sentiment for r in customer] == ["negative", "positive"]
    assert customer[0].sentiment_score < 0 < customer[1].sentiment_score
    assert customer[0].meta["sentiment"]["description"]
    assert interaction is not None
    assert (
        interaction.sentiment_description and "improv" in interaction.sentiment_description.lower()
    )
    assert interaction.csat_source == "predicted" and interaction.csat is not None
    assert interaction.csat >= 3 and interaction.csat_description
    assert interaction.summary and "parcel" in interaction.summary.lower()
    assert interaction.keywords and interaction.topic
