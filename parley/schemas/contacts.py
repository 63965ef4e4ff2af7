"""Contacts, queues and people as the API shows them, and what it accepts to change them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from parley.models.enums import IdentityKind, Presence, Role, RoutingStrategy
from parley.schemas.common import JsonObject, Read, Write

Name = Field(default=None, max_length=200)


class ContactRead(Read):
    id: uuid.UUID
    name: str | None
    email: str | None
    phone: str | None
    attributes: dict[str, Any]
    merged_into_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class IdentityIn(Write):
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)


class ContactCreate(Write):
    name: str | None = Name
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^\+?[\d\s().-]{3,}$")
    attributes: JsonObject = Field(default_factory=dict, max_length=100)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)


class ContactUpdate(Write):
    name: str | None = Name
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^\+?[\d\s().-]{3,}$")
    attributes: JsonObject | None = Field(default=None, max_length=100)


class ContactMerge(Write):
    source_id: uuid.UUID


class QueueRead(Read):
    id: uuid.UUID
    name: str
    description: str
    routing_strategy: RoutingStrategy
    required_skills: dict[str, Any]
    sla_policy: dict[str, Any]
    business_hours: dict[str, Any]
    overflow: dict[str, Any]
    wrap_up_timeout_s: int
    accept_tags: str
    position: int
    member_ids: list[uuid.UUID] = Field(default_factory=list)
    created_at: datetime


class QueueCreate(Write):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1000)
    routing_strategy: RoutingStrategy = RoutingStrategy.manual
    # Validated by the queue actions (parley/routing/policy.py, parley/sla/).
    sla_policy: JsonObject = Field(default_factory=dict)
    business_hours: JsonObject = Field(default_factory=dict)
    required_skills: JsonObject = Field(default_factory=dict)
    overflow: JsonObject = Field(default_factory=dict)
    accept_tags: str = Field(default="", max_length=500)
    position: int = Field(default=100, ge=0, le=10_000)
    wrap_up_timeout_s: int = Field(default=120, ge=0, le=86_400)
    member_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)


class QueueUpdate(Write):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=1000)
    routing_strategy: RoutingStrategy | None = None
    sla_policy: JsonObject | None = None
    business_hours: JsonObject | None = None
    required_skills: JsonObject | None = None
    overflow: JsonObject | None = None
    accept_tags: str | None = Field(default=None, max_length=500)
    position: int | None = Field(default=None, ge=0, le=10_000)
    wrap_up_timeout_s: int | None = Field(default=None, ge=0, le=86_400)
    member_ids: list[uuid.UUID] | None = Field(default=None, max_length=1000)


class UserRead(Read):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    presence: Presence
    capacity: dict[str, Any]
    skills: dict[str, Any]
