"""Canned replies: the organization's ready-made answers, picked in the composer.

Stored in the organization's settings (``parley/queries/canned_replies.py`` describes the shape).
Supervisors and admins replace the whole list at once; the list order is the picker's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actors import Actor
from parley.errors import InvalidInput
from parley.events import Audience, record_event
from parley.models import Organization
from parley.models.enums import Role
from parley.queries.canned_replies import CHANGED, MAX_REPLIES, SETTING, TEXT_MAX, TITLE_MAX


def check_canned_replies(replies: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The list as it will be stored (trimmed), or 422 naming each bad field
    (``replies.3.title``) so an editor can show every error next to its row."""
    if len(replies) > MAX_REPLIES:
        raise InvalidInput(
            f"at most {MAX_REPLIES} canned replies", fields={"replies": f"at most {MAX_REPLIES}"}
        )
    cleaned: list[dict[str, str]] = []
    problems: dict[str, str] = {}
    first_with: dict[str, int] = {}
    for n, reply in enumerate(replies):
        title = str(reply.get("title") or "").strip()
        text = str(reply.get("text") or "").strip()
        if not 1 <= len(title) <= TITLE_MAX:
            problems[f"replies.{n}.title"] = f"1 to {TITLE_MAX} characters"
        elif title.casefold() in first_with:
            problems[f"replies.{n}.title"] = (
                f"reply {first_with[title.casefold()] + 1} already has this title"
            )
        else:
            first_with[title.casefold()] = n
        if not 1 <= len(text) <= TEXT_MAX:
            problems[f"replies.{n}.text"] = f"1 to {TEXT_MAX} characters"
        cleaned.append({"title": title, "text": text})
    if problems:
        raise InvalidInput("some canned replies are not valid", fields=problems)
    return cleaned


async def do_set_canned_replies(
    session: AsyncSession, *, actor: Actor, replies: Sequence[Mapping[str, str]]
) -> list[dict[str, str]]:
    """Replace the organization's canned replies; records who did it (in the settings, and as a
    ``canned_replies.updated`` event in the outbox, the organization's event log)."""
    actor.require(Role.supervisor, "editing canned replies")
    cleaned = check_canned_replies(replies)
    # Locked: settings hold other keys (topics, the flow secret) that must not be lost to a
    # concurrent write of the whole JSON object.
    org = (
        await session.execute(
            select(Organization)
            .where(Organization.id == actor.organization_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    by = {"type": actor.type.value, "id": str(actor.id) if actor.id else None, "name": actor.name}
    changed = {"by": by, "at": clock.now().isoformat()}
    # A new dict, so the JSON column is seen as changed.
    org.settings = {**org.settings, SETTING: cleaned, CHANGED: changed}
    await session.flush()
    record_event(
        session,
        organization_id=org.id,
        type="canned_replies.updated",
        audience=Audience(organization_id=org.id, internal=True),
        data={"by": by, "count": len(cleaned)},
    )
    return cleaned
