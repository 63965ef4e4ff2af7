"""outbound-webhook-schedule: retries follow RELIABILITY.md's schedule, driven by durable jobs and
a frozen clock (no sleeps); Retry-After, 410, giving up, permanent refusals.

The test's events live 30 days in the future, so the live server's job runner (on the real clock)
never finds them due: only ``run_due`` below runs them, at the frozen times the test picks.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook

from parley import clock, webhooks
from parley.config import Settings
from parley.db.engine import Database
from parley.jobs.queue import SCHEDULE
from parley.models import Job, OutboxEvent, WebhookSubscription
from parley.webhooks.deliver import Outcome, next_attempt_at, parse_retry_after
from parley.webhooks.fanout import fan_out
from tests.factories import Tenant
from tests.providers import Call, Sandbox
from tests.providers.webhooks import answer, calls
from tests.test_webhooks_api import API, subscribe

T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)


async def publish(db: Database, tenant: Tenant, *, at: datetime = T0) -> uuid.UUID:
    """An interaction.created event as the relay would hand it over (already published)."""
    with clock.frozen(at):
        async with db.transaction() as s:
            event = OutboxEvent(
                organization_id=tenant.org.id,
                type="interaction.created",
                payload={
                    "audience": {"organization_id": str(tenant.org.id), "internal": False},
                    "interaction": {"id": str(uuid.uuid4()), "subject": "scheduled"},
                },
                created_at=at,
                published_at=at,
            )
            s.add(event)
            await s.flush()
            await fan_out(s, event)
            return event.id


async def pending(db: Database, tenant: Tenant) -> list[Job]:
    async with db.transaction() as s:
        rows = await s.execute(
            select(Job)
            .where(Job.organization_id == tenant.org.id, Job.finished_at.is_(None))
            .order_by(Job.run_at)
        )
        return list(rows.scalars())


async def run_due(db: Database, settings: Settings, tenant: Tenant, at: datetime) -> int:
    """What the job runner does, for this organization's jobs only, at the frozen time ``at``."""
    handlers = webhooks.handlers(settings)
    with clock.frozen(at):
        due = [j.id for j in await pending(db, tenant) if j.run_at <= at and j.kind in handlers]
        for job_id in due:
            async with db.transaction() as s:
                job = await s.get(Job, job_id)
                assert job is not None
                job.attempts += 1
                await handlers[job.kind](s, job)
                job.finished_at = clock.now()
    return len(due)


def signed_at(secret: str, call: Call, at: datetime) -> None:
    """The reference library's signature for that moment (its verify() wants the real clock)."""
    assert call.headers["webhook-timestamp"] == str(int(at.timestamp()))
    expected = Webhook(secret).sign(call.headers["webhook-id"], at, call.body.decode())
    assert expected in call.headers["webhook-signature"].split()


async def test_failures_follow_the_schedule_then_give_up(
    tenant: Tenant, sandbox: Sandbox, db: Database, settings: Settings
) -> None:
    name, sub = await subscribe(tenant, sandbox, ["interaction.created"])
    for _ in SCHEDULE:
        answer(sandbox, name, 500, body="boom")
    event_id = await publish(db, tenant)
    at = T0
    for attempt, wait in enumerate(SCHEDULE, start=1):
        at += wait
        if wait:  # one second early, nothing is due
            assert await run_due(db, settings, tenant, at - timedelta(seconds=1)) == 0
        assert await run_due(db, settings, tenant, at) == 1, f"attempt {attempt}"
        call = calls(sandbox, name)[-1]
        assert call.headers["webhook-id"] == str(event_id)
        signed_at(sub["secret"], call, at)
    assert len(calls(sandbox, name)) == len(SCHEDULE) == 8
    assert at - T0 == sum(SCHEDULE, timedelta()) == timedelta(hours=27, minutes=35, seconds=5)
    assert await pending(db, tenant) == []
    bodies = {c.body for c in calls(sandbox, name)}
    assert len(bodies) == 1, "every attempt sends the same bytes"

    log = (await tenant.api.get(f"{API}/webhooks/{sub['id']}/deliveries")).json()["items"]
    assert [r["attempt"] for r in log] == [8, 7, 6, 5, 4, 3, 2, 1]
    assert all(r["status_code"] == 500 and r["response_body"] == "boom" for r in log)
    assert "gave up after 8 attempts" in log[0]["error"]
    assert "attempt 2 at" in log[-1]["error"]
    assert (await tenant.api.get(f"{API}/webhooks/{sub['id']}")).json()["is_active"] is True


async def test_retry_after_is_honoured_when_longer_and_capped_at_a_day(
    tenant: Tenant, sandbox: Sandbox, db: Database, settings: Settings
) -> None:
    name, _ = await subscribe(tenant, sandbox, ["interaction.created"])
    await publish(db, tenant)
    at = T0
    steps: list[tuple[int, dict[str, str], timedelta]] = [
        # (status, headers, the wait before the next attempt)
        (429, {"retry-after": "3600"}, timedelta(hours=1)),  # longer than 5 s: honoured
        (503, {"retry-after": "1"}, SCHEDULE[2]),  # shorter than 5 min: the schedule wins
        (429, {"retry-after": "999999"}, timedelta(hours=24)),  # capped
        (503, {}, SCHEDULE[4]),
    ]
    for status, headers, wait in steps:
        answer(sandbox, name, status, headers=headers)
        assert await run_due(db, settings, tenant, at) == 1
        (job,) = await pending(db, tenant)
        assert job.run_at == at + wait, (status, headers)
        at += wait
    # An HTTP date works too (attempt 5 -> 6 would wait 5 h; the receiver asks for 7 h).
    answer(sandbox, name, 503, headers={"retry-after": format_datetime(at + timedelta(hours=7))})
    assert await run_due(db, settings, tenant, at) == 1
    (job,) = await pending(db, tenant)
    assert job.run_at == at + timedelta(hours=7)
    at = job.run_at
    assert await run_due(db, settings, tenant, at) == 1  # the default answer: 200
    assert await pending(db, tenant) == []
    assert len(calls(sandbox, name)) == 6


async def test_410_stops_the_chain_and_other_queued_events(
    tenant: Tenant, sandbox: Sandbox, db: Database, settings: Settings
) -> None:
    name, sub = await subscribe(tenant, sandbox, ["interaction.created"])
    answer(sandbox, name, 500)
    answer(sandbox, name, 410)
    await publish(db, tenant)
    assert await run_due(db, settings, tenant, T0) == 1
    await publish(db, tenant, at=T0 + timedelta(seconds=1))
    # Attempt 2 of the first event (410) and attempt 1 of the second are both due.
    assert await run_due(db, settings, tenant, T0 + timedelta(seconds=5)) == 2
    assert len(calls(sandbox, name)) == 2
    assert await pending(db, tenant) == []
    state = (await tenant.api.get(f"{API}/webhooks/{sub['id']}")).json()
    assert state["is_active"] is False
    assert state["disabled_reason"].startswith("the receiver answered 410 Gone")


async def test_a_permanently_refused_url_gives_up_at_once_a_network_error_retries(
    tenant: Tenant, sandbox: Sandbox, db: Database, settings: Settings
) -> None:
    _, sub = await subscribe(tenant, sandbox, ["interaction.created"])
    async with db.transaction() as s:
        # As if the rules had changed since it was saved: the URL is checked before every attempt.
        await s.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == uuid.UUID(sub["id"]))
            .values(url="http://169.254.169.254/latest/meta-data/")
        )
    await publish(db, tenant)
    assert await run_due(db, settings, tenant, T0) == 1
    assert await pending(db, tenant) == []
    (row,) = (await tenant.api.get(f"{API}/webhooks/{sub['id']}/deliveries")).json()["items"]
    assert row["status_code"] is None and "metadata" in row["error"]
    assert "gave up" in row["error"]

    r = await tenant.api.patch(f"{API}/webhooks/{sub['id']}", json={"url": "http://127.0.0.1:9/"})
    assert r.status_code == 200, r.text
    await publish(db, tenant, at=T0 + timedelta(minutes=1))
    assert await run_due(db, settings, tenant, T0 + timedelta(minutes=1)) == 1
    (job,) = await pending(db, tenant)
    assert job.run_at == T0 + timedelta(minutes=1) + SCHEDULE[1]
    assert job.payload["attempt"] == 2


async def test_a_deleted_subscription_stops_its_queued_attempts(
    tenant: Tenant, sandbox: Sandbox, db: Database, settings: Settings
) -> None:
    name, sub = await subscribe(tenant, sandbox, ["interaction.created"])
    await publish(db, tenant)
    assert (await tenant.api.delete(f"{API}/webhooks/{sub['id']}")).status_code == 204
    assert await run_due(db, settings, tenant, T0) == 1
    assert calls(sandbox, name) == []
    assert await pending(db, tenant) == []


async def test_a_republished_event_is_not_delivered_twice(
    tenant: Tenant, sandbox: Sandbox, db: Database
) -> None:
    await subscribe(tenant, sandbox, ["interaction.created"])
    event_id = await publish(db, tenant)
    async with db.transaction() as s:
        event = await s.get(OutboxEvent, event_id)
        assert event is not None
        with clock.frozen(T0):
            await fan_out(s, event)  # the relay crashed after fan-out and publishes again
    assert len(await pending(db, tenant)) == 1


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 21, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == timedelta(minutes=2)
    assert parse_retry_after(" 0 ", now=now) is None
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None
    assert parse_retry_after("99999999999", now=now) == timedelta(hours=24)
    http_date = format_datetime(now + timedelta(minutes=30), usegmt=True)
    assert parse_retry_after(http_date, now=now) == timedelta(minutes=30)
    past = format_datetime(now - timedelta(minutes=30), usegmt=True)
    assert parse_retry_after(past, now=now) is None


@pytest.mark.parametrize(
    ("outcome", "attempt", "expected"),
    [
        (Outcome(status=200), 1, None),
        (Outcome(status=410), 1, None),
        (Outcome(error="refused", permanent=True), 1, None),
        (Outcome(status=500), 8, None),
        (Outcome(status=500), 1, SCHEDULE[1]),
        (Outcome(status=302), 3, SCHEDULE[3]),
        (Outcome(error="refused: resolves to 10.0.0.1"), 2, SCHEDULE[2]),
        (Outcome(status=429, retry_after=timedelta(hours=3)), 7, timedelta(hours=10)),
        (Outcome(status=429, retry_after=timedelta(hours=3)), 4, timedelta(hours=3)),
    ],
)
def test_next_attempt_decision(outcome: Outcome, attempt: int, expected: Any) -> None:
    now = datetime(2026, 11, 21, tzinfo=UTC)
    when = next_attempt_at(outcome, attempt=attempt, now=now)
    assert when == (None if expected is None else now + expected)
