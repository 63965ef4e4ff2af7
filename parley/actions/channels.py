"""Channels: an organization's configured endpoints (an address, a number, a page)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_channel, access_queue
from parley.actors import Actor
from parley.events import Audience, record_event
from parley.models import Channel
from parley.models.enums import ChannelKind, Role


async def do_create_channel(
    session: AsyncSession,
    *,
    actor: Actor,
    kind: ChannelKind,
    name: str,
    config: Mapping[str, Any] | None = None,
    secrets_: Mapping[str, Any] | None = None,
    default_queue_id: uuid.UUID | None = None,
) -> Channel:
    """Create a channel. Every channel gets its own inbound signing secret (``webhook_secret``)
    for Parley's own signed contracts; provider credentials go in ``secrets_``."""
    actor.require(Role.admin, "creating a channel")
    if default_queue_id is not None:
        await access_queue(
            session, organization_id=actor.organization_id, queue_id=default_queue_id
        )
    channel = Channel(
        organization_id=actor.organization_id,
        kind=kind,
        name=name,
        config=dict(config or {}),
        secrets={"webhook_secret": secrets.token_urlsafe(32), **dict(secrets_ or {})},
        default_queue_id=default_queue_id,
        find_or_create={},
        created_at=clock.now(),
    )
    session.add(channel)
    await session.flush()
    _event(session, channel, "channel.created")
    return channel


async def do_update_channel(
    session: AsyncSession, *, actor: Actor, channel_id: uuid.UUID, changes: Mapping[str, Any]
) -> Channel:
    actor.require(Role.admin, "changing a channel")
    channel = await access_channel(
        session, organization_id=actor.organization_id, channel_id=channel_id
    )
    if changes.get("default_queue_id") is not None:
        await access_queue(
            session, organization_id=actor.organization_id, queue_id=changes["default_queue_id"]
        )
    for name in ("name", "is_active", "default_queue_id"):
        if name in changes:
            setattr(channel, name, changes[name])
    if "config" in changes:
        channel.config = {**channel.config, **changes["config"]}
    if "secrets" in changes:
        channel.secrets = {**channel.secrets, **changes["secrets"]}
    await session.flush()
    _event(session, channel, "channel.updated")
    return channel


def _event(session: AsyncSession, channel: Channel, type: str) -> None:
    record_event(
        session,
        organization_id=channel.organization_id,
        type=type,
        audience=Audience(organization_id=channel.organization_id, internal=True),
        data={"channel": {"id": str(channel.id), "kind": channel.kind, "name": channel.name}},
    )
