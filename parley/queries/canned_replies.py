"""Reading the organization's canned replies (``settings["canned_replies"]``).

The list is stored in the organization's settings as ``[{"title", "text"}, ...]`` in display
order; ``parley/actions/canned_replies.py`` is the only writer. Reading is lenient (rows written
by hand into the database before the editor existed may lack a title), so the composer and the
editor never fail on old data.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import Organization

SETTING = "canned_replies"
# Who changed the list last and when: {"by": {"type", "id", "name"}, "at": ISO time}.
CHANGED = "canned_replies_changed"
MAX_REPLIES = 200
TITLE_MAX = 80
TEXT_MAX = 4000


def read_replies(settings: dict[str, Any]) -> list[dict[str, str]]:
    """The stored list, each entry with a title (its text's start when it has none)."""
    found = settings.get(SETTING) or []
    if not isinstance(found, list):
        return []
    return [
        {"title": str(c.get("title") or c.get("text", ""))[:TITLE_MAX], "text": str(c["text"])}
        for c in found
        if isinstance(c, dict) and c.get("text")
    ][:MAX_REPLIES]


async def canned_replies(session: AsyncSession, organization_id: uuid.UUID) -> list[dict[str, str]]:
    org = await session.get(Organization, organization_id)
    return read_replies(org.settings if org else {})


async def last_change(
    session: AsyncSession, organization_id: uuid.UUID
) -> tuple[str | None, datetime | None]:
    """(who, when) the list was last saved from the editor or the API; (None, None) if never."""
    org = await session.get(Organization, organization_id)
    changed = (org.settings if org else {}).get(CHANGED)
    if not isinstance(changed, dict):
        return None, None
    try:
        at = datetime.fromisoformat(str(changed.get("at")))
    except ValueError:
        at = None
    by = changed.get("by")
    name = by.get("name") if isinstance(by, dict) else None
    return (str(name) if name else None), at
