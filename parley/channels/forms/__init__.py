"""Web forms (kind ``form``): a submission is Gnatta's *Contact Form Received*.

``POST /hooks/forms/{channel_id}`` takes JSON, ``application/x-www-form-urlencoded`` or
``multipart/form-data`` (files are refused). Two ways to authenticate, both from the channel's
``webhook_secret``:

- **signed** (a form backend, a CMS plugin): ``X-Parley-Timestamp`` + ``X-Parley-Signature`` as in
  ``parley/channels/generic/signing.py``. Nobody without the secret can submit.
- **URL token** (a plain HTML ``<form action=...?token=...>``): the page carries the token, so
  anyone who can read the page can submit, exactly as with any public form. The token only stops
  posts to guessed channel ids and rotates with the secret; spam is kept down by the optional
  honeypot field (``config["honeypot_field"]``).

The sender's email, name, phone and subject are read from configurable field names
(``config["email_field"]``... default ``email``, ``name``, ``phone``, ``subject``); every field
is kept in the message's data and rendered as readable text. Fields starting with ``_`` are
control fields: ``_submission_id`` (or the ``Idempotency-Key`` header) makes a resubmission a
no-op.

A reply is an email to the form's email address, sent from ``config["reply_from"]`` (and
``config["reply_to"]`` if set) through the outbound relay. The customer's answer to that email
arrives on the email channel, which threads it by In-Reply-To (the reply's Message-ID is stored as
a thread key of the form's channel).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from parley.api.deps import services
from parley.channels.base import Delivery, OutboundSender, PermanentFailure, SendResult
from parley.channels.edge import ingest, webhook_channel
from parley.channels.email.smtp import build_email, send_email
from parley.channels.forms.fields import one_line, read_fields, render, valid_email
from parley.channels.generic import signing
from parley.config import Settings
from parley.ingest.event import Happening, InboundEvent, Sender
from parley.models import Channel
from parley.models.enums import ChannelKind, DeliveryStatus, IdentityKind

router = APIRouter(tags=["channels"], include_in_schema=False)


def _field(channel: Channel, role: str) -> str:
    name = channel.config.get(f"{role}_field")
    return name if isinstance(name, str) and name else role


def submission_event(
    channel: Channel, fields: dict[str, str], *, submission_id: str | None, client: dict[str, Any]
) -> InboundEvent:
    visible = {k: v for k, v in fields.items() if not k.startswith("_")}
    email = valid_email(visible.get(_field(channel, "email")))
    name = one_line(visible.get(_field(channel, "name")), 200)
    phone = one_line(visible.get(_field(channel, "phone")), 40)
    subject = one_line(visible.get(_field(channel, "subject")), 500)
    identities: list[tuple[IdentityKind, str]] = []
    if email:
        identities.append((IdentityKind.email, email))
    if phone and any(c.isdigit() for c in phone):
        identities.append((IdentityKind.phone, phone))
    return InboundEvent(
        organization_id=channel.organization_id,
        channel_id=channel.id,
        channel_kind=channel.kind,
        happening=Happening.form,
        sender=Sender(identities=tuple(identities), name=name, email=email, phone=phone),
        provider_message_id=f"form:{submission_id}" if submission_id else None,
        text=render(f"Form submitted: {channel.name}", visible),
        subject=subject or f"Form: {channel.name}"[:500],
        client=client,
        data={"fields": visible, "email": email, "name": name, "phone": phone},
    )


@router.post("/hooks/forms/{channel_id}")
async def form_submission(channel_id: str, request: Request) -> Response:
    svc = services(request)
    channel = await webhook_channel(svc, channel_id, [ChannelKind.form])
    body = await request.body()
    signed = signing.is_signed(request.headers)
    if signed:
        signing.check_signed(channel, request.headers, body)
    else:
        signing.check_url_token(channel, request.query_params.get("token"))
    fields = await read_fields(request, body)
    honeypot = channel.config.get("honeypot_field")
    if isinstance(honeypot, str) and honeypot and fields.pop(honeypot, "").strip():
        return _answer(channel, request, signed, None)  # a bot filled the hidden field
    submission_id = one_line(
        request.headers.get("idempotency-key") or fields.get("_submission_id"), 200
    )
    client = {
        "ip": request.client.host if request.client else None,
        "user_agent": (request.headers.get("user-agent") or "")[:500],
        "referrer": (request.headers.get("referer") or "")[:2000],
    }
    event = submission_event(channel, fields, submission_id=submission_id, client=client)
    [result] = await ingest(svc, [event])
    return _answer(channel, request, signed, result)


def _answer(channel: Channel, request: Request, signed: bool, result: Any) -> Response:
    """Signed callers get ids; browsers are sent to the thank-you page when one is configured."""
    redirect = channel.config.get("redirect_url")
    is_json = request.headers.get("content-type", "").startswith("application/json")
    if not signed and not is_json and isinstance(redirect, str) and redirect:
        return RedirectResponse(redirect, status_code=303)
    content: dict[str, Any] = {"received": True}
    if signed and result is not None:
        content["duplicate"] = result.duplicate
        content["interaction_id"] = str(result.interaction.id) if result.interaction else None
        content["message_id"] = str(result.message.id) if result.message else None
    return JSONResponse(content)


class FormReplySender:
    """Answers a form by email, to the address the customer typed in the form."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, delivery: Delivery) -> SendResult:
        channel, interaction = delivery.channel, delivery.interaction
        sender = channel.config.get("reply_from")
        if not isinstance(sender, str) or not sender:
            raise PermanentFailure("set reply_from on the form channel to answer by email")
        to = _recipient(delivery)
        if to is None:
            raise PermanentFailure("the form has no email address to reply to")
        reply_to = channel.config.get("reply_to")
        subject = interaction.subject or f"Your message to {channel.name}"
        message = build_email(
            delivery.settings,
            sender=sender,
            to=to,
            subject=subject if subject.lower().startswith("re:") else f"Re: {subject}",
            text=delivery.message.text,
            reply_to=reply_to if isinstance(reply_to, str) and reply_to else None,
        )
        return SendResult(await send_email(delivery.settings, message), DeliveryStatus.sent)


def _recipient(delivery: Delivery) -> str | None:
    if delivery.last_inbound is not None:
        data = delivery.last_inbound.meta.get("data") or {}
        if isinstance(data, dict) and valid_email(data.get("email")):
            return valid_email(data.get("email"))
    if delivery.contact is not None and valid_email(delivery.contact.email):
        return valid_email(delivery.contact.email)
    for identity in delivery.identities:
        if identity.kind == IdentityKind.email:
            return identity.value
    return None


def senders(settings: Settings) -> dict[ChannelKind, OutboundSender]:
    return {ChannelKind.form: FormReplySender(settings)}
