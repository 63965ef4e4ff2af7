"""What every Twilio webhook endpoint does first: find the channel, verify the signature."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import Request, Response

from parley.api.deps import Services, services
from parley.channels.edge import public_url, webhook_channel
from parley.channels.twilio.parse import form_of
from parley.channels.twilio.signature import is_valid
from parley.errors import Forbidden, NotFound
from parley.models import Channel
from parley.models.enums import ChannelKind

PROVIDER = "twilio"
MESSAGING = (ChannelKind.sms, ChannelKind.whatsapp)
VOICE = (ChannelKind.voice,)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


async def verified(
    request: Request, channel_id: str, kinds: Sequence[ChannelKind]
) -> tuple[Services, Channel, dict[str, str]]:
    """The services, the channel and the webhook's form fields, once the signature is valid.

    The signature is checked on the raw body against the URL Twilio called
    (``edge.public_url``); anything else is a 403 before a single row is touched.
    """
    svc = services(request)
    channel = await webhook_channel(svc, channel_id, kinds)
    if channel.config.get("provider", PROVIDER) != PROVIDER:
        # A WhatsApp channel may be Meta's Cloud API instead; its webhooks come elsewhere.
        raise NotFound("channel not found")
    body = await request.body()
    try:
        params = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        params = []
    token = str(channel.secrets.get("auth_token") or "")
    signature = request.headers.get("x-twilio-signature", "")
    if not is_valid(token, public_url(request, svc), params, signature, body):
        raise Forbidden("invalid or missing X-Twilio-Signature")
    return svc, channel, form_of(params)


def twiml(*verbs: str) -> Response:
    """A TwiML document; each verb is already-escaped XML."""
    if not verbs:
        return Response(EMPTY_TWIML, media_type="text/xml")
    body = "".join(verbs)
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>',
        media_type="text/xml",
    )


def say(text: str) -> str:
    return f"<Say>{escape(text)}</Say>"
