"""Sending one email through the configured relay (PARLEY_SMTP_RELAY_URL).

Headers are built only from validated values: a CR or LF in any of them is refused, which closes
header injection through customer-controlled names and subjects (CPython CVE-2024-6923).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from parley import clock
from parley.channels.base import PermanentFailure, TemporaryFailure
from parley.config import Settings

STRICT = SMTP_POLICY.clone(raise_on_defect=True)


def _header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise PermanentFailure(f"refusing a line break in the {name} header")
    return value


def build_email(
    settings: Settings,
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    reply_to: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    message_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> EmailMessage:
    message = EmailMessage(policy=STRICT)
    message["From"] = _header("From", sender)
    message["To"] = _header("To", to)
    message["Subject"] = _header("Subject", subject)
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = _header(
        "Message-ID",
        message_id or make_msgid(idstring=uuid.uuid4().hex[:12], domain=settings.email_domain),
    )
    if reply_to:
        message["Reply-To"] = _header("Reply-To", reply_to)
    if in_reply_to:
        message["In-Reply-To"] = _header("In-Reply-To", in_reply_to)
    if references:
        message["References"] = _header("References", " ".join(references))
    # Callers mark automatic mail (Auto-Submitted, RFC 3834): agent replies are not automatic.
    for name, value in (headers or {}).items():
        message[name] = _header(name, value)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:  # (name, type, bytes): an agent's upload
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(
            data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename
        )
    return message


async def send_email(settings: Settings, message: EmailMessage) -> str:
    """Hand the message to the relay; returns its Message-ID. Raises Temporary/PermanentFailure."""
    relay = urlsplit(settings.smtp_relay_url)
    try:
        await aiosmtplib.send(
            message,
            hostname=relay.hostname or "127.0.0.1",
            port=relay.port or (465 if relay.scheme == "smtps" else 25),
            username=unquote(relay.username) if relay.username else None,
            password=unquote(relay.password) if relay.password else None,
            use_tls=relay.scheme == "smtps",
            start_tls=None if relay.scheme == "smtp" else False,
            timeout=30,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"the relay refused the recipient: {exc}") from exc
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600:
            raise PermanentFailure(
                f"the relay refused the message: {exc.code} {exc.message}"
            ) from exc
        raise TemporaryFailure(f"the relay deferred the message: {exc.code} {exc.message}") from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise TemporaryFailure(f"could not reach the mail relay: {exc}") from exc
    return str(message["Message-ID"])
