"""Twilio Messaging webhooks (SMS, MMS, WhatsApp): incoming messages and status callbacks.

Point the number's "A message comes in" webhook at ``/hooks/twilio/{channel_id}/messages``;
outbound messages name ``/hooks/twilio/{channel_id}/status`` as their StatusCallback.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from parley.channels.edge import ingest
from parley.channels.twilio.hooks import MESSAGING, twiml, verified
from parley.channels.twilio.parse import message_event, status_event

router = APIRouter(prefix="/hooks/twilio", include_in_schema=False)


@router.post("/{channel_id}/messages")
async def incoming_message(channel_id: str, request: Request) -> Response:
    """Store the message, then answer with an empty TwiML document (no auto-reply from Twilio).

    The answer is written only after the ingest committed: a Twilio retry of a message we did
    not acknowledge is stored once, by its MessageSid.
    """
    svc, channel, form = await verified(request, channel_id, MESSAGING)
    await ingest(svc, [message_event(channel, form)])
    return twiml()


@router.post("/{channel_id}/status")
async def message_status(channel_id: str, request: Request) -> Response:
    """Delivery receipts for messages Parley sent. They may arrive in any order; the pipeline
    only ever moves a message's status forward."""
    svc, channel, form = await verified(request, channel_id, MESSAGING)
    event = status_event(channel, form)
    if event is not None:
        await ingest(svc, [event])
    return Response(status_code=204)
