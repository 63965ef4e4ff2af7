"""The demo's web chat channel, made ready for the widget on ``/demo/shop``.

The widget signs its visitor tokens with the channel's ``webhook_secret``; the demo seed writes
channels without secrets, so this gives the demo's web chat channel one (and creates the channel
if a demo organization somehow has none). Safe to repeat: a channel that has a secret keeps it.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.models import Channel, Organization, Queue
from parley.models.enums import ChannelKind


async def do_ready_demo_webchat(session: AsyncSession, *, slug: str) -> Channel | None:
    """The organization's first web chat channel, with a signing secret; None without the org."""
    org = (
        await session.execute(select(Organization).where(Organization.slug == slug))
    ).scalar_one_or_none()
    if org is None:
        return None
    stmt = (
        select(Channel)
        .where(Channel.organization_id == org.id, Channel.kind == ChannelKind.webchat)
        .order_by(Channel.created_at)
    )
    channel = (await session.execute(stmt)).scalars().first()
    if channel is None:
        queue = (
            (
                await session.execute(
                    select(Queue).where(Queue.organization_id == org.id).order_by(Queue.created_at)
                )
            )
            .scalars()
            .first()
        )
        channel = Channel(
            organization_id=org.id,
            kind=ChannelKind.webchat,
            name="Website chat",
            is_active=True,
            config={"widget_title": "Chat with us"},
            secrets={},
            default_queue_id=queue.id if queue is not None else None,
            find_or_create={},
            created_at=clock.now(),
        )
        session.add(channel)
    if not channel.secrets.get("webhook_secret"):
        channel.secrets = {**channel.secrets, "webhook_secret": secrets.token_urlsafe(32)}
    await session.flush()
    return channel
