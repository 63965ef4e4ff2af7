"""Tenants, people and credentials."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin
from parley.models.enums import Presence, Role


class Organization(IdMixin, CreatedMixin, Base):
    __tablename__ = "organizations"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Source of the per-organization, human-friendly interaction numbers (#1, #2, ...).
    interaction_counter: Mapped[int] = mapped_column(default=0)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]


class Membership(IdMixin, CreatedMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role]


class AgentProfile(IdMixin, CreatedMixin, Base):
    __tablename__ = "agent_profiles"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    presence: Mapped[Presence] = mapped_column(default=Presence.offline)
    presence_changed_at: Mapped[datetime | None]
    # Concurrent interactions per communication type, e.g. {"chat": 3, "email": 5, "voice": 1}.
    capacity: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Skill name -> level (1-10).
    skills: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Refreshed by the agent's open console connections; a stale one means "gone" (auto-away).
    last_seen_at: Mapped[datetime | None]
    # When routing last gave this agent work: longest-idle and round-robin order by it.
    last_assigned_at: Mapped[datetime | None]


class ApiKey(IdMixin, CreatedMixin, Base):
    """A credential for integrations; only a SHA-256 of the secret part is stored."""

    __tablename__ = "api_keys"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(default=Role.admin)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(IdMixin, CreatedMixin, Base):
    """A browser sign-in. The cookie carries a random token; only its hash is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))


class LoginAttempt(IdMixin, CreatedMixin, Base):
    """Failed sign-ins, counted per IP and per account to throttle guessing."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_created", "key", "created_at"),)

    key: Mapped[str] = mapped_column(String(400))
