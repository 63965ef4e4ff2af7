"""``parley bench routing``: routing decisions per second, and how they change as the queue grows.

Two figures, each beside a raw baseline measured in the same run, interleaved with it:

- **pure**: ``choose`` alone (no database) for one queue of ``agents`` agents, per strategy. The
  baseline is the least any router must do: take the first available agent with room.
- **database**: ``route_queue`` draining a queue of 1k, 10k and 100k waiting interactions on
  SQLite (and PostgreSQL with ``--database-url``). The baseline is the raw cost of one assignment:
  ``SELECT ... ORDER BY priority, queued_at LIMIT 1 FOR UPDATE SKIP LOCKED`` then ``UPDATE``, with
  the agent picked by a counter. After every timed batch the assigned work is put back in the
  queue (untimed), so each batch sees the queue at its nominal size.

The ratio is Parley's decisions per second over the baseline's (1.0 = as fast as the floor).
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Uuid, bindparam, text, update

from parley.bench.world import KINDS, World, add_waiting, capacity_for, seed_world
from parley.db.base import UTCDateTime
from parley.db.engine import Database
from parley.db.migrate import upgrade
from parley.models import Interaction, Queue
from parley.models.enums import Priority, RoutingStrategy, State
from parley.routing.decide import AgentState, QueueRules, Work, choose
from parley.routing.engine import route_queue
from parley.routing.policy import SkillRule


@dataclass(frozen=True)
class Config:
    agents: int = 1_000
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    decisions: int = 400  # assignments per timed database batch
    batch: int = 200  # route_queue's limit (what one drain job takes)
    runs: int = 3
    pure_decisions: int = 2_000
    database_url: str | None = None
    seed: int = 7


@dataclass
class Sample:
    decisions: int = 0
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)

    def add(self, decisions: int, wall: float, cpu: float) -> None:
        self.decisions = decisions
        self.wall_s.append(wall)
        self.cpu_s.append(cpu)

    def rates(self) -> list[float]:
        return [self.decisions / w if w > 0 else float("inf") for w in self.wall_s]

    def summary(self) -> dict[str, Any]:
        rates = self.rates()
        return {
            "decisions": self.decisions,
            "runs": len(rates),
            "decisions_per_s": round(statistics.median(rates), 1),
            "range": [round(min(rates), 1), round(max(rates), 1)],
            "us_per_decision": round(1e6 * statistics.median(self.wall_s) / self.decisions, 1),
            "cpu_us_per_decision": round(1e6 * statistics.median(self.cpu_s) / self.decisions, 1),
        }


def _ratio(parley: Sample, baseline: Sample) -> float:
    return round(statistics.median(parley.rates()) / statistics.median(baseline.rates()), 4)


async def _timed(sample: Sample, fn: Callable[[], Awaitable[int]]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    decisions = await fn()
    sample.add(decisions, time.perf_counter() - wall, time.process_time() - cpu)


def say(message: str) -> None:
    print(f"bench routing: {message}", file=sys.stderr, flush=True)


# --- the pure decision ------------------------------------------------------------------------


def _pure_agents(config: Config, queue_id: uuid.UUID, now: datetime) -> list[AgentState]:
    rng = random.Random(config.seed)  # noqa: S311 - repeatable bench data, not secrets
    return [
        AgentState(
            user_id=uuid.UUID(int=n + 1),
            available=n % 10 != 9,
            capacity=capacity_for(rng),
            skills={"billing": rng.randint(1, 10), "spanish": rng.randint(1, 10)},
            idle_since=now - timedelta(seconds=rng.randint(0, 3600)),
            queue_ids=frozenset({queue_id}),
        )
        for n in range(config.agents)
    ]


def _pure_work(config: Config, queue_id: uuid.UUID, now: datetime) -> list[Work]:
    return [
        Work(
            interaction_id=uuid.UUID(int=n + 1),
            queue_id=queue_id,
            communication_type=KINDS[n % len(KINDS)],
            priority=Priority.normal,
            queued_at=now,
        )
        for n in range(config.pure_decisions)
    ]


def _decide_all(rules: QueueRules, work: Sequence[Work], agents: list[AgentState]) -> int:
    now = datetime.now(UTC)
    made = 0
    for item in work:
        agent = choose(rules, item, agents, waited_s=30)
        if agent is None:
            continue
        agent.took(item.communication_type, now)
        if rules.strategy == RoutingStrategy.round_robin:
            rules = QueueRules(rules.queue_id, rules.strategy, rules.skills, agent.user_id)
        made += 1
    return made


def _first_free_all(work: Sequence[Work], agents: list[AgentState]) -> int:
    """The floor: the first available agent with room for the work's type."""
    now = datetime.now(UTC)
    made = 0
    for item in work:
        kind = item.communication_type
        agent = next((a for a in agents if a.available and a.free(kind) > 0), None)
        if agent is not None:
            agent.took(kind, now)
            made += 1
    return made


async def bench_pure(config: Config) -> dict[str, Any]:
    now = datetime.now(UTC)
    queue_id = uuid.uuid4()
    work = _pure_work(config, queue_id, now)
    strategies = {
        "least_busy": QueueRules(queue_id, RoutingStrategy.least_busy),
        "round_robin": QueueRules(queue_id, RoutingStrategy.round_robin),
        "longest_idle": QueueRules(queue_id, RoutingStrategy.longest_idle),
        "skills": QueueRules(
            queue_id, RoutingStrategy.skills, SkillRule(skills={"billing": 3, "spanish": 2})
        ),
    }
    baseline = Sample()
    samples = {name: Sample() for name in strategies}

    async def floor() -> int:
        return _first_free_all(work, _pure_agents(config, queue_id, now))

    for _ in range(config.runs):
        await _timed(baseline, floor)
        for name, rules in strategies.items():
            agents = _pure_agents(config, queue_id, now)

            async def decide(rules: QueueRules = rules, agents: list[AgentState] = agents) -> int:
                return _decide_all(rules, work, agents)

            await _timed(samples[name], decide)
    return {
        "agents": config.agents,
        "baseline": {"what": "first available agent with room", **baseline.summary()},
        "strategies": {
            name: {**s.summary(), "ratio_to_baseline": _ratio(s, baseline)}
            for name, s in samples.items()
        },
    }


# --- the database drain -----------------------------------------------------------------------


async def _reset(db: Database, queue_id: uuid.UUID) -> None:
    """Put the queue's assigned work back, untimed, so the next batch sees the same queue."""
    async with db.transaction() as s:
        await s.execute(
            update(Interaction)
            .where(Interaction.queue_id == queue_id, Interaction.state == State.assigned)
            .values(state=State.queued, assignee_id=None, assigned_at=None, handled_by=None)
        )


async def _parley_batch(db: Database, queue_id: uuid.UUID, config: Config) -> int:
    made = 0
    while made < config.decisions:
        async with db.transaction() as s:
            queue = await s.get(Queue, queue_id)
            assert queue is not None
            routed = await route_queue(s, queue, limit=min(config.batch, config.decisions - made))
        if not routed:
            break
        made += len(routed)
    return made


PICK_SQLITE = (
    "SELECT id FROM interactions WHERE queue_id = :q AND state = 'queued' "
    "ORDER BY priority, queued_at LIMIT 1"
)
PICK = PICK_SQLITE + " FOR UPDATE SKIP LOCKED"


async def _baseline_batch(db: Database, world: World, queue_id: uuid.UUID, config: Config) -> int:
    pick = text(PICK_SQLITE if db.dialect == "sqlite" else PICK).bindparams(
        bindparam("q", type_=Uuid())
    )
    assign = text(
        "UPDATE interactions SET state = 'assigned', assignee_id = :a, assigned_at = :t "
        "WHERE id = :i"
    ).bindparams(bindparam("a", type_=Uuid()), bindparam("t", type_=UTCDateTime()))
    agents = [a for a in world.agent_ids if a not in world.away_ids]
    made = 0
    while made < config.decisions:
        async with db.transaction() as s:
            for _ in range(min(config.batch, config.decisions - made)):
                found = (await s.execute(pick, {"q": queue_id})).scalar_one_or_none()
                if found is None:
                    return made
                agent = agents[made % len(agents)]
                await s.execute(assign, {"a": agent, "t": datetime.now(UTC), "i": found})
                made += 1
    return made


async def bench_database(url: str, config: Config) -> dict[str, Any]:
    await upgrade(url)
    db = Database(url)
    try:
        started = time.perf_counter()
        now = datetime.now(UTC)
        world = await seed_world(db, agents=config.agents, queues=1, away_every=10, at=now)
        seeded_agents_s = time.perf_counter() - started
        queue_id = world.queue_ids[0]
        waiting, rows = 0, list[dict[str, Any]]()
        for size in config.sizes:
            started = time.perf_counter()
            await add_waiting(
                db, world, queue_id=queue_id, count=size - waiting, at=now, seed=config.seed + size
            )
            insert_s = time.perf_counter() - started
            waiting = size
            say(f"{db.dialect}: {size} waiting ({insert_s:.1f} s to insert); timing")
            parley, baseline = Sample(), Sample()
            for _ in range(config.runs):

                async def base() -> int:
                    return await _baseline_batch(db, world, queue_id, config)

                async def drain() -> int:
                    return await _parley_batch(db, queue_id, config)

                await _timed(baseline, base)
                await _reset(db, queue_id)
                await _timed(parley, drain)
                await _reset(db, queue_id)
            rows.append(
                {
                    "waiting": size,
                    "insert_s": round(insert_s, 2),
                    "parley": parley.summary(),
                    "baseline": baseline.summary(),
                    "ratio": _ratio(parley, baseline),
                }
            )
        first, last = rows[0], rows[-1]
        return {
            "agents": config.agents,
            "agents_available": config.agents - len(world.away_ids),
            "seed_agents_s": round(seeded_agents_s, 2),
            "baseline_what": "SELECT ... LIMIT 1 FOR UPDATE SKIP LOCKED + UPDATE per assignment",
            "by_waiting": rows,
            # > 1.0 means each decision costs more in the bigger queue.
            "growth": {
                "parley_us_per_decision_last_over_first": round(
                    last["parley"]["us_per_decision"] / first["parley"]["us_per_decision"], 3
                ),
                "baseline_us_per_decision_last_over_first": round(
                    last["baseline"]["us_per_decision"] / first["baseline"]["us_per_decision"], 3
                ),
            },
        }
    finally:
        await db.dispose()


def _machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in load],
    }


async def run(config: Config) -> dict[str, Any]:
    """The whole benchmark as one JSON-ready object."""
    report: dict[str, Any] = {
        "bench": "routing",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "config": {k: v for k, v in asdict(config).items() if k != "database_url"},
    }
    say(f"pure decision, {config.agents} agents")
    report["pure"] = await bench_pure(config)
    databases: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        databases["sqlite"] = await bench_database(
            f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", config
        )
    if config.database_url:
        databases["postgresql"] = await bench_database(config.database_url, config)
    report["database"] = databases
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in load]
    return report


def run_sync(config: Config) -> dict[str, Any]:
    return asyncio.run(run(config))
