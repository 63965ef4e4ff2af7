"""WhatsApp Cloud API webhooks -> InboundEvents. Pure: no I/O (see docs/channels-meta.md).

A body is ``entry[].changes[]``; only ``field == "messages"`` changes carry conversation:
``value.messages[]`` (one event each, ``provider_message_id`` = wamid) and ``value.statuses[]``
(delivery receipts for our sends). Every other field (account, template, preference, call and
echo updates) is acknowledged and left out, with the reason logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from parley.channels.meta.common import (
    MAX_TEXT,
    Content,
    Parsed,
    errors_text,
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
from parley.models.enums import DeliveryStatus, IdentityKind

OBJECT = "whatsapp_business_account"

STATUSES = {
    "sent": DeliveryStatus.sent,
    "delivered": DeliveryStatus.delivered,
    "read": DeliveryStatus.read,
    # A voice message was played: it was read, and more.
    "played": DeliveryStatus.read,
    "failed": DeliveryStatus.failed,
}

# Why a change other than "messages" is left out.
IGNORED_FIELDS = {
    "calls": "WhatsApp calls need a WebRTC answer through the Calling API, which Parley does "
    "not speak; the customer's call is not answered and nothing is recorded",
    "smb_message_echoes": "a message the business sent from the WhatsApp Business app; "
    "Parley does not mirror the phone's outbox",
    "user_preferences": "a marketing-preference change; it is not a conversation",
    "account_update": "an account notice for administrators; it is not a conversation",
}

# Message types an agent's reply may quote (WhatsApp "context"): real message bubbles.
QUOTABLE = frozenset(
    {
        "text",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "button",
        "order",
    }
)

MEDIA = ("image", "video", "audio", "document", "sticker")


def parse(body: dict[str, Any], channel: Channel) -> Parsed:
    """Every message and status in the body, in order. Routing is by channel (the URL); the
    payload's ``phone_number_id`` is informational."""
    out = Parsed()
    for entry in items(body.get("entry")):
        for change in items(entry.get("changes")):
            name = str(change.get("field") or "?")
            value = obj(change.get("value"))
            if name != "messages":
                reason = IGNORED_FIELDS.get(name, "not a conversation event")
                if "template" in name:
                    reason = "a message template notice for administrators"
                out.ignored.append(f"{name}: {reason}")
                continue
            _change(value, channel, out)
    return out


def _change(value: dict[str, Any], channel: Channel, out: Parsed) -> None:
    contacts = items(value.get("contacts"))
    names = {
        str(c.get("wa_id")): obj(c.get("profile")).get("name") for c in contacts if c.get("wa_id")
    }
    messages = items(value.get("messages"))
    statuses = items(value.get("statuses"))
    for message in messages:
        event = _message(message, value, contacts, names, channel)
        if event is None:
            out.ignored.append(f"message {message.get('id')!r}: no sender")
        else:
            out.events.append(event)
    for status in statuses:
        update = _status(status)
        if update is None:
            out.ignored.append(f"status {status.get('status')!r} of {status.get('id')!r}")
        else:
            out.events.append(
                InboundEvent(
                    organization_id=channel.organization_id,
                    channel_id=channel.id,
                    channel_kind=channel.kind,
                    happening=Happening.status,
                    sender=Sender(identities=()),
                    occurred_at=timestamp(status.get("timestamp")),
                    status=update,
                )
            )
    if not messages and not statuses:
        problem = errors_text(items(value.get("errors")))
        out.ignored.append(f"messages change without messages or statuses ({problem or 'empty'})")


def _status(status: dict[str, Any]) -> StatusUpdate | None:
    # Call statuses (type "call", RINGING/ACCEPTED...) share the list but are not receipts.
    mapped = STATUSES.get(str(status.get("status")))
    if status.get("type") == "call" or mapped is None or not status.get("id"):
        return None
    error = errors_text(items(status.get("errors"))) if mapped == DeliveryStatus.failed else None
    return StatusUpdate(str(status["id"]), mapped, error or None)


def _sender_id(message: dict[str, Any], contacts: list[dict[str, Any]]) -> str | None:
    sender = str(message.get("from") or "")
    if any(c.isdigit() for c in sender):
        return sender
    # The change's contacts[] describes who wrote; with one contact it names the sender.
    if len(contacts) == 1 and contacts[0].get("wa_id"):
        return str(contacts[0]["wa_id"])
    return None


def _message(
    message: dict[str, Any],
    value: dict[str, Any],
    contacts: list[dict[str, Any]],
    names: dict[str, Any],
    channel: Channel,
) -> InboundEvent | None:
    wa_id = _sender_id(message, contacts)
    if wa_id is None or not message.get("id"):
        return None
    kind = str(message.get("type") or "unknown")
    content = content_of(kind, message)
    data: dict[str, Any] = {"whatsapp_type": kind, **content.data}
    refers_to = content.refers_to
    context = obj(message.get("context"))
    if context.get("id"):
        data["reply_to"] = str(context["id"])
        refers_to = (*refers_to, str(context["id"]))
    if context.get("forwarded") or context.get("frequently_forwarded"):
        data["forwarded"] = "frequently" if context.get("frequently_forwarded") else True
    if message.get("referral"):
        data["referral"] = obj(message["referral"])
    problems = items(message.get("errors")) + items(value.get("errors"))
    if problems:
        data["errors"] = problems
    identities: list[tuple[IdentityKind, str]] = [(IdentityKind.whatsapp, wa_id)]
    system = obj(message.get("system"))
    if system.get("type") == "user_changed_number" and system.get("wa_id"):
        # The new number joins the same contact, so replies go to it from now on.
        identities.append((IdentityKind.whatsapp, str(system["wa_id"])))
    name = names.get(wa_id)
    wamid = str(message["id"])
    return InboundEvent(
        organization_id=channel.organization_id,
        channel_id=channel.id,
        channel_kind=channel.kind,
        happening=Happening.notice if kind in NOTICES else Happening.message,
        # Only the WhatsApp identity: tying it to an SMS or voice contact with the same number
        # is a merge an agent decides, not something a webhook does on its own.
        sender=Sender(identities=tuple(identities), name=str(name)[:200] if name else None),
        provider_message_id=wamid,
        text=content.text[:MAX_TEXT],
        attachments=content.attachments,
        thread=ThreadHints(own_keys=(wamid,), refers_to=tuple(dict.fromkeys(refers_to))),
        occurred_at=timestamp(message.get("timestamp")),
        data=data,
    )


def content_of(kind: str, message: dict[str, Any]) -> Content:
    """The transcript text, files and facts of one message of type ``kind``."""
    if kind in MEDIA:
        return _media(kind, obj(message.get(kind)))
    handler = _HANDLERS.get(kind)
    if handler is not None:
        return handler(message)
    return _unsupported(message)


def _text(message: dict[str, Any]) -> Content:
    return Content(text_of(obj(message.get("text")).get("body")))


def _media(kind: str, media: dict[str, Any]) -> Content:
    media_id = str(media.get("id") or "")
    mime = str(media.get("mime_type") or "application/octet-stream")[:255]
    filename = str(media.get("filename") or filename_for(kind, media_id, mime))[:255]
    # The media id is the durable reference (GET {graph}/{media id} with the channel's token
    # gives a short-lived download URL); the payload's own URL, when present, expires in minutes.
    attachment = Attachment(
        filename=filename, content_type=mime, size=0, url=f"whatsapp-media:{media_id}"
    )
    facts = {
        k: media[k] for k in ("id", "mime_type", "sha256", "url", "voice", "animated") if k in media
    }
    label = {
        "image": "[image]",
        "video": "[video]",
        "audio": "[voice message]" if media.get("voice") else "[audio]",
        "document": f"[document: {filename}]",
        "sticker": "[sticker]",
    }[kind]
    caption = text_of(media.get("caption"))
    return Content(caption or label, (attachment,), {"media": facts} if facts else {})


def _location(message: dict[str, Any]) -> Content:
    place = obj(message.get("location"))
    where = ", ".join(str(place[k]) for k in ("name", "address") if place.get(k))
    point = f"{place.get('latitude')}, {place.get('longitude')}"
    text = f"[location] {where} ({point})" if where else f"[location] {point}"
    if place.get("url"):
        text += f" {place['url']}"
    return Content(text, data={"location": place})


def _contacts(message: dict[str, Any]) -> Content:
    cards = items(message.get("contacts"))
    lines = []
    for card in cards:
        name = obj(card.get("name")).get("formatted_name") or "(no name)"
        phones = ", ".join(str(p.get("phone")) for p in items(card.get("phones")) if p.get("phone"))
        lines.append(f"{name}: {phones}" if phones else str(name))
    return Content("[contacts]\n" + "\n".join(lines), data={"contacts": cards})


def _reaction(message: dict[str, Any]) -> Content:
    reaction = obj(message.get("reaction"))
    target = str(reaction.get("message_id") or "")
    emoji = reaction.get("emoji") or ""
    text = f"[reaction] {emoji}" if emoji else "[reaction removed]"
    return Content(
        text,
        data={"reaction": {"message_id": target, "emoji": emoji}},
        refers_to=(target,) if target else (),
    )


def _interactive(message: dict[str, Any]) -> Content:
    box = obj(message.get("interactive"))
    kind = str(box.get("type") or "")
    reply = obj(box.get(kind))
    if kind in ("button_reply", "list_reply"):
        title = text_of(reply.get("title"))
        if reply.get("description"):
            title += f" ({reply['description']})"
        return Content(title, data={"choice": {"type": kind, **reply}})
    if kind == "nfm_reply":
        return _flow_reply(reply)
    if kind == "call_permission_reply":
        answer = reply.get("response") or "?"
        return Content(f"[call permission] {answer}", data={"call_permission": reply})
    return Content("[interactive message Parley cannot show]", data={"interactive": box})


def _flow_reply(reply: dict[str, Any]) -> Content:
    try:
        answers = json.loads(reply.get("response_json") or "{}")
    except ValueError:
        answers = {}
    answers = obj(answers)
    shown = ", ".join(f"{k}: {v}" for k, v in answers.items() if k != "flow_token")
    text = f"[flow response] {shown}".strip()
    return Content(text, data={"flow": {"name": reply.get("name"), "response": answers}})


def _button(message: dict[str, Any]) -> Content:
    button = obj(message.get("button"))
    return Content(text_of(button.get("text")), data={"choice": {"type": "button", **button}})


def _order(message: dict[str, Any]) -> Content:
    order = obj(message.get("order"))
    lines = [
        f"{p.get('quantity')} x {p.get('product_retailer_id')} "
        f"({p.get('item_price')} {p.get('currency')})"
        for p in items(order.get("product_items"))
    ]
    note = text_of(order.get("text"))
    text = "[order]\n" + "\n".join(lines) + (f"\n{note}" if note else "")
    return Content(text, data={"order": order})


def _system(message: dict[str, Any]) -> Content:
    system = obj(message.get("system"))
    body = text_of(system.get("body")) or str(system.get("type") or "system notice")
    return Content(f"[system] {body}", data={"system": system})


def _revoke(message: dict[str, Any]) -> Content:
    original = str(obj(message.get("revoke")).get("original_message_id") or "")
    return Content(
        "[deleted] The customer deleted a message",
        data={"deleted": original},
        refers_to=(original,) if original else (),
    )


def _edit(message: dict[str, Any]) -> Content:
    edit = obj(message.get("edit"))
    original = str(edit.get("original_message_id") or "")
    inner = obj(edit.get("message"))
    kind = str(inner.get("type") or "unknown")
    shown = content_of(kind, inner)
    return Content(
        f"[edited] {shown.text}",
        shown.attachments,
        {**shown.data, "edit_of": original, "edited_type": kind},
        (original,) if original else (),
    )


def _unsupported(message: dict[str, Any]) -> Content:
    kind = str(obj(message.get("unsupported")).get("type") or message.get("type") or "unknown")
    label = "[unsupported message]" if kind == "unsupported" else f"[unsupported message: {kind}]"
    return Content(
        f"{label} The customer sent something WhatsApp does not pass on",
        data={"unsupported": kind},
    )


_HANDLERS: dict[str, Callable[[dict[str, Any]], Content]] = {
    "text": _text,
    "location": _location,
    "contacts": _contacts,
    "reaction": _reaction,
    "interactive": _interactive,
    "button": _button,
    "order": _order,
    "system": _system,
    "revoke": _revoke,
    "edit": _edit,
}
# About an earlier message, or from WhatsApp itself: system lines in the transcript, never answered.
NOTICES = frozenset({"system", "revoke", "edit"})
