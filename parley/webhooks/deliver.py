"""One delivery attempt: sign, send through the SSRF guard, log it, and schedule the next.

Each attempt is its own job (docs/webhooks.md, "Durability"): the log row, the subscription's
state (a 410 disables it) and the next attempt's job are written in the attempt's transaction,
so they commit together or not at all, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.config import Settings
from parley.jobs.queue import SCHEDULE
from parley.models import Job, OutboxEvent, WebhookDelivery, WebhookSubscription
from parley.security import ssrf
from parley.webhooks.fanout import enqueue_attempt, event_body
from parley.webhooks.signing import signed_headers

log = logging.getLogger("parley.webhooks")
MAX_ATTEMPTS = len(SCHEDULE)
RETRY_AFTER_CAP = timedelta(hours=24)
LOGGED_CHARS = 2000


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status, or an error (with whether retrying can help)."""

    status: int | None = None
    body: str | None = None
    error: str | None = None
    permanent: bool = False
    retry_after: timedelta | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        return self.status == 410


def next_attempt_at(outcome: Outcome, *, attempt: int, now: datetime) -> datetime | None:
    """When to try again after a failed attempt, or None: the schedule is used up, or retrying
    cannot help. Retry-After counts only when it asks for longer than the schedule."""
    if outcome.succeeded or outcome.gone or outcome.permanent or attempt >= MAX_ATTEMPTS:
        return None
    wait = SCHEDULE[attempt]
    if outcome.retry_after is not None:
        wait = max(wait, outcome.retry_after)
    return now + wait


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date, capped at 24 hours; None if absent or bad."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value[:9]))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = when - now
    if wait <= timedelta(0):
        return None
    return min(wait, RETRY_AFTER_CAP)


async def send(url: str, *, secret: str, msg_id: str, body: bytes, allow_private: bool) -> Outcome:
    """POST ``body`` signed for this moment; never raises for what the receiver or network does."""
    now = clock.now()
    headers = signed_headers(secret, msg_id=msg_id, timestamp=int(now.timestamp()), body=body)
    try:
        answer = await ssrf.fetch(
            "POST", url, content=body, headers=headers, allow_private=allow_private
        )
    except ssrf.UnsafeUrl as exc:
        return Outcome(error=f"refused: {exc.reason}", permanent=exc.permanent)
    except ssrf.FetchError as exc:
        return Outcome(error=str(exc))
    return Outcome(
        status=answer.status,
        body=answer.body.decode("utf-8", "replace")[:LOGGED_CHARS],
        retry_after=parse_retry_after(answer.headers.get("retry-after"), now=now),
    )


class DeliverWebhook:
    """The ``webhook_delivery`` job handler (payload: subscription_id, event_id, attempt)."""

    def __init__(self, settings: Settings) -> None:
        self.allow_private = settings.webhooks_allow_private

    async def __call__(self, session: AsyncSession, job: Job) -> None:
        subscription = await session.get(
            WebhookSubscription, uuid.UUID(job.payload["subscription_id"])
        )
        if (
            subscription is None
            or subscription.organization_id != job.organization_id
            or not subscription.is_active
        ):
            return  # deleted, or disabled (410 or an admin): queued attempts stop here
        attempt = int(job.payload["attempt"])
        event = await session.get(OutboxEvent, uuid.UUID(job.payload["event_id"]))
        if event is None or event.organization_id != subscription.organization_id:
            outcome = Outcome(error="the event is no longer stored", permanent=True)
            await _record(session, subscription, job, attempt, "unknown", outcome, 0)
            return
        started = time.monotonic()
        outcome = await send(
            subscription.url,
            secret=subscription.secret,
            msg_id=str(event.id),
            body=event_body(event),
            allow_private=self.allow_private,
        )
        duration_ms = int((time.monotonic() - started) * 1000)
        await _record(session, subscription, job, attempt, event.type, outcome, duration_ms)


async def _record(
    session: AsyncSession,
    subscription: WebhookSubscription,
    job: Job,
    attempt: int,
    event_type: str,
    outcome: Outcome,
    duration_ms: int,
) -> None:
    now = clock.now()
    when = next_attempt_at(outcome, attempt=attempt, now=now)
    error = _describe(outcome, attempt, when)
    session.add(
        WebhookDelivery(
            organization_id=subscription.organization_id,
            subscription_id=subscription.id,
            event_id=uuid.UUID(job.payload["event_id"]),
            event_type=event_type[:64],
            attempt=attempt,
            status_code=outcome.status,
            response_body=outcome.body,
            error=error,
            duration_ms=duration_ms,
            succeeded=outcome.succeeded,
            created_at=now,
        )
    )
    if outcome.gone:
        subscription.is_active = False
        subscription.disabled_reason = (
            f"the receiver answered 410 Gone on {now:%Y-%m-%d %H:%M:%S} UTC"
        )
    if when is not None:
        await enqueue_attempt(
            session,
            organization_id=subscription.organization_id,
            subscription_id=subscription.id,
            event_id=uuid.UUID(job.payload["event_id"]),
            attempt=attempt + 1,
            run_at=when,
        )
    log.info(
        "webhook %s attempt %d for %s: %s",
        subscription.id,
        attempt,
        job.payload["event_id"],
        error or f"HTTP {outcome.status}",
    )
    await session.flush()


def _describe(outcome: Outcome, attempt: int, when: datetime | None) -> str | None:
    """The log row's error column: what went wrong and what happens next."""
    if outcome.succeeded:
        return None
    if outcome.gone:
        return "410 Gone: the subscription is disabled"
    what = outcome.error or f"the receiver answered {outcome.status}"
    if when is not None:
        return f"{what}; attempt {attempt + 1} at {when:%Y-%m-%dT%H:%M:%SZ}"
    if outcome.permanent:
        return f"{what}; gave up (retrying cannot help)"
    return f"{what}; gave up after {attempt} attempts"
