"""/api/v1/interactions/{id}/scheduled-messages: send later.

``POST`` schedules a reply (``text``, ``send_at`` with a time zone, ``cancel_on_reply``), ``GET``
lists them (``?status=scheduled`` for the pending ones), ``PATCH .../{sid}`` changes the text or
the time while it waits, ``POST .../{sid}/cancel`` cancels it. See ``parley.actions.scheduled``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from parley.access import parse_id
from parley.actions import scheduled as sm
from parley.api.deps import Ctx
from parley.models.enums import ScheduledStatus
from parley.queries.scheduled import scheduled_for
from parley.schemas.scheduled import ScheduledCreate, ScheduledRead, ScheduledUpdate

router = APIRouter(
    prefix="/interactions/{interaction_id}/scheduled-messages", tags=["interactions"]
)


@router.get("", response_model=list[ScheduledRead])
async def list_scheduled(
    ctx: Ctx,
    interaction_id: str,
    status_: Annotated[list[ScheduledStatus] | None, Query(alias="status")] = None,
) -> list[ScheduledRead]:
    async with ctx.db.transaction() as session:
        rows = await scheduled_for(
            session, actor=ctx.actor, interaction_id=interaction_id, statuses=status_
        )
        return [ScheduledRead.model_validate(r) for r in rows]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ScheduledRead)
async def schedule(ctx: Ctx, interaction_id: str, body: ScheduledCreate) -> ScheduledRead:
    async with ctx.db.transaction() as session:
        row = await sm.do_schedule_message(
            session,
            actor=ctx.actor,
            interaction_id=parse_id(interaction_id, "interaction"),
            text=body.text,
            send_at=body.send_at,
            cancel_on_reply=body.cancel_on_reply,
        )
        return ScheduledRead.model_validate(row)


@router.patch("/{scheduled_id}", response_model=ScheduledRead)
async def reschedule(
    ctx: Ctx, interaction_id: str, scheduled_id: str, body: ScheduledUpdate
) -> ScheduledRead:
    async with ctx.db.transaction() as session:
        row = await sm.do_reschedule_message(
            session,
            actor=ctx.actor,
            interaction_id=parse_id(interaction_id, "interaction"),
            scheduled_id=scheduled_id,
            text=body.text,
            send_at=body.send_at,
            cancel_on_reply=body.cancel_on_reply,
        )
        return ScheduledRead.model_validate(row)


@router.post("/{scheduled_id}/cancel", response_model=ScheduledRead)
async def cancel(ctx: Ctx, interaction_id: str, scheduled_id: str) -> ScheduledRead:
    async with ctx.db.transaction() as session:
        row = await sm.do_cancel_scheduled(
            session,
            actor=ctx.actor,
            interaction_id=parse_id(interaction_id, "interaction"),
            scheduled_id=scheduled_id,
        )
        return ScheduledRead.model_validate(row)
