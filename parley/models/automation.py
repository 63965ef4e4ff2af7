"""Tables of automation: procedures (AOPs), AI agents and the per-organization secret store."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin, utcnow


class Procedure(IdMixin, CreatedMixin, Base):
    """One version of an agent operating procedure. Saving a change adds a version; the newest
    active version of a name is the one that runs."""

    __tablename__ = "procedures"
    __table_args__ = (
        UniqueConstraint("organization_id", "name", "version"),
        Index("ix_procedures_org_active", "organization_id", "is_active"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int]
    description: Mapped[str] = mapped_column(String(1000), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # The validated definition (see parley.automation.procedures.model.ProcedureDefinition).
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class AiAgent(IdMixin, CreatedMixin, Base):
    """A named AI agent of an organization: its voice, what it may do, where it answers."""

    __tablename__ = "ai_agents"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    greeting: Mapped[str] = mapped_column(String(2000), default="")
    tone: Mapped[str] = mapped_column(String(500), default="")
    # Names of procedures (any active version runs) and knowledge collections it may use.
    procedures: Mapped[list[Any]] = mapped_column(default=list)
    knowledge_collections: Mapped[list[Any]] = mapped_column(default=list)
    llm_model: Mapped[str | None] = mapped_column(String(200))
    # Channel kinds it answers on ("webchat", "email", ...); empty means none unless default.
    channel_kinds: Mapped[list[Any]] = mapped_column(default=list)
    is_default: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrganizationSecret(IdMixin, CreatedMixin, Base):
    """A secret a procedure's tool refers to by name (an API token, say). Write-only through the
    API: values are never listed, logged or put in traces."""

    __tablename__ = "organization_secrets"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(120))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
