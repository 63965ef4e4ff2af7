"""Sending SMS and WhatsApp messages through Twilio's Messages API.

``POST {twilio_api_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic auth
(AccountSid, AuthToken) and a form body. Twilio answers 201 with the message resource (its
``sid`` is our provider id, so the status callbacks find the message), or an error object
``{"code", "message", "more_info", "status"}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from parley import clock
from parley.channels.base import Delivery, PermanentFailure, SendResult, TemporaryFailure
from parley.channels.twilio.parse import WHATSAPP_PREFIX
from parley.config import Settings
from parley.models import Channel
from parley.models.enums import DeliveryStatus, IdentityKind

TIMEOUT = httpx.Timeout(20.0, connect=5.0)
MAX_RETRY_AFTER_S = 24 * 3600


def account_of(channel: Channel) -> tuple[str, str]:
    """The channel's (AccountSid, AuthToken), checked before anything else is prepared."""
    account_sid = str(channel.secrets.get("account_sid") or "")
    auth_token = str(channel.secrets.get("auth_token") or "")
    if not account_sid or not auth_token:
        raise PermanentFailure("the channel has no Twilio account_sid and auth_token")
    return account_sid, auth_token


async def twilio_post(
    settings: Settings,
    account: tuple[str, str],
    resource: str,
    form: Mapping[str, str | list[str]],
) -> SendResult:
    """POST a form to one of the account's REST resources (``Messages.json``,
    ``Calls/{sid}.json``); Twilio's answer as a SendResult, or the failure to raise."""
    account_sid, _ = account
    url = f"{settings.twilio_api_url}/2010-04-01/Accounts/{quote(account_sid)}/{resource}"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.post(url, data=dict(form), auth=account)
    except httpx.TransportError as exc:
        raise TemporaryFailure(f"Twilio unreachable: {type(exc).__name__}") from exc
    return result_of(response)


class TwilioSender:
    """The OutboundSender for one channel kind (``whatsapp=True`` adds the ``whatsapp:`` prefix)."""

    def __init__(self, settings: Settings, *, whatsapp: bool) -> None:
        self.settings = settings
        self.whatsapp = whatsapp

    async def send(self, delivery: Delivery) -> SendResult:
        account = account_of(delivery.channel)
        return await twilio_post(self.settings, account, "Messages.json", self.form(delivery))

    def form(self, delivery: Delivery) -> dict[str, str | list[str]]:
        """The Messages.json form: From (or MessagingServiceSid), To, Body, media, callback."""
        channel, message = delivery.channel, delivery.message
        to = recipient(delivery, whatsapp=self.whatsapp)
        form: dict[str, str | list[str]] = {"To": self._address(to), "Body": message.text}
        service = channel.config.get("messaging_service_sid")
        if service:
            form["MessagingServiceSid"] = str(service)
        else:
            number = str(channel.config.get("number") or "")
            if not number:
                raise PermanentFailure("the channel has no number in its config")
            form["From"] = self._address(number)
        media = [str(a["url"]) for a in message.attachments if isinstance(a, dict) and a.get("url")]
        if media:
            form["MediaUrl"] = media[:10]
        if self.settings.public_url:
            callback = f"{self.settings.public_url}/hooks/twilio/{channel.id}/status"
            form["StatusCallback"] = callback
        return form

    def _address(self, number: str) -> str:
        bare = _bare(number)
        return WHATSAPP_PREFIX + bare if self.whatsapp else bare


def _bare(number: str) -> str:
    number = number.strip()
    return number[len(WHATSAPP_PREFIX) :] if number.lower().startswith(WHATSAPP_PREFIX) else number


def _is_number(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\+?[\d\s().-]{3,}", _bare(value)) is not None


def recipient(delivery: Delivery, *, whatsapp: bool) -> str:
    """Who to send to: the number the customer last wrote from in this interaction, else the
    contact's WhatsApp identity (for WhatsApp), phone, or phone identity."""
    if delivery.last_inbound is not None:
        data = delivery.last_inbound.meta.get("data") or {}
        sent_from = data.get("from") if isinstance(data, dict) else None
        if _is_number(sent_from):
            return _bare(str(sent_from))
    by_kind: dict[IdentityKind, str] = {}
    for identity in delivery.identities:
        by_kind.setdefault(IdentityKind(identity.kind), identity.value)
    candidates = [
        by_kind.get(IdentityKind.whatsapp) if whatsapp else None,
        delivery.contact.phone if delivery.contact is not None else None,
        by_kind.get(IdentityKind.phone),
    ]
    for candidate in candidates:
        if candidate and _is_number(candidate):
            return candidate
    raise PermanentFailure("the contact has no phone number to send to")


def result_of(response: httpx.Response) -> SendResult:
    """Twilio's answer as a SendResult, or the failure to raise."""
    body = _json(response)
    if response.status_code in (200, 201) and body.get("sid"):
        if body.get("status") == "failed":
            raise PermanentFailure(_reason(response, body))
        return SendResult(provider_message_id=str(body["sid"]), status=DeliveryStatus.sent)
    if response.status_code == 429 or response.status_code >= 500:
        raise TemporaryFailure(
            _reason(response, body), retry_after_s=retry_after(response.headers.get("retry-after"))
        )
    raise PermanentFailure(_reason(response, body))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _reason(response: httpx.Response, body: dict[str, Any]) -> str:
    code = body.get("code") or body.get("error_code")
    message = body.get("message") or body.get("error_message")
    if code or message:
        return f"Twilio error {code}: {message}" if code else f"Twilio: {message}"
    return f"Twilio answered HTTP {response.status_code}"


def retry_after(raw: str | None) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), capped at a day."""
    if not raw:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - clock.now()).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S) or None
