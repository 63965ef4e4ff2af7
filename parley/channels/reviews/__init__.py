"""Reviews (kind ``review``, Trustpilot): a new review is Gnatta's *Review Received*, an edit a
*Response Received* on the same interaction (thread key ``review:<id>``).

Trustpilot does not sign its webhooks: a business registers a subscription URL, and that URL is
the only secret it sends. So the URL carries the channel's URL token (derived from its
``webhook_secret``, see ``parley/channels/generic/signing.py``), either as HTTP basic auth
(``https://trustpilot:<token>@parley.example/hooks/reviews/<id>``, sent by Trustpilot as an
``Authorization: Basic`` header) or as ``?token=<token>``. Without it: 401, nothing stored.

Outbound, an agent's message is a **public** reply under the review, posted to Trustpilot's API
(``config["api_url"]``, default ``https://api.trustpilot.com``) with ``secrets["access_token"]``
and ``config["business_user_id"]``.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from parley.api.deps import services
from parley.api.errors import error_response
from parley.channels.base import OutboundSender
from parley.channels.edge import ingest, webhook_channel
from parley.channels.generic import parse_json_object, signing
from parley.channels.reviews.trustpilot import TrustpilotReplies, events_of
from parley.config import Settings
from parley.errors import Unauthenticated
from parley.models import Channel
from parley.models.enums import ChannelKind

router = APIRouter(tags=["channels"], include_in_schema=False)


def check_subscription_secret(channel: Channel, request: Request) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed basic credentials") from None
        signing.check_url_token(channel, decoded.partition(":")[2])
        return
    signing.check_url_token(channel, request.query_params.get("token"))


@router.post("/hooks/reviews/{channel_id}")
async def trustpilot_webhook(channel_id: str, request: Request) -> JSONResponse:
    svc = services(request)
    channel = await webhook_channel(svc, channel_id, [ChannelKind.review])
    try:
        check_subscription_secret(channel, request)
    except Unauthenticated as exc:
        # Basic auth clients send credentials only after a challenge.
        challenge = {"WWW-Authenticate": 'Basic realm="parley"'}
        return error_response(exc.status, exc.code, exc.message, None, **challenge)
    events = events_of(channel, parse_json_object(await request.body()))
    results = await ingest(svc, events) if events else []
    return JSONResponse(
        {"received": len(results), "duplicates": sum(1 for r in results if r.duplicate)}
    )


def senders(settings: Settings) -> dict[ChannelKind, OutboundSender]:
    return {ChannelKind.review: TrustpilotReplies()}
