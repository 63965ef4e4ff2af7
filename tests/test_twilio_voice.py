"""Twilio Voice: a call starts, leaves a voicemail and ends: one interaction, with a transcript."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from parley.models import FlowRun, Interaction, Message
from parley.models.enums import ChannelKind
from tests.conftest import LiveServer
from tests.factories import Tenant
from tests.providers.twilio import TwilioNumber, new_number, new_sid, twilio_number

SAMPLES: dict[str, Any] = json.loads(
    (
        Path(__file__).resolve().parents[2] / "shared/data/webhooks/twilio/twilio_samples.json"
    ).read_text()
)


def call(
    line: TwilioNumber, call_sid: str, caller: str, status: str, **extra: str
) -> dict[str, str]:
    """The fields Twilio sends to a voice webhook."""
    return {
        "AccountSid": line.account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": status,
        "Called": line.number,
        "Caller": caller,
        "Direction": "inbound",
        "From": caller,
        "To": line.number,
        **extra,
    }


async def on_channel(tenant: Tenant, line: TwilioNumber) -> list[tuple[Message, str]]:
    """Every message on the channel with the event type of the flow run that stored it."""
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Message, FlowRun.event_type)
            .join(FlowRun, FlowRun.message_id == Message.id)
            .where(Message.channel_id == line.channel.id)
            .order_by(Message.created_at, Message.seq)
        )
        return [(m, str(t)) for m, t in rows.all()]


async def test_call_voicemail_and_hangup_thread_into_one_interaction(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    line = await twilio_number(tenant, live_server.url, ChannelKind.voice)
    caller, sid = new_number(), new_sid("CA")

    # The call comes in: Twilio may retry, and may send ringing then in-progress.
    answers = await asyncio.gather(
        line.post(http, "voice", call(line, sid, caller, "ringing")),
        line.post(http, "voice", call(line, sid, caller, "ringing")),
        line.post(http, "voice", call(line, sid, caller, "in-progress")),
    )
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/xml")
    twiml = ET.fromstring(answers[0].text)  # noqa: S314 (our own TwiML)
    assert [verb.tag for verb in twiml] == ["Say", "Record", "Say", "Hangup"]
    record = twiml[1].attrib
    assert record["transcribe"] == "true"
    assert record["action"] == line.url("recorded")
    assert record["transcribeCallback"] == line.url("voicemail")

    # The caller speaks, then hangs up; Twilio asks what to do next, then posts the transcript.
    recording = f"https://api.twilio.com/2010-04-01/Accounts/{line.account_sid}/Recordings/RE1"
    done = await line.post(
        http,
        "recorded",
        call(line, sid, caller, "in-progress", RecordingUrl=recording, RecordingDuration="7"),
    )
    assert done.status_code == 200
    assert [verb.tag for verb in ET.fromstring(done.text)]  # noqa: S314 == ["Say", "Hangup"]
    progress = await line.post(http, "call-status", call(line, sid, caller, "in-progress"))
    assert progress.status_code == 204  # not the end of the call: nothing recorded
    transcript = call(
        line,
        sid,
        caller,
        "completed",
        TranscriptionSid=new_sid("TR"),
        TranscriptionText="Hi, it's Joe, please call me back about order 1234.",
        TranscriptionStatus="completed",
        TranscriptionUrl=f"https://api.twilio.com/2010-04-01/Accounts/{line.account_sid}/Transcriptions/TR1",
        RecordingSid="RE1",
        RecordingUrl=recording,
    )
    ended = call(line, sid, caller, "completed", CallDuration="42", Timestamp="x")
    for _ in range(2):  # retries of each are stored once
        assert (await line.post(http, "voicemail", transcript)).status_code == 204
        assert (await line.post(http, "call-status", ended)).status_code == 204

    stored = await on_channel(tenant, line)
    assert [(m.text, t) for m, t in stored] == [
        ("Call started", "call_started"),
        ("Hi, it's Joe, please call me back about order 1234.", "voicemail_received"),
        ("Call ended after 42 s", "call_ended"),
    ]
    assert len({m.interaction_id for m, _ in stored}) == 1
    voicemail = stored[1][0]
    assert voicemail.role == "customer"
    assert voicemail.attachments == [
        {
            "filename": "RE1.wav",
            "content_type": "audio/wav",
            "size": 0,
            "url": recording,
            "storage_key": None,
            "content_id": None,
        }
    ]
    assert stored[2][0].meta["data"]["duration_s"] == 42
    assert [m.provider_message_id for m, _ in stored] == [
        f"{sid}:start",
        f"{sid}:voicemail",
        f"{sid}:end",
    ]
    async with tenant.db.transaction() as s:
        interaction = await s.get(Interaction, voicemail.interaction_id)
        assert interaction is not None
        assert interaction.communication_type == "voice"

    # A second call from the same caller is a new Call Started, never a Response Received.
    again = new_sid("CA")
    assert (await line.post(http, "voice", call(line, again, caller, "ringing"))).status_code == 200
    second = await on_channel(tenant, line)
    assert second[-1][1] == "call_started"
    assert second[-1][0].interaction_id != voicemail.interaction_id


async def test_unanswered_call_without_transcription(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    line = await twilio_number(tenant, live_server.url, ChannelKind.voice)
    caller, sid = new_number(), new_sid("CA")
    assert (await line.post(http, "voice", call(line, sid, caller, "ringing"))).status_code == 200
    failed = call(
        line,
        sid,
        caller,
        "completed",
        TranscriptionStatus="failed",
        RecordingSid="RE2",
        RecordingUrl="https://api.twilio.com/Recordings/RE2",
    )
    assert (await line.post(http, "voicemail", failed)).status_code == 204
    busy = call(line, sid, caller, "no-answer")
    assert (await line.post(http, "call-status", busy)).status_code == 204
    stored = await on_channel(tenant, line)
    assert [(m.text, t) for m, t in stored] == [
        ("Call started", "call_started"),
        ("Voicemail received", "voicemail_received"),  # no transcript: the recording is it
        ("Call ended after 0 s", "call_ended"),
    ]
    assert stored[1][0].attachments[0]["url"] == "https://api.twilio.com/Recordings/RE2"
    assert stored[2][0].meta["data"]["call_status"] == "no-answer"


async def test_recorded_status_callback_sample(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    """The recorded status callback, as sent, for a call Parley never saw start."""
    line = await twilio_number(tenant, live_server.url, ChannelKind.voice)
    sample = {k: v for k, v in SAMPLES["voice_status_callback_example"].items() if k[0] != "_"}
    assert (await line.post(http, "call-status", sample)).status_code == 204
    [(message, event_type)] = await on_channel(tenant, line)
    assert (message.text, event_type) == ("Call ended after 2 s", "call_ended")
    assert message.provider_message_id == f"{sample['CallSid']}:end"
    assert message.meta["data"]["hangup_source"] == "callee"


async def test_anonymous_caller_is_still_a_call(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    line = await twilio_number(tenant, live_server.url, ChannelKind.voice)
    sid = new_sid("CA")
    hidden = call(line, sid, "anonymous", "ringing", CallerName="Anonymous")
    assert (await line.post(http, "voice", hidden)).status_code == 200
    ended = call(line, sid, "anonymous", "completed", CallDuration="5")
    assert (await line.post(http, "call-status", ended)).status_code == 204
    stored = await on_channel(tenant, line)
    assert [(m.text, t) for m, t in stored] == [
        ("Call started", "call_started"),
        ("Call ended after 5 s", "call_ended"),
    ]
    assert stored[0][0].interaction_id == stored[1][0].interaction_id
