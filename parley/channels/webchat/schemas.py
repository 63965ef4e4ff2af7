"""The widget API's bodies and answers (one family per resource, apart from the tables)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from parley.actions.messages import MAX_TEXT
from parley.models.enums import DeliveryStatus, MessageRole
from parley.schemas.common import Write


class ChatStart(Write):
    """The page the visitor is on. Name and email are the visitor's own words: never verified,
    so they are shown to agents but never used to find an existing contact."""

    url: str | None = Field(default=None, max_length=2000)
    title: str | None = Field(default=None, max_length=500)
    referrer: str | None = Field(default=None, max_length=2000)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)


class ChatStarted(BaseModel):
    chat_id: uuid.UUID
    visitor_token: str
    websocket_path: str


class VisitorMessageCreate(Write):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    # The widget's own id for the message: a retry with the same id is stored once.
    client_message_id: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$"
    )


class VisitorAttachment(BaseModel):
    file_id: uuid.UUID
    name: str
    content_type: str
    size: int
    # A signed URL on this server, valid for an hour; the transcript gives fresh ones.
    url: str


class VisitorMessage(BaseModel):
    id: uuid.UUID
    seq: int
    role: MessageRole
    author_name: str
    text: str
    created_at: datetime
    delivery_status: DeliveryStatus | None
    client_message_id: str | None
    attachments: list[VisitorAttachment] = []


class WidgetConfig(BaseModel):
    """What the widget shows before any chat: the channel's own words and limits."""

    title: str
    greeting: str
    color: str | None
    position: str
    max_upload_bytes: int


class SurveyCreate(Write):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class Recorded(BaseModel):
    recorded: bool = True
    duplicate: bool = False
