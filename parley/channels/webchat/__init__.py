"""Web chat (kind ``webchat``): the widget's server API and its live stream.

- ``api.py``: REST under ``/widget/v1/{channel_id}/`` (config, start, messages, transcript, end,
  survey); ``uploads.py``: the visitor's files; ``fileurls.py``: signed attachment URLs;
- ``socket.py``: the visitor's WebSocket, this chat's visible events only, and their typing;
- ``chats.py``: finding a visitor's chat and what they may see of it;
- ``tokens.py``: signed visitor tokens; ``cors.py``: cross-origin rules for the widget routes;
- ``throttle.py``: chat creation per IP address; ``client.py``: the visitor's browser.

Agent replies reach the visitor through the hub and the WebSocket, so the outbound sender has
nothing to call: it marks the message sent.
"""

from __future__ import annotations

from fastapi import APIRouter

from parley.channels.base import Delivery, OutboundSender, SendResult
from parley.channels.webchat import api, socket, uploads
from parley.config import Settings
from parley.models.enums import ChannelKind, DeliveryStatus

router = APIRouter()
router.include_router(api.router)
router.include_router(socket.router)
router.include_router(uploads.router)


class ThroughTheHub:
    async def send(self, delivery: Delivery) -> SendResult:
        return SendResult(None, DeliveryStatus.sent)


def senders(settings: Settings) -> dict[ChannelKind, OutboundSender]:
    return {ChannelKind.webchat: ThroughTheHub()}
