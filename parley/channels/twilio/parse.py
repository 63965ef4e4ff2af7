"""Twilio webhook forms -> InboundEvents. Pure: no I/O, no database, no request objects.

Field names are Twilio's (https://www.twilio.com/docs/messaging/guides/webhook-request,
https://www.twilio.com/docs/usage/webhooks/voice-webhooks). Provider ids are what makes Twilio's
retries harmless: ``MessageSid`` for messages, and ``CallSid`` plus the stage of the call for
voice (``CA...:start``, ``CA...:end``, ``CA...:voicemail``), since one call yields several events.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from parley.errors import InvalidInput
from parley.ingest.event import (
    Attachment,
    Happening,
    InboundEvent,
    Sender,
    StatusUpdate,
    ThreadHints,
)
from parley.models import Channel
from parley.models.enums import DeliveryStatus, IdentityKind

Form = Mapping[str, str]

WHATSAPP_PREFIX = "whatsapp:"
MAX_MEDIA = 10  # Twilio's own limit per message

# MessageStatus values that move an outbound message forward. queued / accepted / sending /
# scheduled mean "not yet sent" (Parley already shows it pending or sent); receiving / received
# belong to inbound messages.
MESSAGE_STATUS = {
    "sent": DeliveryStatus.sent,
    "delivered": DeliveryStatus.delivered,
    "read": DeliveryStatus.read,
    "failed": DeliveryStatus.failed,
    "undelivered": DeliveryStatus.failed,
    "canceled": DeliveryStatus.failed,
}

# CallStatus values that end a call (the others: queued, initiated, ringing, in-progress).
CALL_ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})

# The delivery errors an agent meets most; the rest are shown by number.
ERRORS = {
    "21610": "the recipient has unsubscribed (replied STOP)",
    "30003": "unreachable destination handset",
    "30004": "message blocked",
    "30005": "unknown destination handset",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier",
    "30008": "unknown error",
    "63016": "outside the WhatsApp customer service window; a template is required",
}


def form_of(params: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The fields as a mapping (a repeated name keeps its last value), without NUL bytes:
    PostgreSQL text cannot hold them, and no customer meant to send one."""
    return {name: value.replace("\x00", "") for name, value in params}


def sender_of(form: Form) -> Sender:
    """The customer: ``whatsapp:+44...`` is a WhatsApp identity (and the same phone number),
    ``+44...`` a phone. Callers without a number (anonymous, SIP, client) get no identity."""
    raw = form.get("From", "").strip()
    name = (form.get("ProfileName") or form.get("CallerName") or "").strip()[:200] or None
    number = raw[len(WHATSAPP_PREFIX) :] if raw.lower().startswith(WHATSAPP_PREFIX) else raw
    if not re.search(r"\d", number) or number.lower().startswith(("sip:", "client:")):
        return Sender(identities=(), name=name)
    identities: tuple[tuple[IdentityKind, str], ...]
    if raw.lower().startswith(WHATSAPP_PREFIX):
        identities = ((IdentityKind.whatsapp, number), (IdentityKind.phone, number))
    else:
        identities = ((IdentityKind.phone, number),)
    return Sender(identities=identities, name=name, phone=number)


def _require(form: Form, *names: str) -> str:
    for name in names:
        if form.get(name):
            return form[name]
    raise InvalidInput(f"Twilio field {names[0]} is missing", fields={names[0]: "required"})


def _base(channel: Channel) -> dict[str, Any]:
    return {
        "organization_id": channel.organization_id,
        "channel_id": channel.id,
        "channel_kind": channel.kind,
    }


def _attachments(form: Form) -> tuple[Attachment, ...]:
    try:
        count = min(max(int(form.get("NumMedia") or 0), 0), MAX_MEDIA)
    except ValueError:
        count = 0
    found = []
    for n in range(count):
        url = form.get(f"MediaUrl{n}")
        if not url:
            continue
        content_type = form.get(f"MediaContentType{n}") or "application/octet-stream"
        found.append(
            Attachment(
                filename=_filename(url, content_type, n),
                content_type=content_type,
                size=0,  # unknown until fetched; Twilio hosts the media
                url=url,
            )
        )
    return tuple(found)


def _filename(url: str, content_type: str, n: int) -> str:
    last = urlsplit(url).path.rstrip("/").rpartition("/")[2] or f"media{n}"
    if "." in last:
        return last[:200]
    return last[:190] + (mimetypes.guess_extension(content_type.split(";")[0].strip()) or "")


def _message_data(form: Form) -> dict[str, Any]:
    # The number the customer wrote from: replies go back to it (outbound.recipient).
    data: dict[str, Any] = {"from": form.get("From", "")}
    message_type = form.get("MessageType")
    if message_type and message_type != "text":
        data["message_type"] = message_type
    if form.get("Latitude") and form.get("Longitude"):
        try:
            location: dict[str, Any] = {
                "latitude": float(form["Latitude"]),
                "longitude": float(form["Longitude"]),
            }
        except ValueError:
            location = {"latitude": form["Latitude"], "longitude": form["Longitude"]}
        for field, key in (("Address", "address"), ("Label", "label")):
            if form.get(field):
                location[key] = form[field]
        data["location"] = location
    if form.get("ButtonPayload") or form.get("ButtonText"):
        data["button"] = {"text": form.get("ButtonText", ""), "payload": form.get("ButtonPayload")}
    return data


def message_event(channel: Channel, form: Form) -> InboundEvent:
    """An incoming SMS, MMS or WhatsApp message."""
    sid = _require(form, "MessageSid", "SmsMessageSid", "SmsSid")
    data = _message_data(form)
    text = form.get("Body", "")
    if not text.strip() and "location" in data:
        where = data["location"]
        text = f"Location: {where['latitude']}, {where['longitude']}"
    replied_to = form.get("OriginalRepliedMessageSid")
    return InboundEvent(
        **_base(channel),
        happening=Happening.message,
        sender=sender_of(form),
        provider_message_id=sid,
        text=text,
        attachments=_attachments(form),
        thread=ThreadHints(refers_to=(replied_to,) if replied_to else ()),
        data=data,
    )


def status_event(channel: Channel, form: Form) -> InboundEvent | None:
    """A status callback for a message we sent; None for statuses that change nothing."""
    sid = _require(form, "MessageSid", "SmsSid")
    raw = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    status = MESSAGE_STATUS.get(raw)
    if status is None:
        return None
    error = None
    code = form.get("ErrorCode")
    if status == DeliveryStatus.failed:
        reason = ERRORS.get(code or "", form.get("ErrorMessage") or "")
        error = f"Twilio {raw}" + (f" (error {code})" if code else "")
        error += f": {reason}" if reason else ""
    return InboundEvent(
        **_base(channel),
        happening=Happening.status,
        sender=Sender(identities=()),
        status=StatusUpdate(provider_message_id=sid, status=status, error=error),
    )


def _call(
    channel: Channel, form: Form, happening: Happening, stage: str, **kw: Any
) -> InboundEvent:
    call_sid = _require(form, "CallSid")
    return InboundEvent(
        **_base(channel),
        happening=happening,
        sender=sender_of(form),
        provider_message_id=f"{call_sid}:{stage}",
        # Every event of a call can be found by its sid, and finds the call by it.
        thread=ThreadHints(own_keys=(call_sid,), refers_to=() if stage == "start" else (call_sid,)),
        **kw,
    )


def call_start_event(channel: Channel, form: Form) -> InboundEvent:
    """The voice webhook: a call is ringing (or answered) on the channel's number."""
    return _call(
        channel,
        form,
        Happening.call_start,
        "start",
        data={
            "from": form.get("From", ""),
            "call_sid": form.get("CallSid"),
            "direction": form.get("Direction", "inbound"),
        },
    )


def call_end_event(channel: Channel, form: Form) -> InboundEvent | None:
    """The call status callback; only a final CallStatus ends the call (None otherwise)."""
    status = (form.get("CallStatus") or "").lower()
    if status not in CALL_ENDED:
        return None
    try:
        duration = int(form.get("CallDuration") or 0)
    except ValueError:
        duration = 0
    data: dict[str, Any] = {"duration_s": duration, "call_status": status}
    if form.get("HangupSource"):
        data["hangup_source"] = form["HangupSource"]
    return _call(channel, form, Happening.call_end, "end", data=data)


def voicemail_event(channel: Channel, form: Form) -> InboundEvent:
    """The <Record> transcription callback: the recording, and its text when Twilio managed it."""
    recording = form.get("RecordingUrl")
    status = (form.get("TranscriptionStatus") or "").lower()
    text = form.get("TranscriptionText", "") if status in ("", "completed") else ""
    attachments: tuple[Attachment, ...] = ()
    if recording:
        name = f"{form.get('RecordingSid') or 'voicemail'}.wav"
        attachments = (Attachment(filename=name, content_type="audio/wav", size=0, url=recording),)
    data: dict[str, Any] = {"from": form.get("From", ""), "call_sid": form.get("CallSid")}
    if status:
        data["transcription_status"] = status
    if form.get("RecordingSid"):
        data["recording_sid"] = form["RecordingSid"]
    return _call(
        channel,
        form,
        Happening.voicemail,
        "voicemail",
        text=text.strip(),
        attachments=attachments,
        data=data,
    )
