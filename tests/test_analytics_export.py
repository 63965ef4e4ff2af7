"""Exports (CSV, JSON lines) and the summary API: one row per interaction with every insight
field, streamed in batches, safe to open in a spreadsheet, and only what the caller may see."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from parley.models import QueueMember
from parley.queries import analytics as qa
from tests.analytics_seed import FROM, TO, Spec, at, expected, in_range, seed
from tests.factories import Tenant

API = "/api/v1/analytics"
RANGE = {"from": FROM, "to": TO}


async def _csv(client: Any, **params: str) -> list[dict[str, str]]:
    r = await client.get(f"{API}/export.csv", params={**RANGE, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    reader = csv.reader(io.StringIO(r.text))
    header = next(reader)
    assert tuple(header) == qa.EXPORT_FIELDS
    return [dict(zip(header, row, strict=True)) for row in reader]


async def _jsonl(client: Any, **params: str) -> list[dict[str, Any]]:
    r = await client.get(f"{API}/export.jsonl", params={**RANGE, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in r.text.splitlines()]


async def test_csv_has_one_row_per_interaction_with_every_field(tenant: Tenant) -> None:
    seeded = await seed(tenant)
    rows = await _csv(tenant.supervisor.client)
    want = sorted(in_range(seeded.specs), key=lambda s: s.created)
    assert [int(r["number"]) for r in rows] == [s.number for s in want]
    first = rows[0]
    assert first["created_at"] == "2026-03-10T09:15:00+00:00"
    assert (first["channel"], first["communication_type"], first["direction"]) == (
        "webchat",
        "chat",
        "inbound",
    )
    assert (first["state"], first["queue"], first["assignee"]) == (
        "completed",
        "Support",
        tenant.agent.user.name,
    )
    assert (first["handled_by"], first["first_response_s"], first["handle_time_s"]) == (
        "human",
        "120.0",
        "1740.0",
    )
    assert first["duration_s"] == "1800.0" and first["sla_breached"] == "false"
    assert (first["browser"], first["os"], first["ip"]) == ("Firefox", "Linux", "203.0.113.9")
    assert (first["country"], first["city"], first["url"]) == (
        "GB",
        "Leeds",
        "https://shop.example/help",
    )
    assert (first["csat"], first["csat_source"], first["csat_description"]) == (
        "5",
        "survey",
        "CSAT 5",
    )
    assert (first["sentiment"], first["topic"], first["keywords"]) == (
        "positive",
        "Refunds",
        "refund; late parcel",
    )
    second = rows[1]
    assert (second["handled_by"], second["procedures"], second["llm_cost"]) == (
        "aop",
        "order_status",
        "0.012300",
    )
    assert second["llm_model"] == "gpt-test" and second["queue"] == "Support"
    fourth = rows[3]
    assert fourth["procedures"] == "refund_request"
    assert fourth["escalation_reasons"] == "asked_for_person"
    assert fourth["state"] == "assigned" and fourth["duration_s"] == ""
    unrouted = rows[4]
    assert unrouted["channel"] == "" and unrouted["queue"] == "" and unrouted["assignee"] == ""


async def test_csv_cells_cannot_run_as_formulas(tenant: Tenant) -> None:
    await seed(tenant)
    rows = await _csv(tenant.admin.client)
    cells = [c for r in rows for c in r.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert rows[2]["sentiment_description"] == "'=1+2"
    assert rows[3]["browser"] == "'-cmd|' /C calc'!A0"
    assert rows[3]["city"] == "'@SUM(1+1)"
    # JSON lines are data, not a spreadsheet: the values are exact.
    lines = await _jsonl(tenant.admin.client)
    assert lines[2]["sentiment_description"] == "=1+2"
    assert lines[3]["browser"] == "-cmd|' /C calc'!A0"


async def test_jsonl_rows_and_types(tenant: Tenant) -> None:
    seeded = await seed(tenant)
    lines = await _jsonl(tenant.api)
    want = sorted(in_range(seeded.specs), key=lambda s: s.created)
    assert [x["number"] for x in lines] == [s.number for s in want]
    for line in lines:
        assert tuple(line) == qa.EXPORT_FIELDS
    first, fourth, sixth = lines[0], lines[3], lines[5]
    assert first["first_response_s"] == 120.0 and first["csat"] == 5
    assert first["keywords"] == ["refund", "late parcel"] and first["sla_breached"] is False
    assert fourth["procedures"] == ["refund_request"]
    assert fourth["escalation_reasons"] == ["asked_for_person"] and fourth["sla_breached"] is True
    assert sixth["escalation_reasons"] == ["no_answer", "negative_sentiment"]
    assert [x["llm_cost"] for x in lines] == [
        "0.000000",
        "0.012300",
        "0.002000",
        "0.050000",
        "0.000000",
        "0.001000",
    ]


async def test_filters_apply_to_exports(tenant: Tenant) -> None:
    seeded = await seed(tenant)
    chat = await _jsonl(tenant.admin.client, channel_id=str(seeded.chat.id))
    assert {x["channel"] for x in chat} == {"webchat"} and len(chat) == 4
    billing = await _csv(tenant.admin.client, queue_id=str(tenant.queue2.id))
    assert {r["queue"] for r in billing} == {"Billing"} and len(billing) == 2
    procedure = await _jsonl(tenant.admin.client, procedure="order_status")
    assert len(procedure) == 2 and all("order_status" in x["procedures"] for x in procedure)


async def test_large_exports_stream_in_batches(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qa, "BATCH", 7)  # the live server runs in this process
    items = [Spec(at(3, 0) + timedelta(minutes=n), topic=f"t{n}") for n in range(60)]
    seeded = await seed(tenant, items)
    numbers = [s.number for s in seeded.specs]
    chunks: list[str] = []
    async with tenant.admin.client.stream("GET", f"{API}/export.jsonl", params=RANGE) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        async for chunk in response.aiter_text():
            chunks.append(chunk)
    lines = [json.loads(x) for x in "".join(chunks).splitlines()]
    assert [x["number"] for x in lines] == numbers
    assert len(chunks) > 1
    rows = await _csv(tenant.admin.client)
    assert [int(r["number"]) for r in rows] == numbers
    assert len({r["topic"] for r in rows}) == 60


async def test_exports_show_only_what_the_caller_may_see(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    seeded = await seed(tenant)
    await seed(other_tenant)
    for path in ("export.csv", "export.jsonl", "summary"):
        r = await tenant.agent.client.get(f"{API}/{path}", params=RANGE)
        assert r.status_code == 403, r.text
    # The supervisor leaves Billing: Billing's interactions are no longer theirs to see.
    async with tenant.db.transaction() as session:
        await session.execute(
            delete(QueueMember).where(
                QueueMember.queue_id == tenant.queue2.id,
                QueueMember.user_id == tenant.supervisor.user.id,
            )
        )
    visible = [s for s in in_range(seeded.specs) if s.queue != 2]
    rows = await _csv(tenant.supervisor.client)
    assert sorted(int(r["number"]) for r in rows) == sorted(s.number or 0 for s in visible)
    summary = (await tenant.supervisor.client.get(f"{API}/summary", params=RANGE)).json()
    assert summary["interactions"] == len(visible)
    # Another organization's queue as a filter finds nothing; its rows never appear.
    other = await _jsonl(tenant.admin.client, queue_id=str(other_tenant.queue.id))
    assert other == []
    mine = await _jsonl(tenant.admin.client)
    assert len(mine) == 6


async def test_summary_api_matches_the_rows(tenant: Tenant) -> None:
    seeded = await seed(tenant)
    r = await tenant.supervisor.client.get(f"{API}/summary", params=RANGE)
    assert r.status_code == 200, r.text
    body = r.json()
    want = expected(seeded.specs)
    assert body["filter"] == RANGE
    assert body["interactions"] == want["interactions"]
    assert body["automation"]["rate"] == want["automation_rate"]
    assert body["first_response"]["average_s"] == want["first_response_avg_s"]
    assert body["handle_time"]["median_s"] == want["handle_time_median_s"]
    assert body["sla"]["first_response_rate"] == want["sla_first_response_rate"]
    assert body["csat"]["survey_average"] == want["csat_survey_avg"]
    assert body["cost"]["total"] == str(want["cost_total"].quantize(qa.CENT))
    assert body["volume_by_hour"] == want["volume_by_hour"]
    assert {c["label"]: c["count"] for c in body["top_keywords"]} == dict(want["top_keywords"])
    bad = await tenant.supervisor.client.get(f"{API}/summary", params={"from": "soon"})
    assert bad.status_code == 422
