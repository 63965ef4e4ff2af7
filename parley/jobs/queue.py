"""Durable jobs in the database: enqueue in the caller's transaction, run at least once.

A job is claimed by setting ``locked_until`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several
workers share the queue and a worker that dies mid-job releases it when the lease runs out.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.db.engine import after_commit
from parley.events import NOTIFIER
from parley.models import Job

# Standard Webhooks' schedule (RELIABILITY.md): attempt n waits SCHEDULE[n] after attempt n-1.
SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
LEASE = timedelta(minutes=5)


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    organization_id: uuid.UUID | None,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = len(SCHEDULE),
) -> Job | None:
    """Add a job in the caller's transaction; it runs only if that transaction commits.

    With ``dedupe_key``, a job already enqueued under the same key is kept and None is returned.
    """
    job = Job(
        organization_id=organization_id,
        kind=kind,
        payload=payload,
        run_at=run_at or clock.now(),
        max_attempts=max_attempts,
        dedupe_key=dedupe_key,
        created_at=clock.now(),
    )
    try:
        async with session.begin_nested():
            session.add(job)
    except IntegrityError:
        return None
    if not session.info.get("outbox_hooked"):
        session.info["outbox_hooked"] = True
        after_commit(session, NOTIFIER.notify)
    return job


async def claim_due(
    session: AsyncSession, *, limit: int, kinds: Sequence[str] | None = None
) -> list[Job]:
    """Take up to ``limit`` due jobs for this worker (leased for LEASE)."""
    now = clock.now()
    stmt = (
        select(Job)
        .where(
            Job.finished_at.is_(None),
            Job.run_at <= now,
            or_(Job.locked_until.is_(None), Job.locked_until < now),
        )
        .order_by(Job.run_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if kinds is not None:
        stmt = stmt.where(Job.kind.in_(kinds))
    jobs = list((await session.execute(stmt)).scalars())
    for job in jobs:
        job.locked_until = now + LEASE
        job.attempts += 1
    await session.flush()
    return jobs


def next_run(job: Job, *, retry_after: timedelta | None = None) -> datetime | None:
    """When to try again after a failed attempt, or None when attempts are used up."""
    if job.attempts >= job.max_attempts:
        return None
    wait = SCHEDULE[min(job.attempts, len(SCHEDULE) - 1)]
    if retry_after is not None:
        wait = max(wait, retry_after)
    return clock.now() + wait
