"""The generic inbound webhook (kind ``api``): Parley's own signed JSON contract.

``POST /hooks/api/{channel_id}`` is Gnatta's *External HTTP Request*: a customer's system (a shop,
a CRM, a form backend) tells Parley something happened. It is signed as described in
``signing.py`` and deduplicated on ``event_id``. Replies on an api channel reach the customer's
system through outbound webhooks (Standard Webhooks, ``parley/webhooks``), so the sender here only
marks them sent.

``GET /api/v1/channels/{channel_id}/inbound`` tells an admin where a channel's provider posts and
its URL token (for forms and Trustpilot, which cannot sign).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError

from parley.access import access_channel
from parley.api.deps import Ctx, services
from parley.channels.base import Delivery, OutboundSender, SendResult
from parley.channels.edge import ingest, webhook_channel
from parley.channels.generic import signing
from parley.config import Settings
from parley.errors import InvalidInput, ParleyError
from parley.ingest.event import Happening, InboundEvent, Sender, ThreadHints
from parley.models import Channel
from parley.models.enums import ChannelKind, DeliveryStatus, IdentityKind, Role
from parley.schemas.common import JsonObject, Write

router = APIRouter(tags=["channels"])

HOOK_PATHS = {
    ChannelKind.api: "/hooks/api/{id}",
    ChannelKind.form: "/hooks/forms/{id}",
    ChannelKind.review: "/hooks/reviews/{id}",
    ChannelKind.webchat: "/widget/v1/{id}",
}


class BadRequest(ParleyError):
    code = "bad_request"
    status = 400


class ExternalSender(Write):
    id: str | None = Field(default=None, min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40)


class ExternalRequest(Write):
    event_id: str = Field(min_length=1, max_length=200)
    sender: ExternalSender = Field(default_factory=ExternalSender)
    text: str = Field(default="", max_length=20_000)
    subject: str | None = Field(default=None, max_length=500)
    # Requests naming the same thread can be found together by the organization's flows.
    thread_id: str | None = Field(default=None, min_length=1, max_length=200)
    data: JsonObject = Field(default_factory=dict)


class Received(BaseModel):
    received: bool = True
    duplicate: bool
    interaction_id: uuid.UUID | None
    message_id: uuid.UUID | None


class InboundInfo(BaseModel):
    kind: ChannelKind
    path: str
    url_token: str
    signature_header: str = "X-Parley-Signature"
    timestamp_header: str = "X-Parley-Timestamp"


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise BadRequest("the body must be a JSON object")
    return parsed


def validation_fields(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(p) for p in err.get("loc", ())) or "body"
        fields.setdefault(name, str(err.get("msg", "invalid")))
    return fields


def external_event(channel: Channel, body: ExternalRequest) -> InboundEvent:
    sender = body.sender
    identities: list[tuple[IdentityKind, str]] = []
    if sender.id:
        # Namespaced by channel: two systems' "42" are different people.
        identities.append((IdentityKind.external, f"{channel.id}:{sender.id}"))
    if sender.email:
        identities.append((IdentityKind.email, sender.email))
    if sender.phone:
        identities.append((IdentityKind.phone, sender.phone))
    thread = (f"thread:{body.thread_id}",) if body.thread_id else ()
    subject = " ".join((body.subject or "").split())[:500] or None
    return InboundEvent(
        organization_id=channel.organization_id,
        channel_id=channel.id,
        channel_kind=channel.kind,
        happening=Happening.external,
        sender=Sender(
            identities=tuple(identities), name=sender.name, email=sender.email, phone=sender.phone
        ),
        provider_message_id=body.event_id,
        text=body.text or _render(body.data) or "External request",
        subject=subject,
        thread=ThreadHints(own_keys=thread, refers_to=thread),
        data={"event_id": body.event_id, **({"data": body.data} if body.data else {})},
    )


def _render(data: dict[str, Any]) -> str:
    return "\n".join(
        f"{k}: {json.dumps(v) if not isinstance(v, str) else v}" for k, v in data.items()
    )


@router.post("/hooks/api/{channel_id}", response_model=Received, include_in_schema=False)
async def external_request(channel_id: str, request: Request) -> Received:
    svc = services(request)
    channel = await webhook_channel(svc, channel_id, [ChannelKind.api])
    body = await request.body()
    signing.check_signed(channel, request.headers, body)
    try:
        parsed = ExternalRequest.model_validate(parse_json_object(body))
    except ValidationError as exc:
        raise InvalidInput("the request is not valid", fields=validation_fields(exc)) from None
    [result] = await ingest(svc, [external_event(channel, parsed)])
    return Received(
        duplicate=result.duplicate,
        interaction_id=result.interaction.id if result.interaction else None,
        message_id=result.message.id if result.message else None,
    )


@router.get("/api/v1/channels/{channel_id}/inbound", response_model=InboundInfo)
async def inbound_info(ctx: Ctx, channel_id: str) -> InboundInfo:
    """Where the channel's provider posts, and its URL token. Admins only."""
    ctx.actor.require(Role.admin, "reading a channel's inbound settings")
    async with ctx.db.transaction() as session:
        channel = await access_channel(
            session, organization_id=ctx.actor.organization_id, channel_id=channel_id
        )
    template = HOOK_PATHS.get(channel.kind, "")
    return InboundInfo(
        kind=channel.kind,
        path=template.format(id=channel.id),
        url_token=signing.url_token(channel),
    )


class MarkSent:
    """Replies on api channels leave by outbound webhooks, fed from the outbox."""

    async def send(self, delivery: Delivery) -> SendResult:
        return SendResult(None, DeliveryStatus.sent)


def senders(settings: Settings) -> dict[ChannelKind, OutboundSender]:
    return {ChannelKind.api: MarkSent()}
