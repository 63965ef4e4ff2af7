"""The activity feed: who did what to an interaction, and when. Append-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actors import Actor
from parley.models import Activity, Interaction


def record_activity(
    session: AsyncSession,
    interaction: Interaction,
    kind: str,
    actor: Actor,
    **data: Any,
) -> Activity:
    row = Activity(
        organization_id=interaction.organization_id,
        interaction_id=interaction.id,
        kind=kind,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=actor.name,
        data={k: _jsonable(v) for k, v in data.items()},
        created_at=clock.now(),
    )
    session.add(row)
    return row


def _jsonable(value: Any) -> Any:
    """UUIDs, enums and times become strings; JSON values pass through."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
