"""Many routing workers on one PostgreSQL at once: no interaction is assigned twice, no agent goes
over capacity, and everything that can be assigned is.

2,000 waiting interactions (two queues, four communication types, four priorities) and 50 agents
with their own capacities (some away, some working both queues) are drained by four asyncio
workers, each with its own connection, and two separate OS processes, all released together.
PostgreSQL only: it is where FOR UPDATE SKIP LOCKED does the work (SQLite serializes writers, so
there is no race to test); the SQLite variant skips, the PostgreSQL one always runs.

The worker processes run this module: ``python -m tests.test_routing_concurrency URL ORG Q...``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from parley.bench.world import add_waiting, seed_world
from parley.db.engine import Database
from parley.models import Activity, AgentProfile, Interaction, Queue, QueueMember
from parley.models.enums import Presence, RoutingStrategy, State
from parley.routing.decide import DEFAULT_CAPACITY
from parley.routing.engine import loads_of, route_queue

ROOT = Path(__file__).resolve().parent.parent
WAITING_PER_QUEUE = 1_000
AGENTS = 50
TASKS = 4
PROCESSES = 2
DEADLINE_S = 240


async def assignable_left(
    db: Database, organization_id: uuid.UUID, queue_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str, uuid.UUID]]:
    """(queue, type, agent) triples where work of that type waits and the agent could take it."""
    left = []
    async with db.transaction() as s:
        for queue_id in queue_ids:
            waiting = dict(
                (
                    await s.execute(
                        select(Interaction.communication_type, func.count())
                        .where(Interaction.queue_id == queue_id, Interaction.state == State.queued)
                        .group_by(Interaction.communication_type)
                    )
                ).all()
            )
            rows = (
                await s.execute(
                    select(AgentProfile)
                    .join(QueueMember, QueueMember.user_id == AgentProfile.user_id)
                    .where(
                        QueueMember.queue_id == queue_id,
                        AgentProfile.organization_id == organization_id,
                        AgentProfile.presence == Presence.available,
                    )
                )
            ).scalars()
            profiles = list(rows)
            loads = await loads_of(s, organization_id, [p.user_id for p in profiles])
            for kind, count in waiting.items():
                for p in profiles:
                    limit = int(p.capacity.get(str(kind), DEFAULT_CAPACITY.get(str(kind), 1)))
                    if count and loads[p.user_id].get(str(kind), 0) < limit:
                        left.append((queue_id, str(kind), p.user_id))
    return left


async def drain_worker(
    db: Database, organization_id: uuid.UUID, queue_ids: Sequence[uuid.UUID], start: int
) -> int:
    """Route until nothing assignable is left; returns how many assignments this worker made."""
    routed = 0
    order = [*queue_ids[start % len(queue_ids) :], *queue_ids[: start % len(queue_ids)]]
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        this_round = 0
        for queue_id in order:
            async with db.transaction() as s:
                queue = await s.get(Queue, queue_id)
                assert queue is not None
                this_round += len(await route_queue(s, queue, limit=25))
        routed += this_round
        if this_round == 0:
            if not await assignable_left(db, organization_id, queue_ids):
                break
            await asyncio.sleep(0.01)  # the rest is locked by other workers right now
    return routed


async def _process_main(argv: Sequence[str]) -> None:
    """A separate worker process: connect, say ready, wait for 'go', drain, print the count."""
    url, org, *queues = argv
    db = Database(url)
    try:
        await db.ping()
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        routed = await drain_worker(db, uuid.UUID(org), [uuid.UUID(q) for q in queues], 1)
        print(json.dumps({"routed": routed}), flush=True)
    finally:
        await db.dispose()


async def _spawn(
    url: str, organization_id: uuid.UUID, queue_ids: Sequence[uuid.UUID]
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.test_routing_concurrency",
        url,
        str(organization_id),
        *(str(q) for q in queue_ids),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    if line.strip() != b"ready":
        _, err = await process.communicate()
        raise AssertionError(f"worker process did not start: {line!r} {err.decode()[-2000:]}")
    return process


async def _result(process: asyncio.subprocess.Process) -> int:
    out, err = await asyncio.wait_for(process.communicate(), DEADLINE_S + 60)
    assert process.returncode == 0, err.decode()[-4000:]
    routed: int = json.loads(out.decode().strip().splitlines()[-1])["routed"]
    return routed


async def test_many_workers_never_assign_twice_or_overfill(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite serializes writers, so there is no race to test")
    db = Database(database_url)
    try:
        now = datetime.now(UTC)
        world = await seed_world(
            db, agents=AGENTS, queues=2, away_every=10, at=now, strategy=RoutingStrategy.least_busy
        )
        for n, queue_id in enumerate(world.queue_ids):
            await add_waiting(db, world, queue_id=queue_id, count=WAITING_PER_QUEUE, at=now, seed=n)
        async with db.transaction() as s:
            # One queue rotates (round robin writes its cursor on every assignment).
            second = await s.get(Queue, world.queue_ids[1])
            assert second is not None
            second.routing_strategy = RoutingStrategy.round_robin

        org, queues = world.organization_id, world.queue_ids
        processes = [await _spawn(database_url, org, queues) for _ in range(PROCESSES)]
        go = asyncio.Event()

        async def task(n: int) -> int:
            await go.wait()
            return await drain_worker(db, org, queues, n)

        tasks = [asyncio.create_task(task(n)) for n in range(TASKS)]
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        go.set()
        by_task = await asyncio.gather(*tasks)
        by_process = [await _result(p) for p in processes]

        await _check(db, world.organization_id, queues, world.members, world.away_ids)
        assigned = await _assigned_count(db, org)
        assert sum(by_task) + sum(by_process) == assigned
        assert assigned > 300, "enough capacity for hundreds of assignments"
        assert sum(1 for n in (*by_task, *by_process) if n > 0) >= 3, (by_task, by_process)
    finally:
        await db.dispose()


async def _assigned_count(db: Database, organization_id: uuid.UUID) -> int:
    async with db.transaction() as s:
        count = await s.execute(
            select(func.count()).where(
                Interaction.organization_id == organization_id,
                Interaction.state == State.assigned,
            )
        )
        return int(count.scalar_one())


async def _check(
    db: Database,
    organization_id: uuid.UUID,
    queue_ids: Sequence[uuid.UUID],
    members: dict[uuid.UUID, tuple[uuid.UUID, ...]],
    away: frozenset[uuid.UUID],
) -> None:
    async with db.transaction() as s:
        # Exactly one 'assigned' activity per assigned interaction, and none anywhere else.
        per_interaction = dict(
            (
                await s.execute(
                    select(Activity.interaction_id, func.count())
                    .where(Activity.organization_id == organization_id, Activity.kind == "assigned")
                    .group_by(Activity.interaction_id)
                )
            ).all()
        )
        assigned = (
            await s.execute(
                select(Interaction.id, Interaction.queue_id, Interaction.assignee_id).where(
                    Interaction.organization_id == organization_id,
                    Interaction.state == State.assigned,
                )
            )
        ).all()
        assert {i for i, _, _ in assigned} == set(per_interaction)
        assert set(per_interaction.values()) == {1}
        for _, queue_id, assignee_id in assigned:
            assert queue_id is not None
            assert assignee_id in members[queue_id], "only the queue's own members get its work"
        # Nobody over capacity in any communication type; nobody away got anything.
        profiles = list(
            (
                await s.execute(
                    select(AgentProfile).where(AgentProfile.organization_id == organization_id)
                )
            ).scalars()
        )
        loads = await loads_of(s, organization_id, [p.user_id for p in profiles])
        for p in profiles:
            for kind, load in loads[p.user_id].items():
                assert load <= int(p.capacity[kind]), (p.user_id, kind, load, p.capacity)
            if p.user_id in away:
                assert loads[p.user_id] == {}
    # And everything that could be assigned was.
    assert await assignable_left(db, organization_id, queue_ids) == []


if __name__ == "__main__":
    asyncio.run(_process_main(sys.argv[1:]))
