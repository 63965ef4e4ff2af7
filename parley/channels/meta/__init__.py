"""The Meta channel family: WhatsApp Cloud API, Messenger and Instagram (see docs/channels-meta.md).

One callback URL per channel, ``/hooks/meta/{channel_id}``, for all three kinds:

- ``GET``: Meta's subscription handshake (``hub.mode=subscribe``, ``hub.verify_token`` equal to
  the channel's ``verify_token`` secret) answers ``hub.challenge`` as text; anything else is 403.
- ``POST``: ``X-Hub-Signature-256`` is checked against the channel's ``app_secret`` on the raw
  bytes before anything is parsed (missing or wrong: 403, nothing stored). Every message and
  receipt in the body is then ingested in one transaction, and Meta gets its 200 only after the
  commit; a retry (Meta retries for up to 7 days) is deduplicated by the provider's message id.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from parley.api.deps import services
from parley.channels.base import OutboundSender
from parley.channels.edge import ingest, webhook_channel
from parley.channels.meta import messenger, whatsapp
from parley.channels.meta.common import Parsed
from parley.channels.meta.outbound import MessengerSender, WhatsAppCloudSender
from parley.channels.meta.receipts import watermark_events
from parley.channels.meta.signature import HEADER, is_valid, same_token
from parley.config import Settings
from parley.errors import Forbidden, InvalidInput
from parley.ingest.event import InboundEvent
from parley.models import Channel
from parley.models.enums import ChannelKind

log = logging.getLogger("parley.channels.meta")

KINDS = (ChannelKind.whatsapp, ChannelKind.messenger, ChannelKind.instagram)
OBJECTS = {ChannelKind.whatsapp: whatsapp.OBJECT, **messenger.OBJECTS}

router = APIRouter(prefix="/hooks/meta", include_in_schema=False)


@router.get("/{channel_id}")
async def verify_subscription(request: Request, channel_id: str) -> PlainTextResponse:
    """Meta's handshake when the callback URL is saved in the app dashboard."""
    svc = services(request)
    channel = await webhook_channel(svc, channel_id, KINDS)
    query = request.query_params
    expected = channel.secrets.get("verify_token")
    if query.get("hub.mode") != "subscribe" or not same_token(
        expected if isinstance(expected, str) else None, query.get("hub.verify_token")
    ):
        log.warning("meta subscription check refused for channel %s", channel.id)
        raise Forbidden("hub.mode or hub.verify_token does not match this channel")
    return PlainTextResponse(query.get("hub.challenge", "")[:200])


@router.post("/{channel_id}")
async def receive(request: Request, channel_id: str) -> JSONResponse:
    svc = services(request)
    channel = await webhook_channel(svc, channel_id, KINDS)
    raw = await request.body()
    secret = channel.secrets.get("app_secret")
    if not is_valid(secret if isinstance(secret, str) else None, raw, request.headers.get(HEADER)):
        log.warning("meta webhook with a missing or invalid signature for channel %s", channel.id)
        raise Forbidden(f"missing or invalid {HEADER}")
    parsed = parse(_json(raw), channel)
    events = parsed.events + await watermark_events(svc, channel, parsed.watermarks)
    for reason in parsed.ignored:
        log.info("meta webhook for channel %s: left out %s", channel.id, reason)
    if events:
        await ingest(svc, in_lock_order(events))
    return JSONResponse({"received": len(events), "ignored": len(parsed.ignored)})


def parse(body: dict[str, Any], channel: Channel) -> Parsed:
    """The events of one webhook body for ``channel``, parsed by the channel's kind."""
    sent = body.get("object")
    if sent is not None and sent != OBJECTS[channel.kind]:
        return Parsed(ignored=[f"object {sent!r} sent to this {channel.kind.value} channel"])
    if channel.kind == ChannelKind.whatsapp:
        return whatsapp.parse(body, channel)
    return messenger.parse(body, channel)


def in_lock_order(events: list[InboundEvent]) -> list[InboundEvent]:
    """Events grouped by customer, keeping each customer's order.

    Ingest locks per sender (PostgreSQL); two concurrent bodies that name the same customers in a
    different order would otherwise be able to deadlock each other.
    """

    def key(event: InboundEvent) -> tuple[str, str]:
        sender = event.sender.identities[0][1] if event.sender.identities else ""
        status = event.status.provider_message_id if event.status else ""
        return sender, status

    return sorted(events, key=key)


def _json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput("the webhook body is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("the webhook body is not a JSON object")
    return body


def senders(settings: Settings) -> dict[ChannelKind, OutboundSender]:
    return {
        ChannelKind.whatsapp: WhatsAppCloudSender(settings),
        ChannelKind.messenger: MessengerSender(settings, ChannelKind.messenger),
        ChannelKind.instagram: MessengerSender(settings, ChannelKind.instagram),
    }
