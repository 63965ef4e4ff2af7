"""An organization's configured endpoint of one kind (an email address, an SMS number...)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin
from parley.models.enums import ChannelKind


class Channel(IdMixin, CreatedMixin, Base):
    __tablename__ = "channels"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[ChannelKind]
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Public, provider-facing settings (addresses, numbers, page ids).
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Credentials (signing secrets, tokens); never returned by the API.
    secrets: Mapped[dict[str, Any]] = mapped_column(default=dict)
    default_queue_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("queues.id"))
    find_or_create: Mapped[dict[str, Any]] = mapped_column(default=dict)
