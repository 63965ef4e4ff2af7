"""/api/v1/flows and /api/v1/channels: how inbound events become interactions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import select

from parley.access import access_channel, access_flow, access_interaction, parse_id
from parley.actions.channels import do_create_channel, do_update_channel
from parley.api.deps import Ctx
from parley.errors import InvalidInput
from parley.flows.defaults import default_flows
from parley.flows.model import parse_flow
from parley.flows.store import do_save_flow, do_set_flow_active, latest_versions, versions_of
from parley.models import Channel, FlowRun
from parley.schemas.flows import (
    ChannelCreate,
    ChannelCreated,
    ChannelRead,
    ChannelUpdate,
    FlowRead,
    FlowRunRead,
    FlowSave,
)

router = APIRouter()


@router.get("/flows", response_model=list[FlowRead], tags=["flows"])
async def list_flows(ctx: Ctx) -> list[FlowRead]:
    """The newest version of each of the organization's flows."""
    async with ctx.db.transaction() as session:
        flows = await latest_versions(session, ctx.actor.organization_id)
        return [FlowRead.model_validate(f) for f in flows]


@router.get("/flows/defaults", response_model=list[dict[str, Any]], tags=["flows"])
async def list_default_flows(ctx: Ctx) -> list[dict[str, Any]]:
    """The built-in flows that run for event types the organization has no flows for."""
    return [f.model_dump(mode="json", by_alias=True) for f in default_flows()]


@router.post("/flows/validate", response_model=dict[str, Any], tags=["flows"])
async def validate_flow(ctx: Ctx, body: FlowSave) -> dict[str, Any]:
    """Check a flow without saving it; answers the normalized definition or 422 with the errors."""
    source = body.source if body.source is not None else body.definition
    assert source is not None
    return parse_flow(source).model_dump(mode="json", by_alias=True)


@router.post("/flows", status_code=status.HTTP_201_CREATED, response_model=FlowRead, tags=["flows"])
async def save_flow(ctx: Ctx, body: FlowSave) -> FlowRead:
    """Save a flow: a new version of the flow with that name (or its first)."""
    source = body.source if body.source is not None else body.definition
    assert source is not None
    async with ctx.db.transaction() as session:
        flow = await do_save_flow(
            session,
            actor=ctx.actor,
            source=source,
            active=body.active,
            allow_private=ctx.svc.settings.webhooks_allow_private,
        )
        return FlowRead.model_validate(flow)


@router.get("/flows/{flow_id}", response_model=FlowRead, tags=["flows"])
async def get_flow(ctx: Ctx, flow_id: str) -> FlowRead:
    async with ctx.db.transaction() as session:
        flow = await access_flow(
            session, organization_id=ctx.actor.organization_id, flow_id=flow_id
        )
        return FlowRead.model_validate(flow)


@router.get("/flows/{flow_id}/versions", response_model=list[FlowRead], tags=["flows"])
async def flow_versions(ctx: Ctx, flow_id: str) -> list[FlowRead]:
    async with ctx.db.transaction() as session:
        flow = await access_flow(
            session, organization_id=ctx.actor.organization_id, flow_id=flow_id
        )
        return [FlowRead.model_validate(f) for f in await versions_of(session, flow)]


@router.post("/flows/{flow_id}/activate", response_model=FlowRead, tags=["flows"])
async def activate_flow(ctx: Ctx, flow_id: str) -> FlowRead:
    return await _set_active(ctx, flow_id, True)


@router.post("/flows/{flow_id}/deactivate", response_model=FlowRead, tags=["flows"])
async def deactivate_flow(ctx: Ctx, flow_id: str) -> FlowRead:
    return await _set_active(ctx, flow_id, False)


async def _set_active(ctx: Ctx, flow_id: str, active: bool) -> FlowRead:
    async with ctx.db.transaction() as session:
        flow = await do_set_flow_active(
            session,
            actor=ctx.actor,
            flow_id=parse_id(flow_id, "flow"),
            active=active,
            allow_private=ctx.svc.settings.webhooks_allow_private,
        )
        return FlowRead.model_validate(flow)


@router.get(
    "/interactions/{interaction_id}/flow-runs", response_model=list[FlowRunRead], tags=["flows"]
)
async def flow_runs(ctx: Ctx, interaction_id: str) -> list[FlowRunRead]:
    """The decision trace of every inbound event of the interaction: flows, conditions, steps."""
    async with ctx.db.transaction() as session:
        interaction = await access_interaction(
            session,
            organization_id=ctx.actor.organization_id,
            interaction_id=interaction_id,
            viewer=ctx.actor,
        )
        rows = await session.execute(
            select(FlowRun)
            .where(
                FlowRun.interaction_id == interaction.id,
                FlowRun.organization_id == interaction.organization_id,
            )
            .order_by(FlowRun.created_at, FlowRun.id)
        )
        return [FlowRunRead.model_validate(r) for r in rows.scalars()]


def _channel_read(channel: Channel) -> ChannelRead:
    read = ChannelRead.model_validate(channel)
    return read.model_copy(update={"secret_names": sorted(channel.secrets)})


@router.get("/channels", response_model=list[ChannelRead], tags=["channels"])
async def list_channels(ctx: Ctx) -> list[ChannelRead]:
    async with ctx.db.transaction() as session:
        rows = await session.execute(
            select(Channel)
            .where(Channel.organization_id == ctx.actor.organization_id)
            .order_by(Channel.kind, Channel.name)
        )
        return [_channel_read(c) for c in rows.scalars()]


@router.post(
    "/channels",
    status_code=status.HTTP_201_CREATED,
    response_model=ChannelCreated,
    tags=["channels"],
)
async def create_channel(ctx: Ctx, body: ChannelCreate) -> ChannelCreated:
    """Create a channel. The response shows its inbound signing secret once."""
    if "webhook_secret" in body.secrets:
        raise InvalidInput(
            "webhook_secret is generated by Parley", fields={"secrets": "webhook_secret"}
        )
    async with ctx.db.transaction() as session:
        channel = await do_create_channel(
            session,
            actor=ctx.actor,
            kind=body.kind,
            name=body.name,
            config=body.config,
            secrets_=body.secrets,
            default_queue_id=body.default_queue_id,
        )
        return ChannelCreated.model_validate(
            {
                **_channel_read(channel).model_dump(),
                "webhook_secret": channel.secrets["webhook_secret"],
            }
        )


@router.get("/channels/{channel_id}", response_model=ChannelRead, tags=["channels"])
async def get_channel(ctx: Ctx, channel_id: str) -> ChannelRead:
    async with ctx.db.transaction() as session:
        channel = await access_channel(
            session, organization_id=ctx.actor.organization_id, channel_id=channel_id
        )
        return _channel_read(channel)


@router.patch("/channels/{channel_id}", response_model=ChannelRead, tags=["channels"])
async def update_channel(ctx: Ctx, channel_id: str, body: ChannelUpdate) -> ChannelRead:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change")
    if "webhook_secret" in (changes.get("secrets") or {}):
        raise InvalidInput(
            "webhook_secret is generated by Parley", fields={"secrets": "webhook_secret"}
        )
    async with ctx.db.transaction() as session:
        channel = await do_update_channel(
            session, actor=ctx.actor, channel_id=parse_id(channel_id, "channel"), changes=changes
        )
        return _channel_read(channel)
