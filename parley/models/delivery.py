"""Stored attachments, outbound webhooks and their delivery log, API idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin


class StoredFile(IdMixin, CreatedMixin, Base):
    """An attachment's bytes (email parts, provider media copied in). Served only through
    organization-scoped, signed, expiring URLs, never inline on the app origin."""

    __tablename__ = "stored_files"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class WebhookSubscription(IdMixin, CreatedMixin, Base):
    __tablename__ = "webhook_subscriptions"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Standard Webhooks secret ("whsec_" + base64); shown once at creation.
    secret: Mapped[str] = mapped_column(String(200))
    # Event types delivered ("interaction.created", "message.created", ...); empty = all.
    event_types: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(String(500), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set when the receiver answered 410 Gone: delivery stops until someone re-enables it.
    disabled_reason: Mapped[str | None] = mapped_column(String(500))


class WebhookDelivery(IdMixin, CreatedMixin, Base):
    """One attempt to deliver one event to one subscription (the delivery log)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_sub", "subscription_id", "created_at"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    # The outbox event id, stable across retries (the Standard Webhooks webhook-id).
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int]
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
    succeeded: Mapped[bool] = mapped_column(default=False)


class IdempotencyKey(IdMixin, CreatedMixin, Base):
    """Stripe's semantics: same key + same request replays the first response for 24 hours."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("organization_id", "principal", "key"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    # Who sent it (API key or user id): keys are scoped to their sender.
    principal: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    # Null while the first request is still running (a concurrent duplicate gets 409).
    status_code: Mapped[int | None]
    response_body: Mapped[dict[str, Any] | None]
    expires_at: Mapped[datetime]
