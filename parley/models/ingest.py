"""Tables of the ingest path: thread keys, flows and their runs, durable jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin


class ThreadKey(IdMixin, CreatedMixin, Base):
    """A key under which later messages find their interaction: an email Message-ID, a chat
    session id, a call sid, a review id. Unique per channel, so one thread is one interaction."""

    __tablename__ = "thread_keys"
    __table_args__ = (UniqueConstraint("channel_id", "key"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"))
    key: Mapped[str] = mapped_column(String(500))
    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interactions.id"), index=True)


class Flow(IdMixin, CreatedMixin, Base):
    """One version of a flow. Saving a change adds a version; the newest active one runs."""

    __tablename__ = "flows"
    __table_args__ = (
        UniqueConstraint("organization_id", "name", "version"),
        Index("ix_flows_org_event", "organization_id", "event_type", "is_active"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int]
    event_type: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(default=100)
    is_active: Mapped[bool] = mapped_column(default=True)
    # The validated definition, as JSON (see parley.flows.model.FlowDefinition).
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class FlowRun(IdMixin, CreatedMixin, Base):
    """The decision trace of one inbound event: which flows ran, what matched, what was done."""

    __tablename__ = "flow_runs"
    __table_args__ = (Index("ix_flow_runs_interaction", "interaction_id", "created_at"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interactions.id"))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("channels.id"))
    event_type: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[uuid.UUID | None]
    trace: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Job(IdMixin, CreatedMixin, Base):
    """Durable background work (outbound delivery, webhooks, timers). The database is the queue's
    source of truth; Redis, when configured, only wakes workers up sooner."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "ix_jobs_due",
            "run_at",
            postgresql_where=text("finished_at IS NULL"),
            sqlite_where=text("finished_at IS NULL"),
        ),
        UniqueConstraint("dedupe_key"),
    )

    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    run_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    locked_until: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Enqueuing the same logical job twice (a retried webhook, say) is a no-op.
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
