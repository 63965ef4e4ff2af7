"""Find-or-create, read like the Gnatta page: what is 'new' is the organization's decision."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from parley import clock
from parley.actions import lifecycle as lc
from parley.actions.channels import do_create_channel
from parley.flows.store import do_save_flow
from parley.ingest.event import EventType, Happening, InboundEvent, Sender, ThreadHints
from parley.ingest.pipeline import IngestResult, do_ingest
from parley.models import Channel, FlowRun, Interaction, Message
from parley.models.enums import ChannelKind, IdentityKind
from tests.factories import Tenant

JOE = Sender(identities=((IdentityKind.phone, "+447700900123"),), name="Joe Bloggs")
T0 = datetime(2026, 11, 2, 10, 22, tzinfo=UTC)


async def channel(tenant: Tenant, kind: ChannelKind) -> Channel:
    async with tenant.db.transaction() as s:
        return await do_create_channel(
            s, actor=tenant.system, kind=kind, name=kind.value, default_queue_id=tenant.queue.id
        )


async def receive(
    tenant: Tenant, ch: Channel, text: str, at: datetime, sender: Sender = JOE, **kw: Any
) -> IngestResult:
    event = InboundEvent(
        organization_id=tenant.org.id,
        channel_id=ch.id,
        channel_kind=ch.kind,
        happening=kw.pop("happening", Happening.message),
        sender=sender,
        text=text,
        **kw,
    )
    with clock.frozen(at):
        async with tenant.db.transaction() as s:
            return await do_ingest(s, event=event)


async def close(tenant: Tenant, result: IngestResult, at: datetime) -> None:
    assert result.interaction is not None
    with clock.frozen(at):
        async with tenant.db.transaction() as s:
            await lc.do_complete(s, actor=tenant.agent.actor, interaction_id=result.interaction.id)


async def transcript(tenant: Tenant, interaction_id: Any) -> list[str]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Message.text)
            .where(Message.interaction_id == interaction_id)
            .order_by(Message.seq)
        )
        return list(rows.scalars())


async def test_quick_messages_around_closures_stay_one_interaction(tenant: Tenant) -> None:
    """10:22 Hi / 10:22 Please can you help me / [closed] / 10:23 My name is joe bloggs / [closed]
    / 10:24 My email is ... : with the default grouping flow, one interaction."""
    sms = await channel(tenant, ChannelKind.sms)
    first = await receive(tenant, sms, "Hi", T0)
    assert first.event_type == EventType.new_message
    second = await receive(tenant, sms, "Please can you help me", T0 + timedelta(seconds=20))
    assert second.event_type == EventType.response  # the interaction is still open
    await close(tenant, second, T0 + timedelta(seconds=40))
    third = await receive(tenant, sms, "My name is joe bloggs", T0 + timedelta(minutes=1))
    assert third.event_type == EventType.new_message  # closed: a new message, as Gnatta says
    await close(tenant, third, T0 + timedelta(minutes=1, seconds=30))
    fourth = await receive(
        tenant, sms, "My email is joe.bloggs@gmail.com", T0 + timedelta(minutes=2)
    )
    ids = {r.interaction.id for r in (first, second, third, fourth) if r.interaction}
    assert len(ids) == 1
    assert await transcript(tenant, first.interaction.id if first.interaction else None) == [
        "Hi",
        "Please can you help me",
        "My name is joe bloggs",
        "My email is joe.bloggs@gmail.com",
    ]
    assert fourth.interaction is not None and fourth.interaction.state == "queued"


async def test_without_grouping_each_message_after_a_close_is_new(tenant: Tenant) -> None:
    """The same conversation with a flow that only connects to open interactions: three."""
    async with tenant.db.transaction() as s:
        await do_save_flow(
            s,
            actor=tenant.admin.actor,
            source="name: Open only\nevent: new_message_received\nsteps:\n"
            "  - find_interaction: {}\n  - create_interaction: {}\n  - attach_message: true\n",
        )
    sms = await channel(tenant, ChannelKind.sms)
    a = await receive(tenant, sms, "Hi", T0)
    await receive(tenant, sms, "Please can you help me", T0 + timedelta(seconds=20))
    await close(tenant, a, T0 + timedelta(seconds=40))
    b = await receive(tenant, sms, "My name is joe bloggs", T0 + timedelta(minutes=1))
    await close(tenant, b, T0 + timedelta(minutes=1, seconds=30))
    c = await receive(tenant, sms, "My email is joe.bloggs@gmail.com", T0 + timedelta(minutes=2))
    assert len({r.interaction.id for r in (a, b, c) if r.interaction}) == 3


async def test_email_reply_reconnects_within_seven_days_only(tenant: Tenant) -> None:
    """Check for an existing interaction; if it closed within 7 days, connect; else create."""
    email = await channel(tenant, ChannelKind.email)
    ann = Sender(identities=((IdentityKind.email, "ann@example.com"),), name="Ann")
    first = await receive(
        tenant,
        email,
        "My tent arrived torn",
        T0,
        sender=ann,
        provider_message_id="<m1@ex>",
        thread=ThreadHints(own_keys=("<m1@ex>",)),
        subject="Torn tent",
    )
    assert first.event_type == EventType.new_message and first.interaction is not None
    await close(tenant, first, T0 + timedelta(hours=1))
    reply = await receive(
        tenant,
        email,
        "Still waiting",
        T0 + timedelta(days=3),
        sender=ann,
        provider_message_id="<m2@ex>",
        thread=ThreadHints(own_keys=("<m2@ex>",), refers_to=("<m1@ex>",)),
    )
    assert reply.event_type == EventType.response
    assert reply.interaction is not None and reply.interaction.id == first.interaction.id
    assert reply.interaction.state == "queued"  # reopened into its queue
    await close(tenant, reply, T0 + timedelta(days=3, hours=1))
    late = await receive(
        tenant,
        email,
        "Hello again",
        T0 + timedelta(days=12),
        sender=ann,
        provider_message_id="<m3@ex>",
        thread=ThreadHints(own_keys=("<m3@ex>",), refers_to=("<m2@ex>", "<m1@ex>")),
    )
    assert late.event_type == EventType.response
    assert late.interaction is not None and late.interaction.id != first.interaction.id
    # A new thread with a new subject is a New Message Received, even while the first is open.
    other = await receive(
        tenant,
        email,
        "Also: invoice?",
        T0 + timedelta(days=12, minutes=5),
        sender=ann,
        provider_message_id="<m4@ex>",
        thread=ThreadHints(own_keys=("<m4@ex>",)),
    )
    assert other.event_type == EventType.new_message
    assert other.interaction is not None and other.interaction.id != late.interaction.id


async def test_a_call_continued_by_sms_is_one_interaction(tenant: Tenant) -> None:
    async with tenant.db.transaction() as s:
        await do_save_flow(
            s,
            actor=tenant.admin.actor,
            source={
                "name": "Across channels",
                "event": "new_message_received",
                "steps": [
                    {"find_interaction": {"across_channels": True}},
                    {"create_interaction": {}},
                    {"attach_message": True},
                ],
            },
        )
    voice, sms = await channel(tenant, ChannelKind.voice), await channel(tenant, ChannelKind.sms)
    call = await receive(
        tenant, voice, "", T0, happening=Happening.call_start, provider_message_id="CA1"
    )
    assert call.event_type == EventType.call_started and call.interaction is not None
    assert call.interaction.communication_type == "voice"
    text = await receive(tenant, sms, "Sending the photo by text", T0 + timedelta(minutes=3))
    assert text.interaction is not None and text.interaction.id == call.interaction.id
    assert (text.interaction.communication_type, text.interaction.subtype) == ("messaging", "sms")
    assert await transcript(tenant, call.interaction.id) == [
        "Call started",
        "Sending the photo by text",
    ]
    detail = (await tenant.api.get(f"/api/v1/interactions/{call.interaction.id}")).json()
    assert "channel_changed" in [a["kind"] for a in detail["activity"]]


async def test_chat_session_messages_are_responses(tenant: Tenant) -> None:
    chat = await channel(tenant, ChannelKind.webchat)
    visitor = Sender(identities=((IdentityKind.visitor, "v-123"),))
    hints = ThreadHints(own_keys=("chat:s1",), refers_to=("chat:s1",))
    started = await receive(
        tenant,
        chat,
        "",
        T0,
        sender=visitor,
        happening=Happening.chat_start,
        thread=ThreadHints(own_keys=("chat:s1",)),
    )
    assert started.event_type == EventType.chat_started
    said = await receive(
        tenant,
        chat,
        "Do you ship to Norway?",
        T0 + timedelta(seconds=5),
        sender=visitor,
        thread=hints,
    )
    assert said.event_type == EventType.response
    ended = await receive(
        tenant,
        chat,
        "",
        T0 + timedelta(minutes=4),
        sender=visitor,
        happening=Happening.chat_end,
        thread=hints,
    )
    assert ended.event_type == EventType.chat_ended
    assert started.interaction is not None
    assert {r.interaction.id for r in (said, ended) if r.interaction} == {started.interaction.id}


async def test_replayed_delivery_is_stored_once_and_traced(tenant: Tenant) -> None:
    sms = await channel(tenant, ChannelKind.sms)

    async def deliver() -> IngestResult:
        return await receive(tenant, sms, "Where is my order?", T0, provider_message_id="SM1")

    results = await asyncio.gather(*(deliver() for _ in range(5)))
    assert sum(not r.duplicate for r in results) >= 1
    assert len({r.message.id for r in results if r.message}) == 1
    async with tenant.db.transaction() as s:
        count = await s.execute(
            select(func.count()).select_from(Message).where(Message.channel_id == sms.id)
        )
        assert count.scalar_one() == 1
        runs = list(
            (await s.execute(select(FlowRun).where(FlowRun.channel_id == sms.id))).scalars()
        )
        assert len(runs) == 1
        assert runs[0].trace["flows"][0]["flow"] == "Group quick messages on messaging channels"
        interactions = await s.execute(
            select(func.count()).select_from(Interaction).where(Interaction.channel_id == sms.id)
        )
        assert interactions.scalar_one() == 1


async def test_survey_after_the_agent_closed_the_chat_belongs_to_it(tenant: Tenant) -> None:
    chat = await channel(tenant, ChannelKind.webchat)
    visitor = Sender(identities=((IdentityKind.visitor, "v-survey"),))
    keys = ThreadHints(own_keys=("chat:s9",), refers_to=("chat:s9",))
    started = await receive(
        tenant, chat, "", T0, sender=visitor, happening=Happening.chat_start, thread=keys
    )
    await receive(
        tenant, chat, "Thanks, all sorted", T0 + timedelta(minutes=1), sender=visitor, thread=keys
    )
    await close(tenant, started, T0 + timedelta(minutes=2))
    survey = await receive(
        tenant,
        chat,
        "",
        T0 + timedelta(minutes=3),
        sender=visitor,
        happening=Happening.survey,
        thread=keys,
        data={"rating": 5, "comment": "Quick and kind"},
    )
    assert started.interaction is not None and survey.interaction is not None
    assert survey.interaction.id == started.interaction.id
    detail = (await tenant.api.get(f"/api/v1/interactions/{started.interaction.id}")).json()
    assert (detail["state"], detail["csat"], detail["csat_source"]) == ("completed", 5, "survey")
    assert detail["csat_description"] == "Quick and kind"
    assert detail["activity"][-1]["kind"] == "survey"
    assert [m["text"] for m in detail["messages"]][-1] == "Thanks, all sorted"  # still read-only
