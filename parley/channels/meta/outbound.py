"""Sending agent and automation messages through Meta's Graph API.

WhatsApp: ``POST {graph}/{phone_number_id}/messages``; Messenger and Instagram:
``POST {graph}/me/messages`` with the page's token. Meta's error codes decide between a permanent
refusal (the message is marked failed with the reason) and a temporary one (the job retries).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from parley.channels.base import Delivery, PermanentFailure, SendResult, TemporaryFailure
from parley.channels.meta.whatsapp import QUOTABLE
from parley.config import Settings
from parley.models import ContactIdentity
from parley.models.enums import ChannelKind, IdentityKind

TIMEOUT = httpx.Timeout(15.0, connect=5.0)

# Throttling: Meta asks to slow down; the same request later succeeds.
RATE_LIMITS = frozenset({4, 17, 32, 613, 80007, 130429, 131048, 131056})
# Meta's own trouble: "temporarily unavailable", "something went wrong", "please retry".
TRANSIENT = frozenset({1, 2, 131000, 131016, 133004, 135000})

# Permanent refusals an agent can act on, in words an agent understands.
EXPLAINED = {
    100: "invalid parameter (check the channel's phone number id and the recipient)",
    190: "the channel's access token is invalid or expired; an admin must renew it",
    200: "the access token lacks permission to send (whatsapp_business_messaging or "
    "pages_messaging)",
    10: "the app lacks permission, or the message is outside the allowed window",
    368: "the sender is temporarily blocked by Meta for policy violations",
    470: "more than 24 hours since the customer last wrote; only a template can start again",
    551: "this person is not available to receive messages right now",
    131026: "the message is undeliverable (the number is not on WhatsApp, or has not accepted "
    "the latest terms)",
    131030: "the recipient is not in the test number's allowed list",
    131031: "the WhatsApp Business account is locked",
    131047: "more than 24 hours since the customer last wrote (re-engagement window expired); "
    "only an approved template can re-open the conversation",
    131051: "message type not supported",
    131052: "media could not be downloaded",
    131053: "media could not be uploaded",
    2018278: "outside the 24-hour messaging window",
    2018108: "this person cannot receive messages from the page",
}

WHATSAPP_MAX = 4096
MESSENGER_MAX = 2000


class WhatsAppCloudSender:
    def __init__(self, settings: Settings, *, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.graph = settings.meta_graph_url.rstrip("/")
        self.timeout = timeout

    async def send(self, delivery: Delivery) -> SendResult:
        channel = delivery.channel
        phone_number_id = str(channel.config.get("phone_number_id") or "")
        if not phone_number_id.isdigit():
            raise PermanentFailure("the WhatsApp channel has no phone_number_id in its config")
        token = _token(delivery)
        text = _text(delivery, WHATSAPP_MAX, "WhatsApp")
        to = _recipient(delivery.identities, IdentityKind.whatsapp).lstrip("+")
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"body": text},
        }
        quoted = _quoted(delivery)
        if quoted:
            body["context"] = {"message_id": quoted}
        url = f"{self.graph}/{phone_number_id}/messages"
        answer = await _post(url, token, body, self.timeout)
        sent = [m for m in answer.get("messages") or [] if isinstance(m, dict) and m.get("id")]
        if not sent:
            raise TemporaryFailure("WhatsApp accepted the request but returned no message id")
        return SendResult(str(sent[0]["id"]))


class MessengerSender:
    """Messenger and Instagram (through a Facebook page): the Send API on the page's token."""

    def __init__(
        self, settings: Settings, kind: ChannelKind, *, timeout: httpx.Timeout = TIMEOUT
    ) -> None:
        self.graph = settings.meta_graph_url.rstrip("/")
        self.kind = kind
        self.timeout = timeout

    async def send(self, delivery: Delivery) -> SendResult:
        instagram = self.kind == ChannelKind.instagram
        identity = IdentityKind.instagram if instagram else IdentityKind.messenger
        label = "Instagram" if instagram else "Messenger"
        token = _token(delivery)
        body = {
            "recipient": {"id": _recipient(delivery.identities, identity)},
            "message": {"text": _text(delivery, MESSENGER_MAX, label)},
            # A reply to the customer inside the 24-hour window.
            "messaging_type": "RESPONSE",
        }
        answer = await _post(f"{self.graph}/me/messages", token, body, self.timeout)
        if not answer.get("message_id"):
            raise TemporaryFailure(f"{label} accepted the request but returned no message id")
        return SendResult(str(answer["message_id"]))


def _token(delivery: Delivery) -> str:
    token = delivery.channel.secrets.get("access_token")
    if not isinstance(token, str) or not token:
        raise PermanentFailure("the channel has no access_token secret")
    return token


def _text(delivery: Delivery, limit: int, label: str) -> str:
    text = delivery.message.text
    if len(text) > limit:
        raise PermanentFailure(
            f"{label} messages are at most {limit} characters; this one has {len(text)}"
        )
    return text


def _recipient(identities: Iterable[ContactIdentity], kind: IdentityKind) -> str:
    """The contact's identity of ``kind``; the newest when several (a changed number)."""
    found = sorted(
        (i for i in identities if i.kind == kind),
        key=lambda i: i.created_at.timestamp() if i.created_at else 0.0,
        reverse=True,
    )
    if not found:
        raise PermanentFailure(f"the contact has no {kind.value} identity to send to")
    return found[0].value


def _quoted(delivery: Delivery) -> str | None:
    """The customer's last message, quoted so the reply threads under it (when enabled)."""
    last = delivery.last_inbound
    if last is None or not last.provider_message_id or last.channel_id != delivery.channel.id:
        return None
    if delivery.channel.config.get("reply_context") is False:
        return None
    kind = (last.meta or {}).get("data", {}).get("whatsapp_type")
    return last.provider_message_id if kind in QUOTABLE else None


async def _post(
    url: str, token: str, body: dict[str, Any], limits: httpx.Timeout
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(timeout=limits) as client:
            response = await client.post(url, json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise TemporaryFailure(f"Meta did not answer in time ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TemporaryFailure(f"could not reach Meta: {exc}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.is_success:
        if not isinstance(answer, dict):
            raise TemporaryFailure(f"Meta answered {response.status_code} without JSON")
        return answer
    raise refusal(response.status_code, answer, response.headers.get("retry-after"))


def refusal(
    status: int, answer: Any, retry_after: str | None = None
) -> TemporaryFailure | PermanentFailure:
    """Meta's error answer as a temporary or permanent failure, with a readable reason."""
    error = answer.get("error") if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    message = str(error.get("message") or f"HTTP {status}")[:300]
    details = error.get("error_data")
    if isinstance(details, dict) and details.get("details"):
        message += f" ({str(details['details'])[:200]})"
    trace = f" [fbtrace_id {error['fbtrace_id']}]" if error.get("fbtrace_id") else ""
    where = f"Meta error {code}" if code else f"HTTP {status}"
    where += f"/{subcode}" if code and subcode else ""
    wait = _seconds(retry_after)
    if code in RATE_LIMITS or status == 429:
        return TemporaryFailure(f"{where}: rate limited: {message}{trace}", retry_after_s=wait)
    if code in TRANSIENT or status >= 500 or error.get("is_transient") is True:
        return TemporaryFailure(f"{where}: {message}{trace}", retry_after_s=wait)
    if status in (408, 409):
        return TemporaryFailure(f"{where}: {message}{trace}", retry_after_s=wait)
    explained = EXPLAINED.get(subcode or 0) or EXPLAINED.get(code or 0)
    reason = f"{where}: {explained}. Meta said: {message}" if explained else f"{where}: {message}"
    return PermanentFailure(reason + trace)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
