"""Twilio Voice webhooks: a call starts, the caller leaves a voicemail, the call ends.

The call flow is deliberately small: Parley greets the caller (``<Say>``), records a message of
up to two minutes with Twilio's transcription (``<Record transcribe>``), and hangs up. All events
of one call thread into one interaction by its CallSid:

    POST {id}/voice        the number's "A call comes in" webhook   -> Call Started + TwiML
    POST {id}/recorded     <Record action>: the caller finished     -> TwiML goodbye
    POST {id}/voicemail    <Record transcribeCallback>              -> Voicemail Received
    POST {id}/call-status  the number's "Call status changes" URL   -> Call Ended (duration)

Voice never produces a Response Received (``parley.ingest.classify``).
"""

from __future__ import annotations

from urllib.parse import urljoin
from xml.sax.saxutils import quoteattr

from fastapi import APIRouter, Request, Response

from parley.channels.edge import ingest, public_url
from parley.channels.twilio.hooks import VOICE, say, twiml, verified
from parley.channels.twilio.parse import call_end_event, call_start_event, voicemail_event

router = APIRouter(prefix="/hooks/twilio", include_in_schema=False)

GREETING = (
    "Thank you for calling. Please leave a message after the tone, and we will get back to you."
)
THANKS = "Thank you. We have your message. Goodbye."
NOTHING = "We did not hear a message. Goodbye."
# Twilio transcribes recordings of up to 120 seconds.
MAX_RECORDING_S = 120


@router.post("/{channel_id}/voice")
async def incoming_call(channel_id: str, request: Request) -> Response:
    svc, channel, form = await verified(request, channel_id, VOICE)
    await ingest(svc, [call_start_event(channel, form)])
    # Relative to the URL Twilio called, so a path prefix in PARLEY_PUBLIC_URL is kept.
    called = public_url(request, svc)
    record = (
        f'<Record maxLength="{MAX_RECORDING_S}" playBeep="true" transcribe="true"'
        f" action={quoteattr(urljoin(called, 'recorded'))}"
        f" transcribeCallback={quoteattr(urljoin(called, 'voicemail'))}/>"
    )
    greeting = str(channel.config.get("greeting") or GREETING)
    # Without audio Twilio skips the action URL and goes on to the next verb.
    return twiml(say(greeting), record, say(NOTHING), "<Hangup/>")


@router.post("/{channel_id}/recorded")
async def recorded(channel_id: str, request: Request) -> Response:
    """The recording is done; the voicemail itself arrives with its transcription."""
    await verified(request, channel_id, VOICE)
    return twiml(say(THANKS), "<Hangup/>")


@router.post("/{channel_id}/voicemail")
async def voicemail(channel_id: str, request: Request) -> Response:
    svc, channel, form = await verified(request, channel_id, VOICE)
    await ingest(svc, [voicemail_event(channel, form)])
    return Response(status_code=204)


@router.post("/{channel_id}/call-status")
async def call_status(channel_id: str, request: Request) -> Response:
    """Only a final CallStatus (completed, busy, no-answer, failed, canceled) is recorded."""
    svc, channel, form = await verified(request, channel_id, VOICE)
    event = call_end_event(channel, form)
    if event is not None:
        await ingest(svc, [event])
    return Response(status_code=204)
