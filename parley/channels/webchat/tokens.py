"""Visitor tokens: who a widget visitor is, signed so that no visitor can claim another's id.

A token names the organization, the channel and a random visitor id, signed with itsdangerous
under ``settings.secret_key + channel.secrets["webhook_secret"]``. A token from another channel or
organization fails the signature (different key) and the payload check; rotating the channel's
``webhook_secret`` signs every visitor out of that widget. Tokens do not expire on their own: the
widget keeps one per site, like a first-party cookie.
"""

from __future__ import annotations

import uuid

from itsdangerous import BadSignature, URLSafeSerializer

from parley.config import Settings
from parley.errors import Forbidden
from parley.models import Channel

SALT = "parley.webchat.visitor.v1"
MAX_TOKEN = 500


def _serializer(settings: Settings, channel: Channel) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key + channel.secrets["webhook_secret"], salt=SALT)


def new_visitor_id() -> str:
    return uuid.uuid4().hex


def issue(settings: Settings, channel: Channel, visitor_id: str) -> str:
    payload = {"o": str(channel.organization_id), "c": str(channel.id), "v": visitor_id}
    return str(_serializer(settings, channel).dumps(payload))


def verify(settings: Settings, channel: Channel, token: str) -> str:
    """The visitor id in ``token``, or Forbidden when it was not issued for this channel."""
    refused = Forbidden("this visitor token is not valid for this chat widget")
    if not token or len(token) > MAX_TOKEN:
        raise refused
    try:
        payload = _serializer(settings, channel).loads(token)
    except BadSignature:
        raise refused from None
    if (
        not isinstance(payload, dict)
        or payload.get("o") != str(channel.organization_id)
        or payload.get("c") != str(channel.id)
        or not isinstance(payload.get("v"), str)
    ):
        raise refused
    visitor_id: str = payload["v"]
    return visitor_id
