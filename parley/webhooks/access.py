"""Loading subscriptions and log rows by an outside id: another organization's ids are 404."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import parse_id
from parley.errors import NotFound
from parley.models import WebhookDelivery, WebhookSubscription


async def access_webhook(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    webhook_id: uuid.UUID | str,
    lock: bool = False,
) -> WebhookSubscription:
    wid = parse_id(webhook_id, "webhook")
    stmt = select(WebhookSubscription).where(
        WebhookSubscription.id == wid, WebhookSubscription.organization_id == organization_id
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound("webhook not found")
    return found


async def access_delivery(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    webhook_id: uuid.UUID | str,
    delivery_id: uuid.UUID | str,
) -> WebhookDelivery:
    """A log row of this subscription (the subscription itself is checked first)."""
    subscription = await access_webhook(
        session, organization_id=organization_id, webhook_id=webhook_id
    )
    did = parse_id(delivery_id, "delivery")
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.id == did,
        WebhookDelivery.subscription_id == subscription.id,
        WebhookDelivery.organization_id == organization_id,
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound("delivery not found")
    return found
