"""Messenger and Instagram messaging webhooks -> InboundEvents. Pure: no I/O.

Both speak the Messenger Platform's shape: ``entry[].messaging[]`` (and ``standby[]`` when another
app holds the thread), one event per customer action, the customer as ``sender.id`` (a PSID on a
page, an IGSID on Instagram). Echoes of what the page itself sent are left out.
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlsplit

from parley.channels.meta.common import (
    MAX_TEXT,
    Content,
    Parsed,
    Watermark,
    filename_for,
    items,
    obj,
    text_of,
    timestamp,
)
from parley.ingest.event import (
    Attachment,
    Happening,
    InboundEvent,
    Sender,
    StatusUpdate,
    ThreadHints,
)
from parley.models import Channel
from parley.models.enums import ChannelKind, DeliveryStatus, IdentityKind

OBJECTS = {ChannelKind.messenger: "page", ChannelKind.instagram: "instagram"}
IDENTITIES = {
    ChannelKind.messenger: IdentityKind.messenger,
    ChannelKind.instagram: IdentityKind.instagram,
}

LABELS = {
    "image": "[image]",
    "video": "[video]",
    "audio": "[audio]",
    "file": "[file]",
    "share": "[shared post]",
    "story_mention": "[mentioned you in their story]",
    "ig_reel": "[shared reel]",
    "reel": "[shared reel]",
    "fallback": "[link]",
    "template": "[template]",
    "location": "[location]",
}

_ENVELOPE = frozenset({"sender", "recipient", "timestamp"})


def parse(body: dict[str, Any], channel: Channel) -> Parsed:
    out = Parsed()
    for entry in items(body.get("entry")):
        for event in items(entry.get("messaging")) + items(entry.get("standby")):
            _event(event, channel, out)
        for change in items(entry.get("changes")):
            out.ignored.append(f"{change.get('field')}: comments and mentions are not handled")
    return out


def _event(event: dict[str, Any], channel: Channel, out: Parsed) -> None:
    user = str(obj(event.get("sender")).get("id") or "")
    at = event.get("timestamp")
    if not user:
        out.ignored.append("event without a sender")
    elif "message" in event:
        message = obj(event["message"])
        if message.get("is_echo"):
            out.ignored.append(f"echo of {message.get('mid')!r}: the page's own message")
        elif message.get("is_deleted"):
            mid = str(message.get("mid") or "")
            content = Content(
                "[deleted] The customer deleted a message",
                data={"deleted": mid},
                refers_to=(mid,) if mid else (),
            )
            out.events.append(_inbound(channel, user, f"deleted:{mid}", content, at))
        else:
            mid = str(message.get("mid") or f"{user}:{at}")
            out.events.append(_inbound(channel, user, mid, _message(message, event), at))
    elif "postback" in event:
        postback = obj(event["postback"])
        mid = str(postback.get("mid") or f"postback:{user}:{at}")
        text = text_of(postback.get("title")) or text_of(postback.get("payload")) or "[button]"
        content = Content(text, data={"postback": postback})
        out.events.append(_inbound(channel, user, mid, content, at))
    elif "reaction" in event:
        out.events.append(_reaction(channel, user, obj(event["reaction"]), at))
    elif "delivery" in event or "read" in event:
        _receipt(event, user, channel, out)
    else:
        what = ", ".join(sorted(set(event) - _ENVELOPE)) or "empty"
        out.ignored.append(f"{what}: not a conversation event")


def _message(message: dict[str, Any], event: dict[str, Any]) -> Content:
    attachments: list[Attachment] = []
    labels: list[str] = []
    for n, item in enumerate(items(message.get("attachments")), start=1):
        kind = str(item.get("type") or "file")
        url = obj(item.get("payload")).get("url")
        labels.append(LABELS.get(kind, f"[{kind}]"))
        if isinstance(url, str) and url:
            attachments.append(_attachment(kind, url, str(n)))
    data: dict[str, Any] = {}
    refers_to: tuple[str, ...] = ()
    reply_to = obj(message.get("reply_to"))
    if reply_to.get("mid"):
        data["reply_to"] = str(reply_to["mid"])
        refers_to = (str(reply_to["mid"]),)
    if reply_to.get("story"):
        data["story"] = obj(reply_to["story"])
    if message.get("quick_reply"):
        data["choice"] = obj(message["quick_reply"])
    referral = message.get("referral") or event.get("referral")
    if referral:
        data["referral"] = obj(referral)
    text = text_of(message.get("text")) or " ".join(labels)
    if data.get("story") and not reply_to.get("mid"):
        text = f"[story reply] {text}"
    return Content(text[:MAX_TEXT], tuple(attachments), data, refers_to)


def _attachment(kind: str, url: str, n: str) -> Attachment:
    path = urlsplit(url).path.rsplit("/", 1)[-1]
    guessed = mimetypes.guess_type(path)[0] if path else None
    content_type = guessed or "application/octet-stream"
    name = path if path and "." in path else filename_for(kind, n, content_type)
    return Attachment(filename=name[:255], content_type=content_type, size=0, url=url[:2000])


def _reaction(channel: Channel, user: str, reaction: dict[str, Any], at: Any) -> InboundEvent:
    target = str(reaction.get("mid") or "")
    action = str(reaction.get("action") or "react")
    emoji = reaction.get("emoji") or reaction.get("reaction") or ""
    text = f"[reaction] {emoji}" if action == "react" and emoji else "[reaction removed]"
    content = Content(
        text,
        data={"reaction": {"message_id": target, "emoji": emoji, "action": action}},
        refers_to=(target,) if target else (),
    )
    return _inbound(channel, user, f"reaction:{user}:{target}:{action}:{at}", content, at)


def _receipt(event: dict[str, Any], user: str, channel: Channel, out: Parsed) -> None:
    status = DeliveryStatus.delivered if "delivery" in event else DeliveryStatus.read
    receipt = obj(event.get("delivery") or event.get("read"))
    mids = [str(m) for m in receipt.get("mids") or [] if m] if "delivery" in event else []
    if receipt.get("mid"):
        mids.append(str(receipt["mid"]))
    for mid in mids:
        out.events.append(status_event(channel, mid, status))
    until = timestamp(receipt.get("watermark"))
    if not mids and until is not None:
        # Messenger names no message: everything sent to this user until then.
        out.watermarks.append(Watermark(user, status, until))


def _inbound(
    channel: Channel, user: str, provider_id: str, content: Content, at: Any
) -> InboundEvent:
    return InboundEvent(
        organization_id=channel.organization_id,
        channel_id=channel.id,
        channel_kind=channel.kind,
        happening=Happening.message,
        sender=Sender(identities=((IDENTITIES[channel.kind], user),)),
        provider_message_id=provider_id[:255],
        text=content.text,
        attachments=content.attachments,
        thread=ThreadHints(own_keys=(provider_id[:255],), refers_to=content.refers_to),
        occurred_at=timestamp(at),
        data={"platform": channel.kind.value, **content.data},
    )


def status_event(channel: Channel, mid: str, status: DeliveryStatus) -> InboundEvent:
    return InboundEvent(
        organization_id=channel.organization_id,
        channel_id=channel.id,
        channel_kind=channel.kind,
        happening=Happening.status,
        sender=Sender(identities=()),
        status=StatusUpdate(mid, status),
    )
