"""The analytics dashboard in Chromium: it renders with its charts drawn, and every number it
prints (``data-figure``) equals the figure computed in this test straight from the database."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from statistics import fmean, median
from typing import Any

from playwright.async_api import expect
from sqlalchemy import select

from parley.config import Settings
from parley.models import Activity, Channel, Interaction
from tests.analytics_seed import FROM, TO, seed
from tests.browser.conftest import Probe
from tests.browser.console_support import sign_in
from tests.factories import Tenant

CHARTS = (
    "chart-channel",
    "chart-hour",
    "chart-automation",
    "chart-escalations",
    "chart-csat",
    "chart-sentiment",
    "chart-topics",
    "chart-keywords",
)
READ_FIGURES = """
() => Array.from(document.querySelectorAll("[data-figure]")).map((el) => ({
  figure: el.dataset.figure, key: el.dataset.key ?? null, value: el.dataset.value,
}))
"""


def _r(value: float, places: int) -> str:
    return str(round(value, places))


async def figures_from_database(tenant: Tenant, queue_id: Any = None) -> dict[Any, str]:
    """Each figure, as the page prints it in data-value, from the rows themselves."""
    lo, hi = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    async with tenant.db.transaction() as session:
        stmt = (
            select(Interaction, Channel.name)
            .outerjoin(Channel, Channel.id == Interaction.channel_id)
            .where(
                Interaction.organization_id == tenant.org.id,
                Interaction.created_at >= lo,
                Interaction.created_at < hi,
            )
        )
        if queue_id is not None:
            stmt = stmt.where(Interaction.queue_id == queue_id)
        rows = (await session.execute(stmt)).all()
        ids = [i.id for i, _ in rows]
        turns = (
            await session.execute(
                select(Activity.data).where(
                    Activity.interaction_id.in_(ids), Activity.kind == "automation_turn"
                )
            )
        ).scalars()
        reasons = Counter(d["reason"] for d in turns if d.get("decision") == "handoff")
    items = [i for i, _ in rows]
    out: dict[Any, str] = {"interactions": str(len(items))}
    done = [i for i in items if i.state.value == "completed" and i.merged_into_id is None]
    by = Counter(i.handled_by.value if i.handled_by else None for i in done)
    out["resolved"] = str(len(done))
    out["resolved_by_procedure"] = str(by["aop"])
    out["resolved_by_knowledge"] = str(by["kb"])
    out["resolved_by_human"] = str(by["human"])
    out["automation_rate"] = _r((by["aop"] + by["kb"]) / len(done), 4) if done else ""
    firsts = [
        (i.first_response_at - i.created_at).total_seconds() for i in items if i.first_response_at
    ]
    handles = [
        (i.completed_at - i.assigned_at).total_seconds()
        for i in items
        if i.completed_at and i.assigned_at
    ]
    out["first_response_count"] = str(len(firsts))
    out["first_response_avg_s"] = _r(fmean(firsts), 3) if firsts else ""
    out["first_response_median_s"] = _r(median(firsts), 3) if firsts else ""
    out["handle_time_count"] = str(len(handles))
    out["handle_time_avg_s"] = _r(fmean(handles), 3) if handles else ""
    out["handle_time_median_s"] = _r(median(handles), 3) if handles else ""
    fr = [
        i
        for i in items
        if i.first_response_due_at and (i.first_response_at or i.first_response_breached)
    ]
    res = [i for i in items if i.resolution_due_at and (i.completed_at or i.resolution_breached)]
    out["sla_first_response_rate"] = (
        _r(sum(not i.first_response_breached for i in fr) / len(fr), 4) if fr else ""
    )
    out["sla_resolution_rate"] = (
        _r(sum(not i.resolution_breached for i in res) / len(res), 4) if res else ""
    )
    out["sla_breached"] = str(
        sum(
            1
            for i in items
            if i.first_response_breached or i.next_response_breached or i.resolution_breached
        )
    )
    survey = [i.csat for i in items if i.csat is not None and i.csat_source == "survey"]
    predicted = [i.csat for i in items if i.csat is not None and i.csat_source != "survey"]
    out["csat_survey_count"] = str(len(survey))
    out["csat_survey_avg"] = _r(fmean(survey), 3) if survey else ""
    out["csat_predicted_count"] = str(len(predicted))
    out["csat_predicted_avg"] = _r(fmean(predicted), 3) if predicted else ""
    cent = Decimal("0.000001")
    total = sum((i.llm_cost for i in items), Decimal(0))
    automated = [i for i in items if i.handled_by and i.handled_by.value in ("aop", "kb")]
    spent = sum((i.llm_cost for i in automated), Decimal(0))
    auto_done = [i for i in done if i.handled_by and i.handled_by.value in ("aop", "kb")]
    out["cost_total"] = str(total.quantize(cent))
    out["cost_automated"] = str(spent.quantize(cent))
    out["cost_per_automated_resolution"] = (
        str((spent / len(auto_done)).quantize(cent)) if auto_done else ""
    )
    out["resolved_unattributed"] = str(len(done) - by["aop"] - by["kb"] - by["human"])
    for name, n in Counter(name or "No channel" for _, name in rows).items():
        out[("volume_by_channel", name)] = str(n)
    for hour, n in Counter(i.created_at.astimezone(UTC).hour for i in items).items():
        out[("volume_by_hour", str(hour))] = str(n)
    for reason in (
        "asked_for_person",
        "repeated_failures",
        "negative_sentiment",
        "no_answer",
        "procedure_handoff",
    ):
        out[("escalation_reasons", reason)] = str(reasons[reason])
    sentiments = Counter(i.sentiment.value if i.sentiment else "unknown" for i in items)
    for label in ("positive", "neutral", "negative", "unknown"):
        out[("sentiment", label)] = str(sentiments[label])
    for topic, n in Counter(i.topic for i in items if i.topic).items():
        out[("top_topics", topic)] = str(n)
    words: Counter[str] = Counter()
    for i in items:
        words.update({k.casefold() for k in i.keywords})
    for word, n in words.items():
        out[("top_keywords", word)] = str(n)
    return out


async def page_figures(page: Any) -> dict[Any, str]:
    found = await page.evaluate(READ_FIGURES)
    out: dict[Any, str] = {}
    for f in found:
        key = f["figure"] if f["key"] is None else (f["figure"], f["key"])
        assert key not in out, f"figure {key} printed twice"
        out[key] = f["value"]
    return out


async def test_dashboard_numbers_match_the_database(
    probe: Probe, tenant: Tenant, settings: Settings, artifacts: Path
) -> None:
    await seed(tenant)
    page = probe.page
    await sign_in(page, probe.base_url, tenant.supervisor.user.email)
    await page.click(".sidenav a[href='/console/analytics']")
    await page.wait_for_url(probe.url("/console/analytics"))
    await page.fill("input[name=from]", FROM)
    await page.fill("input[name=to]", TO)
    await page.click("#analytics-filters button[type=submit]")
    await page.wait_for_url(f"**/console/analytics?from={FROM}&to={TO}**")
    main = page.locator("#content")
    await expect(main).to_have_attribute("data-charts", "ready")

    want = await figures_from_database(tenant)
    assert want["interactions"] == "6"
    assert await page_figures(page) == want

    for chart in CHARTS:
        await expect(page.locator(f"#{chart}")).to_have_attribute("data-drawn", "true")
    drawn = await page.evaluate(
        "(ids) => ids.map((id) => { const c = window.Chart.getChart(id);"
        " return c ? c.data.datasets[0].data : null; })",
        list(CHARTS),
    )
    hours = [int(want.get(("volume_by_hour", str(h)), "0")) for h in range(24)]
    assert drawn[1] == hours
    assert sum(drawn[0]) == 6
    assert drawn[2] == [
        int(want[k])
        for k in (
            "resolved_by_procedure",
            "resolved_by_knowledge",
            "resolved_by_human",
            "resolved_unattributed",
        )
    ]
    assert drawn[4] == [5, 2, None]  # survey CSAT on the 10th, 11th and 12th (none)
    if settings.is_sqlite:
        await page.screenshot(path=artifacts / "console-analytics.png", full_page=True)
    await expect(page.locator("#export-csv")).to_have_attribute(
        "href", f"/api/v1/analytics/export.csv?from={FROM}&to={TO}"
    )

    # Filter by queue through the form: the numbers follow.
    await page.select_option("select[name=queue_id]", str(tenant.queue2.id))
    await page.click("#analytics-filters button[type=submit]")
    await page.wait_for_url(f"**queue_id={tenant.queue2.id}**")
    await expect(main).to_have_attribute("data-charts", "ready")
    assert await page_figures(page) == await figures_from_database(tenant, tenant.queue2.id)
    await expect(page.locator("[data-figure=interactions]")).to_have_text("2")
    await probe.assert_clean()


async def test_agents_cannot_open_the_dashboard(probe: Probe, tenant: Tenant) -> None:
    page = probe.page
    await sign_in(page, probe.base_url, tenant.agent.user.email)
    await expect(page.locator(".sidenav")).not_to_contain_text("Analytics")
    await page.goto(probe.url("/console/analytics"))
    await expect(page.locator("#page-message")).to_contain_text("supervisors and admins")
    probe.allow_error_document(403, "/console/analytics")
    await probe.assert_clean()
