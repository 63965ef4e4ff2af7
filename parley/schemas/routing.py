"""Agents, presence and the queue board as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from parley.models.enums import Presence, Role
from parley.schemas.common import JsonObject, Write


class AgentRead(BaseModel):
    user_id: uuid.UUID
    name: str
    role: Role
    presence: Presence
    presence_changed_at: datetime | None
    last_seen_at: datetime | None
    last_assigned_at: datetime | None
    capacity: dict[str, int]
    skills: dict[str, int]
    # Open work by communication type (assigned and wrap-up), and its total.
    load: dict[str, int]
    open: int
    queue_ids: list[uuid.UUID]


class PresenceIn(Write):
    presence: Presence


class AgentUpdate(Write):
    capacity: JsonObject | None = None
    skills: JsonObject | None = None


class AgingBucket(BaseModel):
    label: str
    up_to_s: int | None
    count: int


class QueueMetrics(BaseModel):
    queue_id: uuid.UUID
    name: str
    routing_strategy: str
    waiting: int
    longest_wait_s: float | None
    aging: list[AgingBucket]
    assigned: int
    wrap_up: int
    agents_available: int
    agents_total: int
    # Over the window (``since``): answered within the first-response target, and averages.
    since: datetime
    offered: int
    answered: int
    answered_within_target: int
    service_level: float | None
    target_s: int
    average_first_response_s: float | None
    average_handle_time_s: float | None
    abandoned: int
    breached: int


class Board(BaseModel):
    generated_at: datetime
    queues: list[QueueMetrics]
    agents: list[AgentRead]
    extra: dict[str, Any] = Field(default_factory=dict)
