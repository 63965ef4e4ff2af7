"""Dashboard figures and per-interaction exports (supervisors and admins).

``GET /analytics/summary`` answers every figure of ``parley.queries.analytics`` as JSON;
``GET /analytics/export.csv`` and ``/analytics/export.jsonl`` stream one row per interaction,
read in keyset batches, each batch in its own short transaction. Both see what the caller may see
(``parley.access``): supervisors their queues' interactions, admins all.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, StreamingResponse

from parley.api.deps import Ctx
from parley.models.enums import Role
from parley.queries import analytics as qa

router = APIRouter(prefix="/analytics", tags=["analytics"])

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def jsonable(value: Any) -> Any:
    """Dataclasses, decimals (as fixed-point strings), ids and times as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def filter_from(
    start: str | None,
    end: str | None,
    channel_id: str | None,
    queue_id: str | None,
    agent_id: str | None,
    procedure: str | None,
) -> qa.AnalyticsFilter:
    return qa.AnalyticsFilter.parse(
        start=start,
        end=end,
        channel_id=channel_id,
        queue_id=queue_id,
        agent_id=agent_id,
        procedure=procedure,
    )


From = Annotated[str | None, Query(alias="from", description="a date, or an ISO time with zone")]
To = Annotated[str | None, Query(alias="to", description="a date (inclusive) or an ISO time")]


def _filter(
    start: From = None,
    end: To = None,
    channel_id: str | None = None,
    queue_id: str | None = None,
    agent_id: str | None = None,
    procedure: str | None = None,
) -> qa.AnalyticsFilter:
    """The dashboard's filters, the same for the summary and both exports."""
    return filter_from(start, end, channel_id, queue_id, agent_id, procedure)


Filter = Annotated[qa.AnalyticsFilter, Depends(_filter)]


@router.get("/summary")
async def summary(
    ctx: Ctx,
    f: Filter,
) -> JSONResponse:
    """Every dashboard figure over the filter (see docs/analytics.md, "Dashboards")."""
    ctx.actor.require(Role.supervisor, "analytics")
    async with ctx.db.transaction() as session:
        found = await qa.summary(session, ctx.actor, f)
    body = jsonable(found)
    body["filter"] = f.query()
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def csv_safe(value: Any) -> str:
    """A cell as text that a spreadsheet will not run: a leading = + - @ (or tab / CR) gets a
    quote in front (OWASP's CSV injection advice)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = "; ".join(str(v) for v in value)
    else:
        text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


async def _csv(ctx: Ctx, f: qa.AnalyticsFilter) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(qa.EXPORT_FIELDS)
    yield buffer.getvalue()
    async for batch in qa.stream_rows(ctx.db, ctx.actor, f):
        buffer.seek(0)
        buffer.truncate()
        for row in batch:
            record = qa.export_record(row)
            writer.writerow([csv_safe(record[k]) for k in qa.EXPORT_FIELDS])
        yield buffer.getvalue()


async def _jsonl(ctx: Ctx, f: qa.AnalyticsFilter) -> AsyncIterator[str]:
    async for batch in qa.stream_rows(ctx.db, ctx.actor, f):
        yield "".join(json.dumps(qa.export_record(row), ensure_ascii=False) + "\n" for row in batch)


def _download(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@router.get("/export.csv")
async def export_csv(
    ctx: Ctx,
    f: Filter,
) -> StreamingResponse:
    """One row per interaction, oldest first, streamed."""
    ctx.actor.require(Role.supervisor, "analytics exports")
    return StreamingResponse(
        _csv(ctx, f), media_type="text/csv; charset=utf-8", headers=_download("interactions.csv")
    )


@router.get("/export.jsonl")
async def export_jsonl(
    ctx: Ctx,
    f: Filter,
) -> StreamingResponse:
    """One JSON object per line per interaction, oldest first, streamed."""
    ctx.actor.require(Role.supervisor, "analytics exports")
    return StreamingResponse(
        _jsonl(ctx, f), media_type="application/x-ndjson", headers=_download("interactions.jsonl")
    )
