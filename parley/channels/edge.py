"""Helpers for provider-facing endpoints: find the channel a webhook is for, ingest its events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fastapi import Request
from sqlalchemy import select

from parley.api.deps import Services
from parley.errors import NotFound
from parley.ingest.event import InboundEvent
from parley.ingest.pipeline import IngestResult, do_ingest
from parley.models import Channel
from parley.models.enums import ChannelKind


async def webhook_channel(svc: Services, channel_id: str, kinds: Sequence[ChannelKind]) -> Channel:
    """The channel named in a webhook URL, before any signature check.

    This is the one load by id that is not organization-scoped, because the caller is a provider,
    not a tenant: the channel's own secret, checked next, is what authorizes the request. Unknown,
    inactive or other-kind channels are 404 alike.
    """
    try:
        cid = uuid.UUID(channel_id)
    except ValueError:
        raise NotFound("channel not found") from None
    async with svc.db.transaction() as session:
        found = (
            await session.execute(select(Channel).where(Channel.id == cid))
        ).scalar_one_or_none()
    if found is None or not found.is_active or found.kind not in kinds:
        raise NotFound("channel not found")
    return found


async def ingest(svc: Services, events: Sequence[InboundEvent]) -> list[IngestResult]:
    """Ingest events in one transaction; returns only after it committed."""
    async with svc.db.transaction() as session:
        return [await do_ingest(session, event=event) for event in events]


def public_url(request: Request, svc: Services) -> str:
    """The URL as the provider called it: PARLEY_PUBLIC_URL when set (behind a proxy)."""
    if not svc.settings.public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return svc.settings.public_url + request.url.path + query
