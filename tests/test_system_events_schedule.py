"""Schedule flows: once per slot, whatever the number of workers, restarts and new versions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from parley import clock
from parley.flows.model import Schedule
from parley.flows.store import do_set_flow_active
from parley.models import Flow, FlowRun, Job
from parley.timers.schedule import SCHEDULE_KIND, resume_schedules
from parley.timers.slots import next_slot
from tests.factories import Tenant
from tests.test_system_events import load, new_interaction, run_jobs, save, start, system_runs

STALE = {
    "name": "Tag stale chats",
    "event": "schedule",
    "schedule": {"every_minutes": 60},
    "when": {"days_since_created": {"gt": 2}, "communication_type": ["chat"]},
    "steps": [{"set_tags": ["stale"]}],
}


async def both_runners(tenant: Tenant, at: datetime) -> int:
    """Two workers polling the same queue at the same moment, until nothing is due."""
    return await run_jobs(tenant, at, workers=2)


async def pending(tenant: Tenant) -> list[str]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Job.payload).where(
                Job.organization_id == tenant.org.id,
                Job.kind == SCHEDULE_KIND,
                Job.finished_at.is_(None),
            )
        )
        return sorted(payload["slot"] for payload in rows.scalars())


async def run_count(tenant: Tenant, interaction_id: uuid.UUID) -> int:
    async with tenant.db.transaction() as s:
        count = await s.execute(
            select(func.count()).where(
                FlowRun.interaction_id == interaction_id, FlowRun.event_type == "schedule"
            )
        )
        return int(count.scalar_one())


async def test_a_schedule_fires_once_per_slot_with_two_workers(tenant: Tenant) -> None:
    t0 = start()
    old = await new_interaction(tenant, t0 - timedelta(days=3))
    fresh = await new_interaction(tenant, t0)
    await save(tenant, STALE, t0)
    slot1 = next_slot(Schedule(every_minutes=60), t0)
    assert await pending(tenant) == [slot1.isoformat()]

    assert await both_runners(tenant, slot1 - timedelta(seconds=1)) == 0
    assert await both_runners(tenant, slot1 + timedelta(seconds=1)) == 1
    assert (await load(tenant, old)).tags == ["stale"]
    assert (await load(tenant, fresh)).tags == []
    [run] = await system_runs(tenant, old)
    assert run["trace"]["system_event"] == {"flow_version": 1, "slot": slot1.isoformat()}
    assert run["trace"]["flows"][0]["conditions"] == {
        "communication_type": True,
        "days_since_created": True,
    }
    # Only interactions whose conditions matched get a trace.
    assert await run_count(tenant, fresh) == 0

    # Two workers restarting resume the schedule: still one pending firing, the next slot.
    slot2 = slot1 + timedelta(hours=1)
    for _ in range(2):
        with clock.frozen(slot1 + timedelta(minutes=1)):
            async with tenant.db.transaction() as s:
                await resume_schedules(s)
    assert await pending(tenant) == [slot2.isoformat()]
    assert await both_runners(tenant, slot2 + timedelta(seconds=1)) == 1
    assert await run_count(tenant, old) == 2

    # After downtime, one late firing, then the next slot after now (no catching up).
    late = slot2 + timedelta(hours=5, minutes=30)
    assert await both_runners(tenant, late) == 1
    assert await run_count(tenant, old) == 3
    assert await pending(tenant) == [(slot2 + timedelta(hours=6)).isoformat()]


async def test_switching_a_schedule_flow_off_stops_it(tenant: Tenant) -> None:
    t0 = start()
    old = await new_interaction(tenant, t0 - timedelta(days=3))
    await save(tenant, STALE, t0)
    slot1 = next_slot(Schedule(every_minutes=60), t0)
    async with tenant.db.transaction() as s:
        [flow_id] = (
            await s.execute(select(Flow.id).where(Flow.organization_id == tenant.org.id))
        ).scalars()
    with clock.frozen(t0 + timedelta(minutes=1)):
        async with tenant.db.transaction() as s:
            await do_set_flow_active(s, actor=tenant.admin.actor, flow_id=flow_id, active=False)
    assert await pending(tenant) == []
    assert await both_runners(tenant, slot1 + timedelta(hours=3)) == 0
    assert await run_count(tenant, old) == 0

    # A new version with another schedule starts its own chain; the old one stays stopped.
    daily = {**STALE, "schedule": {"daily_at": "18:00", "timezone": "Europe/London"}}
    await save(tenant, daily, t0 + timedelta(minutes=2))
    evening = next_slot(
        Schedule(daily_at="18:00", timezone="Europe/London"), t0 + timedelta(minutes=2)
    )
    assert await pending(tenant) == [evening.isoformat()]
    assert await both_runners(tenant, evening + timedelta(seconds=1)) == 1
    [run] = await system_runs(tenant, old)
    assert run["trace"]["system_event"]["flow_version"] == 3


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        (Schedule(every_minutes=15), "2026-03-29T00:07:00+00:00", "2026-03-29T00:15:00+00:00"),
        (Schedule(every_minutes=15), "2026-03-29T00:15:00+00:00", "2026-03-29T00:30:00+00:00"),
        (Schedule(daily_at="18:00"), "2026-03-29T18:00:00+00:00", "2026-03-30T18:00:00+00:00"),
        # London is on GMT until 29 March 2026 01:00 UTC, on BST (UTC+1) after.
        (
            Schedule(daily_at="18:00", timezone="Europe/London"),
            "2026-03-28T12:00:00+00:00",
            "2026-03-28T18:00:00+00:00",
        ),
        (
            Schedule(daily_at="18:00", timezone="Europe/London"),
            "2026-03-29T12:00:00+00:00",
            "2026-03-29T17:00:00+00:00",
        ),
        # 01:30 does not exist in London that night: it fires an hour later (02:30 BST).
        (
            Schedule(daily_at="01:30", timezone="Europe/London"),
            "2026-03-28T12:00:00+00:00",
            "2026-03-29T01:30:00+00:00",
        ),
        (
            Schedule(daily_at="09:00", timezone="America/New_York"),
            "2026-11-21T15:00:00+00:00",
            "2026-11-22T14:00:00+00:00",
        ),
    ],
)
def test_slots(schedule: Schedule, after: str, expected: str) -> None:
    assert next_slot(schedule, datetime.fromisoformat(after)) == datetime.fromisoformat(expected)
    assert next_slot(schedule, datetime.fromisoformat(after)).tzinfo == UTC
