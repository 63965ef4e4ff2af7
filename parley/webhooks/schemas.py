"""Webhook subscriptions and their delivery log, as the API shows and accepts them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from parley.schemas.common import Read, Write

EventType = Annotated[str, Field(min_length=1, max_length=64)]


class WebhookRead(Read):
    """A subscription; never its secret."""

    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str
    is_active: bool
    disabled_reason: str | None
    created_at: datetime


class WebhookCreated(WebhookRead):
    # Shown this once: receivers need it to verify signatures.
    secret: str


class WebhookCreate(Write):
    url: str = Field(min_length=1, max_length=2000)
    event_types: list[EventType] = Field(default_factory=list, max_length=50)
    description: str = Field(default="", max_length=500)


class WebhookUpdate(Write):
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: list[EventType] | None = Field(default=None, max_length=50)
    is_active: bool | None = None
    description: str | None = Field(default=None, max_length=500)


class SecretRead(BaseModel):
    secret: str


class DeliveryRead(Read):
    """One attempt in the delivery log."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    attempt: int
    status_code: int | None
    response_body: str | None
    error: str | None
    duration_ms: int | None
    succeeded: bool
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None


class RedeliveryQueued(BaseModel):
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    status: str = "queued"
