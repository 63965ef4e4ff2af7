"""Agent and automation replies by email, threaded into the customer's conversation.

Each reply goes out through the relay (``smtp.py``) with:

- ``Message-ID: <message-uuid@PARLEY_EMAIL_DOMAIN>``, stable across retries, and recorded as the
  outbound message's provider id (so a reply naming it threads back, and a bounce finds it);
- ``In-Reply-To`` the customer's last Message-ID and ``References`` their chain plus it;
- ``Reply-To`` the interaction's signed reply address (``threading.py``);
- ``Auto-Submitted: auto-replied`` when automation wrote it (RFC 3834), so auto-responders
  on the other side do not answer it.

From is the channel's ``config["from"]`` (else its inbound ``address``), named
``config["from_name"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.errors import MessageError
from email.utils import formataddr
from typing import Any

from parley.channels.base import Delivery, PermanentFailure, SendResult
from parley.channels.email import threading
from parley.channels.email.smtp import build_email, send_email
from parley.config import Settings
from parley.models import StoredFile
from parley.models.enums import DeliveryStatus, IdentityKind, MessageRole

MAX_REFERENCES = 10


class EmailSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, delivery: Delivery) -> SendResult:
        files = await delivery.files()
        try:
            message = compose(delivery, files)
        except (MessageError, ValueError, TypeError) as exc:
            raise PermanentFailure(f"could not build the email: {exc}") from exc
        return SendResult(await send_email(delivery.settings, message), DeliveryStatus.sent)


def _data(delivery: Delivery) -> dict[str, Any]:
    if delivery.last_inbound is None:
        return {}
    data = delivery.last_inbound.meta.get("data")
    return data if isinstance(data, dict) else {}


def recipient(delivery: Delivery) -> str:
    """The customer's Reply-To, else their From, else the contact's email address."""
    data = _data(delivery)
    for key in ("reply_to", "from"):
        value = data.get(key)
        if isinstance(value, str) and "@" in value:
            return value
    if delivery.contact is not None and delivery.contact.email:
        return delivery.contact.email
    for identity in delivery.identities:
        if identity.kind == IdentityKind.email:
            return identity.value
    raise PermanentFailure("the contact has no email address to reply to")


def thread_headers(delivery: Delivery) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) for a reply to the customer's last message."""
    last = delivery.last_inbound
    parent = last.provider_message_id if last is not None else None
    if not parent or not parent.startswith("<"):
        parent = None  # a digest stands in for a missing Message-ID: nothing to name
    refs = [r for r in _data(delivery).get("references") or [] if isinstance(r, str)]
    if parent:
        refs = [r for r in refs if r != parent] + [parent]
    return parent, refs[-MAX_REFERENCES:]


def subject(delivery: Delivery) -> str:
    base = delivery.interaction.subject or str(_data(delivery).get("subject") or "")
    base = base or f"Your message to {delivery.channel.name}"
    return base if base[:3].lower() == "re:" else f"Re: {base}"


def compose(delivery: Delivery, files: Sequence[StoredFile] = ()) -> Any:
    channel, interaction, message = delivery.channel, delivery.interaction, delivery.message
    settings = delivery.settings
    address = str(channel.config.get("from") or channel.config.get("address") or "")
    if "@" not in address:
        raise PermanentFailure("set address (or from) on the email channel to send replies")
    in_reply_to, references = thread_headers(delivery)
    automatic = message.role == MessageRole.assistant
    return build_email(
        settings,
        sender=formataddr((str(channel.config.get("from_name") or ""), address)),
        to=recipient(delivery),
        subject=subject(delivery),
        text=message.text,
        html=message.html,
        reply_to=threading.reply_address(
            settings.secret_key, settings.email_domain, interaction.organization_id, interaction.id
        ),
        in_reply_to=in_reply_to,
        references=references,
        message_id=threading.outgoing_message_id(message.id, settings.email_domain),
        headers={"Auto-Submitted": "auto-replied"} if automatic else {},
        attachments=[(f.filename, f.content_type, f.data) for f in files],
    )
