"""Trustpilot's wire formats: the service-review webhook body in, the public reply out.

Webhook body (Trustpilot Business > Integrations > Developers > Webhooks)::

    {"events": [{"eventName": "service-review-created", "version": "1",
                 "eventData": {"id", "title", "text", "stars", "createdAt", "language",
                               "referenceId", "isVerified", "locationId", "link", "tags",
                               "consumer": {"id", "name", "link"}}}]}

``service-review-updated`` and ``service-review-deleted`` carry the same ``eventData``. Trustpilot
leaves the consumer's email out for privacy; ``referenceId`` is the order reference the business
gave when inviting the review, the usual way to find the customer.

Reply: ``POST {api}/v1/private/reviews/{reviewId}/reply`` with ``{"message",
"authorBusinessUserId"}`` and an OAuth bearer token; 201 on success. A review has one public
reply: replying again replaces it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from parley import clock
from parley.channels.base import Delivery, PermanentFailure, SendResult, TemporaryFailure
from parley.channels.generic import BadRequest
from parley.ingest.event import Happening, InboundEvent, Sender, ThreadHints
from parley.models import Channel
from parley.models.enums import DeliveryStatus, IdentityKind

DEFAULT_API = "https://api.trustpilot.com"
CREATED = "service-review-created"
UPDATED = "service-review-updated"
DELETED = "service-review-deleted"


def review_key(review_id: str) -> str:
    return f"review:{review_id}"


def events_of(channel: Channel, payload: dict[str, Any]) -> list[InboundEvent]:
    """One InboundEvent per review event Parley understands; other event names are skipped."""
    events = payload.get("events")
    if not isinstance(events, list):
        raise BadRequest("expected {'events': [...]}")
    found: list[InboundEvent] = []
    for entry in events[:100]:
        if not isinstance(entry, dict) or entry.get("eventName") not in (CREATED, UPDATED, DELETED):
            continue
        review = entry.get("eventData")
        if not isinstance(review, dict) or not isinstance(review.get("id"), str | int):
            raise BadRequest("a review event without eventData.id")
        found.append(_event(channel, str(entry["eventName"]), review))
    return found


def _str(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _event(channel: Channel, name: str, review: dict[str, Any]) -> InboundEvent:
    review_id = str(review["id"])[:100]
    stars = review.get("stars") if isinstance(review.get("stars"), int) else None
    title, text = _str(review.get("title"), 500), _str(review.get("text"), 19_000)
    raw_consumer = review.get("consumer")
    consumer: dict[str, Any] = raw_consumer if isinstance(raw_consumer, dict) else {}
    consumer_id = _str(consumer.get("id"), 100)
    identities = ((IdentityKind.external, f"trustpilot:{consumer_id}"),) if consumer_id else ()
    data = {
        "review_id": review_id,
        "stars": stars,
        "title": title,
        "language": _str(review.get("language"), 20) or None,
        "reference_id": _str(review.get("referenceId"), 200) or None,
        "is_verified": review.get("isVerified") is True,
        "location_id": _str(review.get("locationId"), 100) or None,
        "link": _str(review.get("link"), 500) or None,
        "tags": [t for t in review.get("tags") or [] if isinstance(t, dict)][:20],
        "consumer": {"id": consumer_id, "name": _str(consumer.get("name"), 200)},
        "event": name,
    }
    body = "\n\n".join(part for part in (title, text) if part)
    if name == CREATED:
        happening, provider_id = Happening.review, review_id
        thread = ThreadHints(own_keys=(review_key(review_id),))
        said = f"{stars}★ review: {body}" if stars is not None else body
    else:
        happening = Happening.review_edit
        thread = ThreadHints(refers_to=(review_key(review_id),))
        if name == DELETED:
            provider_id, said = f"{review_id}:deleted", "The reviewer deleted this review."
            data["deleted"] = True
        else:
            # Each distinct edit is one message; Trustpilot's retries of it dedupe.
            digest = hashlib.sha256(json.dumps(review, sort_keys=True).encode()).hexdigest()
            provider_id = f"{review_id}:edit:{digest[:24]}"
            said = f"Edited to {stars}★: {body}" if stars is not None else f"Edited: {body}"
    return InboundEvent(
        organization_id=channel.organization_id,
        channel_id=channel.id,
        channel_kind=channel.kind,
        happening=happening,
        sender=Sender(identities=identities, name=_str(consumer.get("name"), 200) or None),
        provider_message_id=provider_id,
        text=said or "(empty review)",
        subject=(f"{stars}★ {title}" if stars is not None else title)[:500] or None,
        thread=thread,
        occurred_at=_when(review.get("createdAt")) if name == CREATED else None,
        data=data,
    )


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class TrustpilotReplies:
    """Posts an agent's reply publicly under the review (``channel.config["api_url"]``)."""

    async def send(self, delivery: Delivery) -> SendResult:
        channel = delivery.channel
        review_id = _review_id(delivery)
        token = channel.secrets.get("access_token")
        if not isinstance(token, str) or not token:
            raise PermanentFailure("set the Trustpilot access_token secret on the review channel")
        api = str(channel.config.get("api_url") or DEFAULT_API).rstrip("/")
        if not api.startswith(("https://", "http://")):
            raise PermanentFailure("the review channel's api_url must be an http(s) URL")
        body = {
            "message": delivery.message.text,
            "authorBusinessUserId": str(channel.config.get("business_user_id") or ""),
        }
        url = f"{api}/v1/private/reviews/{quote(review_id, safe='')}/reply"
        try:
            async with httpx.AsyncClient(timeout=20, follow_redirects=False) as client:
                response = await client.post(
                    url, json=body, headers={"Authorization": f"Bearer {token}"}
                )
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"could not reach Trustpilot: {exc}") from exc
        if response.status_code in (200, 201, 204):
            # No provider id: a review has one public reply, and a repeat replaces it.
            return SendResult(None, DeliveryStatus.sent)
        reason = f"Trustpilot answered {response.status_code}: {response.text[:200]}"
        if response.status_code == 429 or response.status_code >= 500:
            raise TemporaryFailure(reason, retry_after_s=_retry_after(response))
        raise PermanentFailure(reason)


def _review_id(delivery: Delivery) -> str:
    inbound = delivery.last_inbound
    data = inbound.meta.get("data") if inbound is not None else None
    review_id = data.get("review_id") if isinstance(data, dict) else None
    if isinstance(review_id, str) and review_id:
        return review_id
    raise PermanentFailure("this interaction has no Trustpilot review to reply to")


def _retry_after(response: httpx.Response) -> float | None:
    raw = (response.headers.get("retry-after") or "").strip()
    if raw.isdigit():
        return float(raw)
    try:
        return max(0.0, (parsedate_to_datetime(raw) - clock.now()).total_seconds())
    except (TypeError, ValueError, IndexError):
        return None
