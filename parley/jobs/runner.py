"""The job runner: an in-process loop by default; `parley worker` processes can run more of them.

Each job runs in its own transaction with its handler; success marks it finished, a failure
schedules the next attempt (or gives up after the last) and records the error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.db.engine import Database
from parley.events import NOTIFIER
from parley.jobs.queue import claim_due, next_run
from parley.models import Job

log = logging.getLogger("parley.jobs")


class Retry(Exception):
    """Raised by a handler to try again later (optionally not before ``after``)."""

    def __init__(self, reason: str, *, after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.after = after


class GiveUp(Exception):
    """Raised by a handler when trying again cannot help (410 Gone, a permanent refusal)."""


Handler = Callable[[AsyncSession, Job], Awaitable[None]]


@dataclass
class JobRunner:
    db: Database
    handlers: dict[str, Handler]
    poll_s: float = 1.0
    batch: int = 20

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        NOTIFIER.listeners.append(self._wake.set)
        self._task = asyncio.create_task(self._loop(), name="job-runner")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(ValueError):
            NOTIFIER.listeners.remove(self._wake.set)
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                while await self.run_due() and not self._stopping:
                    pass
            except Exception:
                log.exception("job runner failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            self._wake.clear()

    async def run_due(self) -> int:
        """Run one batch of due jobs; returns how many ran."""
        async with self.db.transaction() as session:
            jobs = await claim_due(session, limit=self.batch, kinds=list(self.handlers))
            ids = [job.id for job in jobs]
        for job_id in ids:
            await self._run_one(job_id)
        return len(ids)

    async def _run_one(self, job_id: object) -> None:
        error: Exception | None = None
        try:
            async with self.db.transaction() as session:
                job = await session.get(Job, job_id)
                if job is None or job.finished_at is not None:
                    return
                await self.handlers[job.kind](session, job)
                job.finished_at = clock.now()
                job.locked_until = None
                job.last_error = None
        except Exception as exc:  # the handler's transaction rolled back; record and reschedule
            error = exc
        if error is not None:
            await self._failed(job_id, error)

    async def _failed(self, job_id: object, error: Exception) -> None:
        async with self.db.transaction() as session:
            job = await session.get(Job, job_id)
            if job is None:
                return
            job.last_error = f"{type(error).__name__}: {error}"[:2000]
            job.locked_until = None
            when = (
                None
                if isinstance(error, GiveUp)
                else next_run(job, retry_after=error.after if isinstance(error, Retry) else None)
            )
            if when is None:
                job.finished_at = clock.now()
                log.warning("job %s (%s) gave up: %s", job.id, job.kind, job.last_error)
            else:
                job.run_at = when
