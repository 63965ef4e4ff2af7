"""Flows, their decision traces, and channels, as the API shows and accepts them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from parley.models.enums import ChannelKind
from parley.schemas.common import JsonObject, Read, Write


class FlowRead(Read):
    id: uuid.UUID
    name: str
    version: int
    event_type: str
    priority: int
    is_active: bool
    definition: dict[str, Any]
    source: str
    created_at: datetime


class FlowSave(Write):
    """A flow as YAML or JSON text (``source``) or as an object (``definition``)."""

    source: str | None = Field(default=None, max_length=100_000)
    definition: dict[str, Any] | None = None
    active: bool = True

    @model_validator(mode="after")
    def _one(self) -> FlowSave:
        if (self.source is None) == (self.definition is None):
            raise ValueError("give either source (YAML or JSON text) or definition")
        return self


class FlowRunRead(Read):
    id: uuid.UUID
    interaction_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    event_type: str
    message_id: uuid.UUID | None
    trace: dict[str, Any]
    created_at: datetime


class ChannelRead(Read):
    id: uuid.UUID
    kind: ChannelKind
    name: str
    is_active: bool
    config: dict[str, Any]
    default_queue_id: uuid.UUID | None
    created_at: datetime
    # Which secrets are set; their values are never shown after creation.
    secret_names: list[str] = Field(default_factory=list)


class ChannelCreated(ChannelRead):
    webhook_secret: str


class ChannelCreate(Write):
    kind: ChannelKind
    name: str = Field(min_length=1, max_length=200)
    config: JsonObject = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict, max_length=20)
    default_queue_id: uuid.UUID | None = None


class ChannelUpdate(Write):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    is_active: bool | None = None
    config: JsonObject | None = None
    secrets: dict[str, str] | None = Field(default=None, max_length=20)
    default_queue_id: uuid.UUID | None = None
