"""The flows' ``call_webhook`` step: a ``flow_webhook`` job POSTs the interaction, signed.

Like subscription deliveries, each attempt is a job and writes the next one; the first job's id is
the ``webhook-id`` of every attempt. Attempts go to the application log (there is no subscription
to hang a delivery row on).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_interaction
from parley.config import Settings
from parley.errors import NotFound
from parley.jobs.queue import enqueue
from parley.jobs.runner import GiveUp
from parley.models import Job, Organization
from parley.schemas.interactions import InteractionRead
from parley.webhooks.deliver import next_attempt_at, send
from parley.webhooks.fanout import HANDLER_RETRIES
from parley.webhooks.signing import new_secret

log = logging.getLogger("parley.webhooks.flow")
KIND = "flow_webhook"
SETTING = "flow_webhook_secret"


async def flow_secret(session: AsyncSession, organization_id: uuid.UUID) -> str:
    """The organization's secret for flow webhooks, created on first use."""
    org = (
        await session.execute(
            select(Organization).where(Organization.id == organization_id).with_for_update()
        )
    ).scalar_one()
    secret = org.settings.get(SETTING)
    if not isinstance(secret, str):
        secret = await rotate_flow_secret(session, org)
    return secret


async def rotate_flow_secret(session: AsyncSession, org: Organization) -> str:
    secret = new_secret()
    # A new dict, so the JSON column is seen as changed.
    org.settings = {**org.settings, SETTING: secret}
    await session.flush()
    return secret


class CallFlowWebhook:
    """The ``flow_webhook`` job handler (payload: url, interaction_id; on retries also
    webhook_id and attempt)."""

    def __init__(self, settings: Settings) -> None:
        self.allow_private = settings.webhooks_allow_private

    async def __call__(self, session: AsyncSession, job: Job) -> None:
        if job.organization_id is None:
            raise GiveUp("a flow webhook without an organization")
        try:
            interaction = await access_interaction(
                session,
                organization_id=job.organization_id,
                interaction_id=str(job.payload.get("interaction_id")),
            )
        except NotFound:
            raise GiveUp("the interaction no longer exists") from None
        msg_id = str(job.payload.get("webhook_id") or job.id)
        attempt = int(job.payload.get("attempt") or 1)
        stamp = job.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        read = InteractionRead.model_validate(interaction).model_dump(mode="json")
        body = {"type": "flow.call_webhook", "timestamp": stamp, "data": {"interaction": read}}
        outcome = await send(
            str(job.payload["url"]),
            secret=await flow_secret(session, job.organization_id),
            msg_id=msg_id,
            body=json.dumps(body, sort_keys=True, separators=(",", ":")).encode(),
            allow_private=self.allow_private,
        )
        when = next_attempt_at(outcome, attempt=attempt, now=clock.now())
        log.info(
            "flow webhook %s attempt %d: %s%s",
            msg_id,
            attempt,
            outcome.error or f"HTTP {outcome.status}",
            f"; next at {when:%Y-%m-%dT%H:%M:%SZ}" if when else "",
        )
        if when is not None:
            # The next attempt is a new job written with this one's outcome, not a Retry: a
            # rollback would also undo a flow secret created on first use (docs/webhooks.md).
            await enqueue(
                session,
                kind=KIND,
                organization_id=job.organization_id,
                payload={**job.payload, "webhook_id": msg_id, "attempt": attempt + 1},
                run_at=when,
                max_attempts=HANDLER_RETRIES,
            )
