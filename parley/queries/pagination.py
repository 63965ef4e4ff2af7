"""Keyset pagination: a page is everything strictly after the last row seen, newest first.

The cursor is opaque to clients (base64 of the last row's sort key), stays correct while rows are
being added, and costs an index range scan however deep the page is.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_

from parley.errors import InvalidInput


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            stamp, ident = json.loads(raw)
            return cls(utc_datetime(datetime.fromisoformat(stamp), "cursor"), uuid.UUID(ident))
        except InvalidInput:
            raise InvalidInput("the cursor is not valid", fields={"cursor": "invalid"}) from None
        except (binascii.Error, ValueError, TypeError, json.JSONDecodeError):
            raise InvalidInput("the cursor is not valid", fields={"cursor": "invalid"}) from None


def utc_datetime(value: datetime, field: str) -> datetime:
    """A time from outside, in UTC: it must name its time zone and lie in years 1-9999 in UTC."""
    if value.tzinfo is None:
        raise InvalidInput("give a time zone (e.g. Z)", fields={field: "needs a time zone"})
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("that time is out of range", fields={field: "out of range"}) from None


def after(cursor: Cursor | None, created_col: Any, id_col: Any) -> Any:
    """The WHERE clause for rows after ``cursor`` in (created_at DESC, id DESC) order."""
    if cursor is None:
        return and_(True)
    return or_(
        created_col < cursor.created_at,
        and_(created_col == cursor.created_at, id_col < cursor.id),
    )


def like_pattern(text: str) -> str:
    """A LIKE pattern that matches ``text`` literally anywhere (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
