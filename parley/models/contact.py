"""Customers and the identities they reach us by."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin, utcnow
from parley.models.enums import IdentityKind


class Contact(IdMixin, CreatedMixin, Base):
    __tablename__ = "contacts"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Set when this contact was merged into another; merged contacts are kept for the audit trail.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContactIdentity(IdMixin, CreatedMixin, Base):
    """One way to reach a contact (an email address, a phone number, a chat visitor id...).

    Unique per organization: the same phone number is one person to one business.
    """

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("organization_id", "kind", "value"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), index=True)
    kind: Mapped[IdentityKind]
    value: Mapped[str] = mapped_column(String(320))
