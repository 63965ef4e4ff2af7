"""Send later: replies scheduled on an interaction, as the API shows and takes them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, Field

from parley.models.enums import ScheduledStatus
from parley.schemas.common import Read, Write


class ScheduledCreate(Write):
    text: str = Field(min_length=1, max_length=20_000)
    # With a time zone (ISO 8601, e.g. 2026-11-23T09:00:00+01:00): "9 o'clock" means nothing alone.
    send_at: AwareDatetime
    cancel_on_reply: bool = True


class ScheduledUpdate(Write):
    text: str | None = Field(default=None, min_length=1, max_length=20_000)
    send_at: AwareDatetime | None = None
    cancel_on_reply: bool | None = None


class ScheduledRead(Read):
    id: uuid.UUID
    interaction_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str
    text: str
    send_at: datetime
    cancel_on_reply: bool
    status: ScheduledStatus
    reason: str
    message_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
