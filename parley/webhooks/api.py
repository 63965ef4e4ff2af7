"""/api/v1/webhooks: subscriptions, their delivery log, redelivery, and the flow secret.

Admins only (a person with the admin role, or an API key). Every id goes through
``parley/webhooks/access.py``, so another organization's ids answer 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from parley.access import parse_id
from parley.api.deps import Ctx
from parley.errors import InvalidInput
from parley.models import WebhookSubscription
from parley.models.enums import Role
from parley.webhooks import actions as wa
from parley.webhooks import queries
from parley.webhooks.access import access_webhook
from parley.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    RedeliveryQueued,
    SecretRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def _admin(ctx: Ctx) -> None:
    ctx.actor.require(Role.admin, wa.WHAT)


def _created(subscription: WebhookSubscription) -> WebhookCreated:
    return WebhookCreated.model_validate(
        {**WebhookRead.model_validate(subscription).model_dump(), "secret": subscription.secret}
    )


@router.get("", response_model=list[WebhookRead])
async def list_webhooks(ctx: Ctx) -> list[WebhookRead]:
    _admin(ctx)
    async with ctx.db.transaction() as session:
        rows = await queries.list_webhooks(session, organization_id=ctx.actor.organization_id)
        return [WebhookRead.model_validate(r) for r in rows]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
async def create_webhook(ctx: Ctx, body: WebhookCreate) -> WebhookCreated:
    """Subscribe a URL; the answer shows the signing secret this once."""
    _admin(ctx)
    allow_private = ctx.svc.settings.webhooks_allow_private
    await wa.check_webhook_url(body.url, allow_private=allow_private)
    async with ctx.db.transaction() as session:
        subscription = await wa.do_create_webhook(
            session,
            actor=ctx.actor,
            url=body.url,
            event_types=body.event_types,
            description=body.description,
            allow_private=allow_private,
        )
        return _created(subscription)


@router.get("/flow-secret", response_model=SecretRead)
async def get_flow_secret(ctx: Ctx) -> SecretRead:
    """The secret flows' ``call_webhook`` requests are signed with (created on first use)."""
    async with ctx.db.transaction() as session:
        return SecretRead(secret=await wa.do_get_flow_secret(session, actor=ctx.actor))


@router.post("/flow-secret/rotate", response_model=SecretRead)
async def rotate_flow_secret(ctx: Ctx) -> SecretRead:
    async with ctx.db.transaction() as session:
        return SecretRead(secret=await wa.do_rotate_flow_secret(session, actor=ctx.actor))


@router.get("/{webhook_id}", response_model=WebhookRead)
async def get_webhook(ctx: Ctx, webhook_id: str) -> WebhookRead:
    _admin(ctx)
    async with ctx.db.transaction() as session:
        subscription = await access_webhook(
            session, organization_id=ctx.actor.organization_id, webhook_id=webhook_id
        )
        return WebhookRead.model_validate(subscription)


@router.patch("/{webhook_id}", response_model=WebhookRead)
async def update_webhook(ctx: Ctx, webhook_id: str, body: WebhookUpdate) -> WebhookRead:
    _admin(ctx)
    changes = body.model_dump(exclude_unset=True)
    if not any(v is not None for v in changes.values()):
        raise InvalidInput("nothing to change")
    allow_private = ctx.svc.settings.webhooks_allow_private
    if body.url is not None:
        await wa.check_webhook_url(body.url, allow_private=allow_private)
    async with ctx.db.transaction() as session:
        subscription = await wa.do_update_webhook(
            session,
            actor=ctx.actor,
            webhook_id=parse_id(webhook_id, "webhook"),
            changes=changes,
            allow_private=allow_private,
        )
        return WebhookRead.model_validate(subscription)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_webhook(ctx: Ctx, webhook_id: str) -> Response:
    async with ctx.db.transaction() as session:
        await wa.do_delete_webhook(
            session, actor=ctx.actor, webhook_id=parse_id(webhook_id, "webhook")
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookCreated)
async def rotate_secret(ctx: Ctx, webhook_id: str) -> WebhookCreated:
    """A new signing secret, shown this once; the old one stops signing at once."""
    async with ctx.db.transaction() as session:
        subscription = await wa.do_rotate_webhook_secret(
            session, actor=ctx.actor, webhook_id=parse_id(webhook_id, "webhook")
        )
        return _created(subscription)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    ctx: Ctx,
    webhook_id: str,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DeliveryPage:
    """The delivery log, one row per attempt, newest first."""
    _admin(ctx)
    async with ctx.db.transaction() as session:
        subscription = await access_webhook(
            session, organization_id=ctx.actor.organization_id, webhook_id=webhook_id
        )
        rows, next_cursor = await queries.list_deliveries(
            session, subscription=subscription, limit=limit, cursor=cursor
        )
        return DeliveryPage(
            items=[DeliveryRead.model_validate(r) for r in rows], next_cursor=next_cursor
        )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RedeliveryQueued,
)
async def redeliver(ctx: Ctx, webhook_id: str, delivery_id: str) -> RedeliveryQueued:
    """Send that attempt's event again (same ``webhook-id``), as a new chain of attempts."""
    async with ctx.db.transaction() as session:
        delivery = await wa.do_redeliver(
            session,
            actor=ctx.actor,
            webhook_id=parse_id(webhook_id, "webhook"),
            delivery_id=parse_id(delivery_id, "delivery"),
        )
        return RedeliveryQueued(
            subscription_id=delivery.subscription_id, event_id=delivery.event_id
        )
