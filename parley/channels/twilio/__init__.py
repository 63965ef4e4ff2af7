"""The twilio channel family: provider-facing endpoints and outbound senders (see ../base.py).

- SMS and WhatsApp (channel kinds ``sms``, ``whatsapp``): ``inbound.py`` receives messages and
  status callbacks, ``outbound.py`` sends through the Messages API;
- voice (channel kind ``voice``): ``voice.py`` records calls and voicemails.

Every endpoint verifies X-Twilio-Signature (``signature.py``) before anything else; the parsing
from Twilio's form fields to InboundEvents is pure (``parse.py``). Setup: docs/channels-twilio.md.
"""

from __future__ import annotations

from fastapi import APIRouter

from parley.channels.base import OutboundSender
from parley.channels.twilio import inbound, voice
from parley.channels.twilio.outbound import TwilioSender
from parley.config import Settings
from parley.models.enums import ChannelKind

router = APIRouter()
router.include_router(inbound.router)
router.include_router(voice.router)


def senders(settings: Settings) -> dict[ChannelKind, OutboundSender]:
    return {
        ChannelKind.sms: TwilioSender(settings, whatsapp=False),
        ChannelKind.whatsapp: TwilioSender(settings, whatsapp=True),
    }
