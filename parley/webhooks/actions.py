"""Writes to webhook subscriptions: admins only, scoped to the actor's organization.

``check_webhook_url`` resolves the host, so edges call it before opening their transaction (a DNS
lookup must not hold SQLite's write lock); the ``do_*`` actions re-check the URL's form.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actors import Actor
from parley.errors import Conflict
from parley.models import Organization, OutboxEvent, WebhookDelivery, WebhookSubscription
from parley.models.enums import Role
from parley.security import ssrf
from parley.webhooks.access import access_delivery, access_webhook
from parley.webhooks.event_types import check_event_types
from parley.webhooks.fanout import enqueue_attempt
from parley.webhooks.flow import flow_secret, rotate_flow_secret
from parley.webhooks.signing import new_secret

WHAT = "managing webhooks"


async def check_webhook_url(
    url: str, *, allow_private: bool, resolver: ssrf.Resolver | None = None
) -> None:
    """422 ``unsafe_url`` unless the URL passes the SSRF rules (docs/webhooks.md)."""
    await ssrf.check_url_to_save(url, allow_private=allow_private, resolver=resolver)


async def do_create_webhook(
    session: AsyncSession,
    *,
    actor: Actor,
    url: str,
    event_types: list[str],
    description: str = "",
    allow_private: bool,
) -> WebhookSubscription:
    actor.require(Role.admin, WHAT)
    ssrf.parse_url(url, allow_private=allow_private)
    subscription = WebhookSubscription(
        organization_id=actor.organization_id,
        url=url,
        secret=new_secret(),
        event_types=check_event_types(event_types),
        description=description,
        is_active=True,
        disabled_reason=None,
        created_at=clock.now(),
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def do_update_webhook(
    session: AsyncSession,
    *,
    actor: Actor,
    webhook_id: uuid.UUID,
    changes: Mapping[str, Any],
    allow_private: bool,
) -> WebhookSubscription:
    """Apply ``changes`` (url, event_types, is_active, description); ``is_active: true`` also
    clears the reason a 410 disabled it."""
    actor.require(Role.admin, WHAT)
    subscription = await access_webhook(
        session, organization_id=actor.organization_id, webhook_id=webhook_id, lock=True
    )
    if changes.get("url") is not None:
        ssrf.parse_url(changes["url"], allow_private=allow_private)
        subscription.url = changes["url"]
    if changes.get("event_types") is not None:
        subscription.event_types = check_event_types(changes["event_types"])
    if changes.get("description") is not None:
        subscription.description = changes["description"]
    if changes.get("is_active") is not None:
        subscription.is_active = bool(changes["is_active"])
        subscription.disabled_reason = None
    await session.flush()
    return subscription


async def do_delete_webhook(session: AsyncSession, *, actor: Actor, webhook_id: uuid.UUID) -> None:
    """Delete the subscription and its log; its queued attempts find it gone and stop."""
    actor.require(Role.admin, WHAT)
    subscription = await access_webhook(
        session, organization_id=actor.organization_id, webhook_id=webhook_id, lock=True
    )
    await session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.organization_id == actor.organization_id,
        )
    )
    await session.delete(subscription)
    await session.flush()


async def do_rotate_webhook_secret(
    session: AsyncSession, *, actor: Actor, webhook_id: uuid.UUID
) -> WebhookSubscription:
    """A new secret; the old one stops signing at once (attempts read the secret when sent)."""
    actor.require(Role.admin, WHAT)
    subscription = await access_webhook(
        session, organization_id=actor.organization_id, webhook_id=webhook_id, lock=True
    )
    subscription.secret = new_secret()
    await session.flush()
    return subscription


async def do_redeliver(
    session: AsyncSession, *, actor: Actor, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Start a new chain of attempts (attempt 1, then the schedule) for that attempt's event."""
    actor.require(Role.admin, WHAT)
    delivery = await access_delivery(
        session,
        organization_id=actor.organization_id,
        webhook_id=webhook_id,
        delivery_id=delivery_id,
    )
    subscription = await access_webhook(
        session, organization_id=actor.organization_id, webhook_id=webhook_id
    )
    if not subscription.is_active:
        raise Conflict("the webhook is disabled: set is_active to true first")
    stored = await session.execute(
        select(OutboxEvent.id).where(
            OutboxEvent.id == delivery.event_id,
            OutboxEvent.organization_id == actor.organization_id,
        )
    )
    if stored.first() is None:
        raise Conflict("that event is no longer stored")
    await enqueue_attempt(
        session,
        organization_id=actor.organization_id,
        subscription_id=subscription.id,
        event_id=delivery.event_id,
        attempt=1,
    )
    return delivery


async def do_get_flow_secret(session: AsyncSession, *, actor: Actor) -> str:
    actor.require(Role.admin, WHAT)
    return await flow_secret(session, actor.organization_id)


async def do_rotate_flow_secret(session: AsyncSession, *, actor: Actor) -> str:
    actor.require(Role.admin, WHAT)
    org = (
        await session.execute(
            select(Organization).where(Organization.id == actor.organization_id).with_for_update()
        )
    ).scalar_one()
    return await rotate_flow_secret(session, org)
