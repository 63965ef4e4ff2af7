"""The widget's REST API under ``/widget/v1/{channel_id}/`` (Gnatta's chat events).

- ``POST chats``: *Chat Started*. Throttled per IP address and channel.
- ``POST chats/{chat_id}/messages``: *Response Received*; ``client_message_id`` makes it idempotent.
- ``GET chats/{chat_id}/messages``: the transcript, without internal notes.
- ``GET config``: the widget's title, greeting, colour, position and upload limit.
- ``POST chats/{chat_id}/files``: a file from the visitor (``uploads.py``, with signed file URLs).
- ``POST chats/{chat_id}/end``: *Chat Ended*. ``POST chats/{chat_id}/survey``: *Chat Survey
  Completed*. Each happens once per chat; repeats answer as the first did.

Every call but ``POST chats`` needs the visitor token in ``X-Visitor-Token``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status

from parley.api.deps import Services, services
from parley.channels.edge import ingest, webhook_channel
from parley.channels.webchat import chats, fileurls, throttle, tokens
from parley.channels.webchat.client import describe_client
from parley.channels.webchat.cors import WidgetRoute, origin_allowed
from parley.channels.webchat.schemas import (
    ChatStart,
    ChatStarted,
    Recorded,
    SurveyCreate,
    VisitorMessage,
    VisitorMessageCreate,
    WidgetConfig,
)
from parley.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from parley.ingest.event import Happening, InboundEvent, Sender, ThreadHints
from parley.ingest.pipeline import IngestResult, do_ingest
from parley.models import Channel
from parley.models.enums import ChannelKind, IdentityKind
from parley.schemas.interactions import MessageRead

# Not in /api/v1/openapi.json: that is the REST API v1; the widget API is documented in
# docs/channels-webchat-forms-reviews-api.md.
router = APIRouter(
    prefix="/widget/v1/{channel_id}",
    route_class=WidgetRoute,
    tags=["widget"],
    include_in_schema=False,
)


async def widget_channel(request: Request, channel_id: str) -> Channel:
    channel = await webhook_channel(services(request), channel_id, [ChannelKind.webchat])
    request.state.widget_channel = channel  # for the CORS headers, errors included
    if not origin_allowed(channel, request.headers.get("origin"), request.headers.get("host")):
        raise Forbidden("this site may not use this chat widget")
    return channel


WidgetChannel = Annotated[Channel, Depends(widget_channel)]
TokenHeader = Annotated[str | None, Header(alias="X-Visitor-Token", max_length=500)]


async def visitor_id(request: Request, channel: WidgetChannel, token: TokenHeader = None) -> str:
    if not token:
        raise Unauthenticated("send the visitor token in X-Visitor-Token")
    return tokens.verify(services(request).settings, channel, token)


VisitorId = Annotated[str, Depends(visitor_id)]


def _event(
    channel: Channel,
    visitor: str,
    chat_id: str,
    happening: Happening,
    provider_id: str,
    **extra: Any,
) -> InboundEvent:
    return InboundEvent(
        organization_id=channel.organization_id,
        channel_id=channel.id,
        channel_kind=channel.kind,
        happening=happening,
        sender=Sender(identities=((IdentityKind.visitor, visitor),), name=extra.pop("name", None)),
        provider_message_id=provider_id,
        thread=ThreadHints(refers_to=(chats.chat_key(chat_id),)),
        **extra,
    )


@router.options("/{rest:path}", include_in_schema=False)
async def preflight(channel: WidgetChannel, rest: str) -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/config", response_model=WidgetConfig)
async def widget_config(request: Request, channel: WidgetChannel) -> WidgetConfig:
    config = channel.config

    def text(key: str, default: str) -> str:
        value = config.get(key)
        return value[:500] if isinstance(value, str) and value else default

    return WidgetConfig(
        title=text("widget_title", channel.name),
        greeting=text("greeting", ""),
        color=text("color", "") or None,
        position="left" if config.get("position") == "left" else "right",
        max_upload_bytes=fileurls.max_upload_bytes(channel, services(request).settings),
    )


@router.post("/chats", status_code=status.HTTP_201_CREATED, response_model=ChatStarted)
async def start_chat(
    request: Request,
    channel: WidgetChannel,
    body: ChatStart | None = None,
    token: TokenHeader = None,
) -> ChatStarted:
    ip = request.client.host if request.client else "unknown"
    limit = channel.config.get("chat_starts_per_minute", throttle.DEFAULT_PER_MINUTE)
    limit = limit if isinstance(limit, int) and limit > 0 else throttle.DEFAULT_PER_MINUTE
    throttle.chat_starts(request.app.state).hit(f"{channel.id}:{ip}", limit)
    svc = services(request)
    visitor = tokens.verify(svc.settings, channel, token) if token else tokens.new_visitor_id()
    body = body or ChatStart()
    chat_id = str(uuid.uuid4())
    client = describe_client(
        user_agent=request.headers.get("user-agent") or "",
        ip=ip,
        url=body.url,
        title=body.title,
        referrer=body.referrer,
    )
    unverified = {k: v for k, v in (("name", body.name), ("email", body.email)) if v}
    event = InboundEvent(
        organization_id=channel.organization_id,
        channel_id=channel.id,
        channel_kind=channel.kind,
        happening=Happening.chat_start,
        sender=Sender(identities=((IdentityKind.visitor, visitor),), name=body.name),
        provider_message_id=chats.marker(chat_id, "start"),
        thread=ThreadHints(own_keys=(chats.chat_key(chat_id),)),
        client=client,
        data={"chat_id": chat_id, **({"visitor_said": unverified} if unverified else {})},
    )
    await ingest(svc, [event])
    return ChatStarted(
        chat_id=uuid.UUID(chat_id),
        visitor_token=tokens.issue(svc.settings, channel, visitor),
        websocket_path=f"/widget/v1/{channel.id}/chats/{chat_id}/ws",
    )


@router.get("/chats/{chat_id}/messages", response_model=list[VisitorMessage])
async def list_messages(
    request: Request, channel: WidgetChannel, visitor: VisitorId, chat_id: str
) -> list[dict[str, Any]]:
    async with services(request).db.transaction() as session:
        interaction = await chats.access_chat(
            session, channel=channel, chat_id=chat_id, visitor_id=visitor
        )
        views = await chats.transcript(session, interaction)
    settings = services(request).settings
    return [fileurls.with_urls(settings, channel, view) for view in views]


@router.post(
    "/chats/{chat_id}/messages", status_code=status.HTTP_201_CREATED, response_model=VisitorMessage
)
async def send_message(
    request: Request,
    response: Response,
    channel: WidgetChannel,
    visitor: VisitorId,
    chat_id: str,
    body: VisitorMessageCreate,
) -> dict[str, Any]:
    chat_id = chats.canonical_chat_id(chat_id)
    client_id = body.client_message_id or uuid.uuid4().hex
    provider_id = f"{chat_id}:{client_id}"
    event = _event(channel, visitor, chat_id, Happening.message, provider_id, text=body.text)
    svc = services(request)
    async with svc.db.transaction() as session:
        await chats.access_chat(session, channel=channel, chat_id=chat_id, visitor_id=visitor)
        existing = await chats.stored(session, channel, provider_id)
        if existing is None and await chats.stored(session, channel, chats.marker(chat_id, "end")):
            raise Conflict("this chat has ended; start a new chat")
        result = await do_ingest(session, event=event)
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    return fileurls.with_urls(svc.settings, channel, _message_view(result, body.text))


def _message_view(result: IngestResult, text: str) -> dict[str, Any]:
    assert result.message is not None
    if result.duplicate and result.message.text != text:
        raise InvalidInput(
            "this client_message_id was already used for another message",
            fields={"client_message_id": "already used"},
        )
    view = chats.visitor_view(MessageRead.model_validate(result.message).model_dump(mode="json"))
    assert view is not None
    return view


async def _once(
    svc: Services, channel: Channel, visitor: str, chat_id: str, event: InboundEvent
) -> IngestResult:
    """Ingest a chat lifecycle event after checking the chat is the visitor's."""
    async with svc.db.transaction() as session:
        await chats.access_chat(session, channel=channel, chat_id=chat_id, visitor_id=visitor)
        return await do_ingest(session, event=event)


@router.post("/chats/{chat_id}/end", response_model=Recorded)
async def end_chat(
    request: Request, channel: WidgetChannel, visitor: VisitorId, chat_id: str
) -> Recorded:
    chat_id = chats.canonical_chat_id(chat_id)
    event = _event(channel, visitor, chat_id, Happening.chat_end, chats.marker(chat_id, "end"))
    result = await _once(services(request), channel, visitor, chat_id, event)
    return Recorded(duplicate=result.duplicate)


@router.post("/chats/{chat_id}/survey", response_model=Recorded)
async def survey(
    request: Request, channel: WidgetChannel, visitor: VisitorId, chat_id: str, body: SurveyCreate
) -> Recorded:
    chat_id = chats.canonical_chat_id(chat_id)
    text = f"Survey completed: rating {body.rating}/5"
    if body.comment:
        text += f"\nComment: {body.comment}"
    event = _event(
        channel,
        visitor,
        chat_id,
        Happening.survey,
        chats.marker(chat_id, "survey"),
        text=text,
        data={"chat_id": chat_id, "rating": body.rating, "comment": body.comment},
    )
    result = await _once(services(request), channel, visitor, chat_id, event)
    return Recorded(duplicate=result.duplicate)
