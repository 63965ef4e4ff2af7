"""/api/v1/interactions: the list, one interaction, and every action on it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import access_interaction, access_message, parse_id
from parley.actions import external
from parley.actions import interactions as ia
from parley.actions import lifecycle as lc
from parley.actions.merge import do_merge_interactions
from parley.actions.messages import do_add_message
from parley.api.deps import Ctx
from parley.errors import Forbidden, InvalidInput
from parley.models import Interaction
from parley.models.enums import (
    ActorType,
    CommunicationType,
    Direction,
    MessageRole,
    State,
)
from parley.queries import interactions as q
from parley.queries.pagination import utc_datetime
from parley.schemas.interactions import (
    ActivityRead,
    AssignIn,
    CompleteIn,
    InteractionCreate,
    InteractionDetail,
    InteractionPage,
    InteractionRead,
    InteractionUpdate,
    MergeIn,
    MessageCreate,
    MessageRead,
    NoteCreate,
    ReopenIn,
    TagsIn,
    TransferExternalIn,
    TransferIn,
)

router = APIRouter(prefix="/interactions", tags=["interactions"])
messages_router = APIRouter(prefix="/messages", tags=["interactions"])


def _read(interaction: Interaction) -> InteractionRead:
    return InteractionRead.model_validate(interaction)


@router.get("", response_model=InteractionPage)
async def list_interactions(
    ctx: Ctx,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|closed)$")] = None,
    state: Annotated[list[State] | None, Query(max_length=5)] = None,
    queue_id: uuid.UUID | None = None,
    assignee_id: Annotated[str | None, Query(max_length=40)] = None,
    channel_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    communication_type: CommunicationType | None = None,
    direction: Direction | None = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    search: Annotated[str | None, Query(alias="q", min_length=1, max_length=200)] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> InteractionPage:
    """Newest first. ``assignee_id`` takes a user id, ``me`` or ``none``."""
    assignee, unassigned = None, False
    if assignee_id == "me":
        if ctx.actor.user_id is None:
            raise InvalidInput(
                "assignee_id=me needs a signed-in person", fields={"assignee_id": "me"}
            )
        assignee = ctx.actor.user_id
    elif assignee_id == "none":
        unassigned = True
    elif assignee_id:
        try:
            assignee = uuid.UUID(assignee_id)
        except ValueError:
            raise InvalidInput("not a user id", fields={"assignee_id": "invalid"}) from None
    if created_after is not None:
        created_after = utc_datetime(created_after, "created_after")
    if created_before is not None:
        created_before = utc_datetime(created_before, "created_before")
    for name, value in (("q", search), ("tag", tag)):
        if value is not None and "\x00" in value:
            raise InvalidInput("NUL characters are not allowed", fields={name: "contains NUL"})
    filters = q.InteractionFilter(
        status=status_,
        states=tuple(state or ()),
        queue_id=queue_id,
        assignee_id=assignee,
        unassigned=unassigned,
        channel_id=channel_id,
        contact_id=contact_id,
        communication_type=communication_type,
        direction=direction,
        tag=tag,
        text=search,
        created_after=created_after,
        created_before=created_before,
    )
    async with ctx.db.transaction() as session:
        page = await q.list_interactions(
            session,
            organization_id=ctx.actor.organization_id,
            viewer=ctx.actor,
            filters=filters,
            limit=limit,
            cursor=cursor,
        )
        return InteractionPage(items=[_read(i) for i in page.items], next_cursor=page.next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InteractionDetail)
async def create_interaction(ctx: Ctx, body: InteractionCreate) -> InteractionDetail:
    async with ctx.db.transaction() as session:
        interaction = await ia.do_create_interaction(
            session, actor=ctx.actor, **body.model_dump(exclude={"text"})
        )
        if body.text:
            inbound = body.direction == Direction.inbound
            await do_add_message(
                session,
                actor=ctx.actor,
                interaction_id=interaction.id,
                role=MessageRole.customer if inbound else MessageRole.agent,
                text=body.text,
            )
        return await _detail(ctx, session, interaction.id)


@router.get("/{interaction_id}", response_model=InteractionDetail)
async def get_interaction(ctx: Ctx, interaction_id: str) -> InteractionDetail:
    async with ctx.db.transaction() as session:
        return await _detail(ctx, session, parse_id(interaction_id, "interaction"))


async def _detail(ctx: Ctx, session: AsyncSession, interaction_id: uuid.UUID) -> InteractionDetail:
    interaction, messages, activity = await q.interaction_detail(
        session,
        organization_id=ctx.actor.organization_id,
        interaction_id=interaction_id,
        viewer=ctx.actor,
    )
    return InteractionDetail.model_validate(
        {
            **_read(interaction).model_dump(),
            "messages": [MessageRead.model_validate(m) for m in messages],
            "activity": [ActivityRead.model_validate(a) for a in activity],
        }
    )


@router.patch("/{interaction_id}", response_model=InteractionRead)
async def edit_interaction(
    ctx: Ctx, interaction_id: str, body: InteractionUpdate
) -> InteractionRead:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change")
    return await _apply(ctx, interaction_id, ia.do_edit_interaction, changes=changes)


@router.get("/{interaction_id}/messages", response_model=list[MessageRead])
async def list_messages(ctx: Ctx, interaction_id: str) -> list[MessageRead]:
    async with ctx.db.transaction() as session:
        _, messages, _ = await q.interaction_detail(
            session,
            organization_id=ctx.actor.organization_id,
            interaction_id=interaction_id,
            viewer=ctx.actor,
        )
        return [MessageRead.model_validate(m) for m in messages]


def _message_role(ctx: Ctx, wanted: MessageRole | None) -> MessageRole:
    """People write as agents; integrations choose, and post as the customer by default."""
    if ctx.actor.type == ActorType.user:
        if wanted not in (None, MessageRole.agent):
            raise Forbidden("people post agent messages; integrations post for customers")
        return MessageRole.agent
    return wanted or MessageRole.customer


@router.post(
    "/{interaction_id}/messages", status_code=status.HTTP_201_CREATED, response_model=MessageRead
)
async def add_message(ctx: Ctx, interaction_id: str, body: MessageCreate) -> MessageRead:
    role = _message_role(ctx, body.role)
    async with ctx.db.transaction() as session:
        message = await do_add_message(
            session,
            actor=ctx.actor,
            interaction_id=parse_id(interaction_id, "interaction"),
            role=role,
            text=body.text,
            html=None,
            internal=body.internal,
        )
        return MessageRead.model_validate(message)


@router.post(
    "/{interaction_id}/notes", status_code=status.HTTP_201_CREATED, response_model=MessageRead
)
async def add_note(ctx: Ctx, interaction_id: str, body: NoteCreate) -> MessageRead:
    async with ctx.db.transaction() as session:
        message = await do_add_message(
            session,
            actor=ctx.actor,
            interaction_id=parse_id(interaction_id, "interaction"),
            role=MessageRole.agent,
            text=body.text,
            internal=True,
        )
        return MessageRead.model_validate(message)


@router.get("/{interaction_id}/activity", response_model=list[ActivityRead])
async def list_activity(ctx: Ctx, interaction_id: str) -> list[ActivityRead]:
    async with ctx.db.transaction() as session:
        _, _, activity = await q.interaction_detail(
            session,
            organization_id=ctx.actor.organization_id,
            interaction_id=interaction_id,
            viewer=ctx.actor,
        )
        return [ActivityRead.model_validate(a) for a in activity]


async def _apply(
    ctx: Ctx, interaction_id: str, action: Callable[..., Awaitable[Interaction]], **kwargs: Any
) -> InteractionRead:
    """Run one interaction action in its own transaction and answer with the result."""
    async with ctx.db.transaction() as session:
        iid = parse_id(interaction_id, "interaction")
        return _read(await action(session, actor=ctx.actor, interaction_id=iid, **kwargs))


@router.post("/{interaction_id}/claim", response_model=InteractionRead)
async def claim(ctx: Ctx, interaction_id: str) -> InteractionRead:
    return await _apply(ctx, interaction_id, lc.do_claim)


@router.post("/{interaction_id}/assign", response_model=InteractionRead)
async def assign(ctx: Ctx, interaction_id: str, body: AssignIn) -> InteractionRead:
    return await _apply(ctx, interaction_id, lc.do_assign, user_id=body.user_id)


@router.post("/{interaction_id}/release", response_model=InteractionRead)
async def release(ctx: Ctx, interaction_id: str) -> InteractionRead:
    return await _apply(ctx, interaction_id, lc.do_release)


@router.post("/{interaction_id}/transfer", response_model=InteractionRead)
async def transfer(ctx: Ctx, interaction_id: str, body: TransferIn) -> InteractionRead:
    return await _apply(ctx, interaction_id, lc.do_transfer, **body.model_dump())


@router.post("/{interaction_id}/transfer-external", response_model=InteractionRead)
async def transfer_external(
    ctx: Ctx, interaction_id: str, body: TransferExternalIn
) -> InteractionRead:
    """Forward the transcript by email or SMS, or bridge a live call (recorded on it)."""
    return await _apply(
        ctx,
        interaction_id,
        external.do_transfer_external,
        method=external.ExternalMethod(body.method),
        to=body.to,
        note=body.note,
    )


@router.post("/{interaction_id}/merge", response_model=InteractionRead)
async def merge(ctx: Ctx, interaction_id: str, body: MergeIn) -> InteractionRead:
    """Merge ``source_id`` (same contact) into this one, transcripts interleaved in order."""
    async with ctx.db.transaction() as session:
        target = await do_merge_interactions(
            session,
            actor=ctx.actor,
            target_id=parse_id(interaction_id, "interaction"),
            source_id=body.source_id,
        )
        return _read(target)


@router.post("/{interaction_id}/wrap-up", response_model=InteractionRead)
async def wrap_up(ctx: Ctx, interaction_id: str) -> InteractionRead:
    return await _apply(ctx, interaction_id, lc.do_wrap_up)


@router.post("/{interaction_id}/complete", response_model=InteractionRead)
async def complete(ctx: Ctx, interaction_id: str, body: CompleteIn) -> InteractionRead:
    return await _apply(ctx, interaction_id, lc.do_complete, **body.model_dump())


@router.post("/{interaction_id}/reopen", response_model=InteractionRead)
async def reopen(ctx: Ctx, interaction_id: str, body: ReopenIn) -> InteractionRead:
    return await _apply(ctx, interaction_id, lc.do_reopen, **body.model_dump())


@router.post(
    "/{interaction_id}/clone", status_code=status.HTTP_201_CREATED, response_model=InteractionRead
)
async def clone(ctx: Ctx, interaction_id: str) -> InteractionRead:
    return await _apply(ctx, interaction_id, ia.do_clone_interaction)


@router.post("/{interaction_id}/tags", response_model=InteractionRead)
async def tags(ctx: Ctx, interaction_id: str, body: TagsIn) -> InteractionRead:
    return await _apply(ctx, interaction_id, ia.do_set_tags, **body.model_dump())


@messages_router.get("/{message_id}", response_model=MessageRead)
async def get_message(ctx: Ctx, message_id: str) -> MessageRead:
    async with ctx.db.transaction() as session:
        message = await access_message(
            session, organization_id=ctx.actor.organization_id, message_id=message_id
        )
        # A message is visible exactly when its interaction is.
        await access_interaction(
            session,
            organization_id=ctx.actor.organization_id,
            interaction_id=message.interaction_id,
            viewer=ctx.actor,
        )
        return MessageRead.model_validate(message)
