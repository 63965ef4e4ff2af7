"""Queues of work and who works them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin
from parley.models.enums import RoutingStrategy


class Queue(IdMixin, CreatedMixin, Base):
    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(1000), default="")
    routing_strategy: Mapped[RoutingStrategy] = mapped_column(default=RoutingStrategy.manual)
    required_skills: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # {"first_response_s": 300, "next_response_s": 900, "resolution_s": 86400, ...}
    sla_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    business_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    overflow: Mapped[dict[str, Any]] = mapped_column(default=dict)
    wrap_up_timeout_s: Mapped[int] = mapped_column(default=120)
    # Tag routing: a boolean expression over tags ("billing and not vip"); "" accepts nothing.
    accept_tags: Mapped[str] = mapped_column(String(500), default="")
    # Queues are tried in this order when a flow routes by tags (lowest first).
    position: Mapped[int] = mapped_column(default=100)
    # Round robin's cursor: the member who got the last interaction.
    last_routed_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class QueueMember(IdMixin, CreatedMixin, Base):
    __tablename__ = "queue_members"
    __table_args__ = (UniqueConstraint("queue_id", "user_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
