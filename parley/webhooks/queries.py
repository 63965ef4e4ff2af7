"""Reading subscriptions and the delivery log."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import WebhookDelivery, WebhookSubscription
from parley.queries.pagination import Cursor, after


async def list_webhooks(
    session: AsyncSession, *, organization_id: uuid.UUID
) -> list[WebhookSubscription]:
    stmt = (
        select(WebhookSubscription)
        .where(WebhookSubscription.organization_id == organization_id)
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    )
    return list((await session.execute(stmt)).scalars())


async def list_deliveries(
    session: AsyncSession,
    *,
    subscription: WebhookSubscription,
    limit: int,
    cursor: str | None,
) -> tuple[list[WebhookDelivery], str | None]:
    """The subscription's log, newest first, one keyset page."""
    start = Cursor.decode(cursor) if cursor else None
    stmt = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.organization_id == subscription.organization_id,
        )
        .where(after(start, WebhookDelivery.created_at, WebhookDelivery.id))
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit + 1)
    )
    rows = list((await session.execute(stmt)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (Cursor(rows[-1].created_at, rows[-1].id).encode() if more and rows else None)
