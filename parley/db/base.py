"""Declarative base and the column types every table shares.

Ids are UUIDv7 (time-ordered, so primary-key indexes stay append-mostly and keyset pagination on
``id`` follows creation order). Timestamps are stored in UTC and always come back timezone-aware,
on SQLite as well as PostgreSQL.
"""

from __future__ import annotations

import enum
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, MetaData, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_last_ms = 0
_counter = 0
_lock = threading.Lock()


def uuid7() -> uuid.UUID:
    """RFC 9562 UUIDv7: 48 bits of Unix milliseconds, a 12-bit counter, then random bits.

    The counter (RFC 9562 section 6.2, method 1) keeps ids made in the same millisecond by this
    process in creation order; it starts at a random point below 2048 so ids stay unguessable.
    """
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms, _counter = ms, int.from_bytes(os.urandom(2), "big") & 0x7FF
        else:
            # Same millisecond (or the clock stepped back): stay on the last one and count up.
            _counter += 1
            if _counter > 0xFFF:
                _last_ms, _counter = _last_ms + 1, 0
            ms = _last_ms
        counter = _counter
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is stored in UTC and loaded timezone-aware on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so strings compare in time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # Enums are stored as plain strings (no database ENUM type, no CHECK): adding a value needs no
    # migration, and the Python enum validates what is written.
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        uuid.UUID: Uuid(),
        enum.Enum: Enum(enum.Enum, native_enum=False, length=32, create_constraint=False),
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7, sort_order=-10)


class CreatedMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
