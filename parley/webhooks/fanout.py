"""Outbox event -> one delivery job per matching subscription (called by the outbox relay).

The relay calls this in the transaction that marks the event published, so the jobs exist if and
only if the event went out; the dedupe key keeps a re-published event from being sent twice.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.jobs.queue import enqueue
from parley.models import OutboxEvent, WebhookSubscription
from parley.webhooks.event_types import matches

KIND = "webhook_delivery"
# Each attempt is its own job (docs/webhooks.md); the runner's own retries only cover a handler
# that failed before it could record its attempt (the database was briefly unavailable).
HANDLER_RETRIES = 3


def event_body(event: OutboxEvent) -> bytes:
    """What receivers get: compact JSON with sorted keys, the same bytes on every attempt."""
    data = {k: v for k, v in event.payload.items() if k != "audience"}
    stamp = event.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {"data": data, "timestamp": stamp, "type": event.type}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def is_internal(event: OutboxEvent) -> bool:
    audience: dict[str, Any] = event.payload.get("audience") or {}
    return bool(audience.get("internal"))


async def fan_out(session: AsyncSession, event: OutboxEvent) -> None:
    rows = await session.execute(
        select(WebhookSubscription.id, WebhookSubscription.event_types).where(
            WebhookSubscription.organization_id == event.organization_id,
            WebhookSubscription.is_active.is_(True),
        )
    )
    for subscription_id, event_types in rows:
        if matches(event_types or [], event.type, internal=is_internal(event)):
            await enqueue_attempt(
                session,
                organization_id=event.organization_id,
                subscription_id=subscription_id,
                event_id=event.id,
                attempt=1,
                dedupe_key=f"wh:{subscription_id}:{event.id}",
            )


async def enqueue_attempt(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    subscription_id: uuid.UUID,
    event_id: uuid.UUID,
    attempt: int,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    await enqueue(
        session,
        kind=KIND,
        organization_id=organization_id,
        payload={
            "subscription_id": str(subscription_id),
            "event_id": str(event_id),
            "attempt": attempt,
        },
        run_at=run_at,
        dedupe_key=dedupe_key,
        max_attempts=HANDLER_RETRIES,
    )
