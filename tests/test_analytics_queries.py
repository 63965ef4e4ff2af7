"""Dashboard figures over known interactions, on SQLite and PostgreSQL: each figure equals the
one computed by hand from the seeded values (tests/analytics_seed.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from parley.errors import InvalidInput
from parley.queries import analytics as qa
from tests.analytics_seed import FROM, TO, Spec, at, expected, seed, specs
from tests.factories import Tenant


async def _summary(tenant: Tenant, actor: Any = None, **filters: str) -> qa.Summary:
    f = qa.AnalyticsFilter.parse(start=FROM, end=TO, **filters)
    async with tenant.db.transaction() as session:
        return await qa.summary(session, actor or tenant.admin.actor, f)


def _counts(items: list[qa.Count]) -> dict[str, int]:
    return {c.label: c.count for c in items if c.count}


def assert_matches(s: qa.Summary, want: dict[str, Any]) -> None:
    assert s.interactions == want["interactions"]
    assert s.automation.resolved == want["resolved"]
    assert s.automation.by_procedure == want["resolved_by_procedure"]
    assert s.automation.by_knowledge == want["resolved_by_knowledge"]
    assert s.automation.by_human == want["resolved_by_human"]
    assert s.automation.rate == want["automation_rate"]
    assert s.volume_by_hour == want["volume_by_hour"]
    assert {v.label: v.count for v in s.volume_by_channel} == dict(want["volume_by_channel"])
    assert _counts(s.escalation_reasons) == dict(want["escalation_reasons"])
    assert [c.label for c in s.escalation_reasons][:5] == list(qa.ESCALATION_REASONS)
    assert s.first_response.average_s == want["first_response_avg_s"]
    assert s.first_response.median_s == want["first_response_median_s"]
    assert s.first_response.count == want["first_response_count"]
    assert s.handle_time.average_s == want["handle_time_avg_s"]
    assert s.handle_time.median_s == want["handle_time_median_s"]
    assert s.handle_time.count == want["handle_time_count"]
    assert s.sla.first_response_rate == want["sla_first_response_rate"]
    assert s.sla.resolution_rate == want["sla_resolution_rate"]
    assert s.sla.breached == want["sla_breached"]
    assert s.csat.survey_average == want["csat_survey_avg"]
    assert s.csat.survey_count == want["csat_survey_count"]
    assert s.csat.predicted_average == want["csat_predicted_avg"]
    assert s.csat.predicted_count == want["csat_predicted_count"]
    assert _counts(s.sentiment) == dict(want["sentiment"])
    assert _counts(s.top_topics) == dict(want["top_topics"])
    assert _counts(s.top_keywords) == dict(want["top_keywords"])
    assert s.cost.total == want["cost_total"].quantize(qa.CENT)
    assert s.cost.automated == want["cost_automated"].quantize(qa.CENT)
    per = want["cost_per_automated_resolution"]
    assert s.cost.per_automated_resolution == (None if per is None else per.quantize(qa.CENT))


async def test_every_figure_matches_the_rows(tenant: Tenant) -> None:
    seeded = await seed(tenant)
    s = await _summary(tenant)
    want = expected(seeded.specs)
    assert_matches(s, want)
    # The hand-computed values themselves, so a shared mistake cannot hide.
    assert s.interactions == 6
    assert (s.automation.resolved, s.automation.rate) == (3, 0.6667)
    assert s.first_response.average_s == (120 + 1800 + 90 + 240) / 4
    assert s.sla.first_response_rate == 0.6667 and s.sla.resolution_rate == 0.6667
    assert _counts(s.top_keywords) == {"refund": 3, "late parcel": 2, "invoice": 2}
    assert s.cost.total == Decimal("0.065300")
    assert s.cost.per_automated_resolution == Decimal("0.007150")
    assert s.top_topics[0] == qa.Count("Refunds", 3)
    days = {p.day: p for p in s.csat.days}
    assert days["2026-03-10"].survey_average == 5 and days["2026-03-10"].predicted_average == 4
    assert days["2026-03-12"].predicted_count == 1 and days["2026-03-12"].survey_count == 0


@pytest.mark.parametrize(
    ("name", "keep"),
    [
        ("channel", lambda s: s.channel == "chat"),
        ("queue", lambda s: s.queue == 2),
        ("agent", lambda s: s.assignee == "agent"),
        ("procedure", lambda s: "order_status" in s.procedures),
    ],
)
async def test_filters_match_the_rows(tenant: Tenant, name: str, keep: Any) -> None:
    seeded = await seed(tenant)
    params = {
        "channel": {"channel_id": str(seeded.chat.id)},
        "queue": {"queue_id": str(tenant.queue2.id)},
        "agent": {"agent_id": str(tenant.agent.user.id)},
        "procedure": {"procedure": "order_status"},
    }[name]
    s = await _summary(tenant, **params)
    kept = [x for x in seeded.specs if keep(x)]
    assert s.interactions == len([x for x in kept if x.created.month == 3]) > 0
    assert_matches(s, expected(kept))


async def test_visibility_supervisor_and_agent(tenant: Tenant) -> None:
    seeded = await seed(tenant)
    # The supervisor is in both queues: everything. Agent 1 is in Support only: Support's
    # interactions, their own and unrouted ones.
    assert_matches(await _summary(tenant, tenant.supervisor.actor), expected(seeded.specs))
    mine = [x for x in seeded.specs if x.queue in (1, None)]
    assert_matches(await _summary(tenant, tenant.agent.actor), expected(mine))


async def test_other_organizations_rows_never_count(tenant: Tenant, other_tenant: Tenant) -> None:
    await seed(other_tenant)
    s = await _summary(tenant)
    assert s.interactions == 0 and s.cost.total == 0
    b_queue = await _summary(tenant, queue_id=str(other_tenant.queue.id))
    assert b_queue.interactions == 0


async def test_empty_range_has_no_averages(tenant: Tenant) -> None:
    s = await _summary(tenant)
    assert s.interactions == 0
    assert s.automation.rate is None and s.first_response.average_s is None
    assert s.csat.survey_average is None and s.cost.per_automated_resolution is None
    assert s.volume_by_hour == [0] * 24


async def test_many_rows_cross_batches(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa, "BATCH", 3)
    items = [Spec(at(5, h % 24, h), csat=1 + h % 5, csat_source="survey") for h in range(11)]
    seeded = await seed(tenant, items)
    s = await _summary(tenant)
    assert_matches(s, expected(seeded.specs))


def test_filter_parsing() -> None:
    f = qa.AnalyticsFilter.parse(start="2026-03-01", end="2026-03-31")
    assert (f.start, f.end) == (at(1, 0), at(31, 0) + (at(2, 0) - at(1, 0)))
    assert f.query() == {"from": "2026-03-01", "to": "2026-03-31"}
    g = qa.AnalyticsFilter.parse(start="2026-03-01T10:00:00Z", end="2026-03-02T00:00:00+01:00")
    assert g.start == at(1, 10) and g.end == at(1, 23)
    for bad in (
        {"start": "yesterday"},
        {"start": "2026-03-01T10:00:00"},
        {"start": "2026-03-05", "end": "2026-03-01"},
        {"start": "2024-01-01", "end": "2026-01-01"},
        {"queue_id": "not-an-id"},
    ):
        with pytest.raises(InvalidInput):
            qa.AnalyticsFilter.parse(**bad)


def test_specs_are_what_the_figures_assume() -> None:
    assert len(specs()) == 7
