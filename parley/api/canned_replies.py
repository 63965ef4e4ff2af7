"""/api/v1/canned-replies: the organization's ready-made answers for the composer.

Everyone reads them; supervisors and admins replace the list (``PUT``, the whole list in order).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actions.canned_replies import do_set_canned_replies
from parley.api.deps import Ctx
from parley.queries.canned_replies import canned_replies, last_change
from parley.schemas.organizations import CannedRepliesRead, CannedRepliesSave, CannedReplyRead

router = APIRouter(prefix="/canned-replies", tags=["canned replies"])


async def _read(session: AsyncSession, organization_id: uuid.UUID) -> CannedRepliesRead:
    replies = await canned_replies(session, organization_id)
    by, at = await last_change(session, organization_id)
    return CannedRepliesRead(
        replies=[CannedReplyRead.model_validate(r) for r in replies], updated_by=by, updated_at=at
    )


@router.get("", response_model=CannedRepliesRead)
async def get_canned_replies(ctx: Ctx) -> CannedRepliesRead:
    async with ctx.db.transaction() as session:
        return await _read(session, ctx.actor.organization_id)


@router.put("", response_model=CannedRepliesRead)
async def put_canned_replies(ctx: Ctx, body: CannedRepliesSave) -> CannedRepliesRead:
    """Replace the list. 422 names each bad field (``replies.3.title``); titles are unique
    (ignoring case)."""
    async with ctx.db.transaction() as session:
        await do_set_canned_replies(
            session, actor=ctx.actor, replies=[r.model_dump() for r in body.replies]
        )
        return await _read(session, ctx.actor.organization_id)
