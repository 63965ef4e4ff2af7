"""People, API keys and canned replies as the API shows and accepts them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from parley.models.enums import Role
from parley.queries.canned_replies import MAX_REPLIES, TEXT_MAX, TITLE_MAX
from parley.schemas.common import Read, Write
from parley.schemas.contacts import UserRead


class ApiKeyRead(Read):
    """A key as listed: its prefix identifies it; the secret is never shown after creation."""

    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    created_by_id: uuid.UUID | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    # The whole key (``pk_<prefix>_<secret>``), shown this once: only its hash is stored.
    key: str


class ApiKeyCreate(Write):
    name: str = Field(min_length=1, max_length=200)
    role: Role


class UserCreate(Write):
    email: str = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)
    role: Role
    # Empty or missing: Parley generates one and answers it once.
    password: str | None = Field(default=None, max_length=256)


class UserCreated(UserRead):
    # The generated password, shown this once; None when the admin chose it or the person
    # already had an account.
    password: str | None
    # The email already had an account (another organization): its name and password stay.
    existing_account: bool


class UserUpdate(Write):
    role: Role | None = None


class CannedReply(Write):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class CannedRepliesSave(Write):
    """The whole list, in the order the composer's picker shows it."""

    replies: list[CannedReply] = Field(max_length=MAX_REPLIES)


class CannedReplyRead(BaseModel):
    title: str
    text: str


class CannedRepliesRead(BaseModel):
    replies: list[CannedReplyRead]
    updated_by: str | None = None
    updated_at: datetime | None = None
