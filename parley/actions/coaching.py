"""Coaching: the only writers of scorecards and reviews.

Supervisors (and admins) define scorecards and review completed interactions they may see;
the reviewed agent reads the coaching note and acknowledges it. A review records a ``reviewed``
activity on the interaction (without the score or note, which stay between the agent and their
supervisors) and a ``review.created`` event addressed to the agent and the reviewer only.
The edge owns the transaction: nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_interaction, access_scorecard
from parley.actions.activity import record_activity
from parley.actors import Actor
from parley.errors import Conflict, Forbidden, InvalidInput
from parley.events import Audience, record_event
from parley.models import Review, Scorecard
from parley.models.enums import Role, State
from parley.schemas.coaching import MAX_SCORE, ReviewRead

EDITABLE = frozenset({"name", "description", "criteria", "is_active"})


def check_can_coach(actor: Actor, what: str = "coaching") -> None:
    actor.require(Role.supervisor, what)


def normalised_criteria(criteria: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Unique keys and positive weights, rescaled to sum to 1 (6 places)."""
    if not criteria:
        raise InvalidInput("a scorecard needs at least one criterion", fields={"criteria": "empty"})
    seen: set[str] = set()
    for n, c in enumerate(criteria):
        key = str(c.get("key") or "")
        if key in seen:
            raise InvalidInput(
                f"criterion key {key!r} is used twice", fields={f"criteria.{n}.key": "duplicate"}
            )
        seen.add(key)
        weight = c.get("weight")
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
            raise InvalidInput(
                "criterion weights must be positive numbers",
                fields={f"criteria.{n}.weight": "must be greater than 0"},
            )
    total = sum(float(c["weight"]) for c in criteria)
    return [
        {
            "key": str(c["key"]),
            "label": str(c.get("label") or c["key"]),
            "weight": round(float(c["weight"]) / total, 6),
            "description": str(c.get("description") or ""),
        }
        for c in criteria
    ]


def weighted_total(criteria: Sequence[Mapping[str, Any]], scores: Mapping[str, int]) -> float:
    """The weighted percentage (0-100, one decimal) of the scores against the criteria."""
    weights = {str(c["key"]): float(c["weight"]) for c in criteria}
    total_weight = sum(weights.values()) or 1.0
    points = sum(w * scores[k] / MAX_SCORE for k, w in weights.items())
    return round(100 * points / total_weight, 1)


def check_scores(criteria: Sequence[Mapping[str, Any]], scores: Mapping[str, Any]) -> None:
    """Every criterion scored 0-5, and nothing else."""
    keys = [str(c["key"]) for c in criteria]
    problems: dict[str, str] = {}
    for key in scores:
        if key not in keys:
            problems[f"scores.{key}"] = "not a criterion of this scorecard"
    for key in keys:
        value = scores.get(key)
        if value is None:
            problems[f"scores.{key}"] = "required"
        elif not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SCORE:
            problems[f"scores.{key}"] = f"a whole number from 0 to {MAX_SCORE}"
    if problems:
        raise InvalidInput("the scores do not match the scorecard's criteria", fields=problems)


async def _name_taken(
    session: AsyncSession, org: uuid.UUID, name: str, but: uuid.UUID | None
) -> bool:
    stmt = select(Scorecard.id).where(Scorecard.organization_id == org, Scorecard.name == name)
    found = (await session.execute(stmt)).scalar_one_or_none()
    return found is not None and found != but


async def do_create_scorecard(
    session: AsyncSession,
    *,
    actor: Actor,
    name: str,
    criteria: Sequence[Mapping[str, Any]],
    description: str = "",
    is_active: bool = True,
) -> Scorecard:
    check_can_coach(actor, "creating a scorecard")
    if await _name_taken(session, actor.organization_id, name, None):
        raise Conflict("a scorecard with this name exists", fields={"name": "taken"})
    now = clock.now()
    card = Scorecard(
        organization_id=actor.organization_id,
        name=name,
        description=description,
        criteria=normalised_criteria(criteria),
        is_active=is_active,
        created_at=now,
        updated_at=now,
    )
    session.add(card)
    await session.flush()
    return card


async def do_update_scorecard(
    session: AsyncSession, *, actor: Actor, scorecard: Scorecard, changes: Mapping[str, Any]
) -> Scorecard:
    """Past reviews keep the criteria they were scored with; only new reviews see the change."""
    check_can_coach(actor, "changing a scorecard")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput("these fields cannot be changed", fields=dict.fromkeys(unknown, "no"))
    if changes.get("name") is not None and await _name_taken(
        session, actor.organization_id, changes["name"], scorecard.id
    ):
        raise Conflict("a scorecard with this name exists", fields={"name": "taken"})
    for field, value in changes.items():
        if value is None:
            continue
        if field == "criteria":
            value = normalised_criteria(value)
        setattr(scorecard, field, value)
    scorecard.updated_at = clock.now()
    await session.flush()
    return scorecard


async def do_delete_scorecard(session: AsyncSession, *, actor: Actor, scorecard: Scorecard) -> None:
    """Only an unused scorecard is deleted; one with reviews is deactivated instead."""
    check_can_coach(actor, "deleting a scorecard")
    used = (
        await session.execute(
            select(func.count()).select_from(Review).where(Review.scorecard_id == scorecard.id)
        )
    ).scalar_one()
    if used:
        raise Conflict(
            f"{used} review(s) use this scorecard: deactivate it instead (is_active: false)"
        )
    await session.delete(scorecard)
    await session.flush()


def _review_event(session: AsyncSession, review: Review, type: str) -> None:
    users = tuple(dict.fromkeys(u for u in (review.agent_id, review.reviewer_id) if u))
    record_event(
        session,
        organization_id=review.organization_id,
        type=type,
        audience=Audience(
            organization_id=review.organization_id,
            interaction_id=review.interaction_id,
            user_ids=users,
            internal=True,
        ),
        data={"review": ReviewRead.model_validate(review).model_dump(mode="json")},
    )


async def do_create_review(
    session: AsyncSession,
    *,
    actor: Actor,
    interaction_id: uuid.UUID,
    scorecard_id: uuid.UUID,
    scores: Mapping[str, Any],
    note: str = "",
) -> Review:
    """Score a completed interaction the reviewer may see, for the agent who handled it."""
    check_can_coach(actor, "reviewing an interaction")
    org = actor.organization_id
    interaction = await access_interaction(
        session, organization_id=org, interaction_id=interaction_id, viewer=actor
    )
    scorecard = await access_scorecard(session, organization_id=org, scorecard_id=scorecard_id)
    if interaction.state != State.completed:
        raise Conflict(
            "only completed interactions are reviewed", fields={"interaction_id": "not completed"}
        )
    agent_id = interaction.assignee_id or interaction.completed_by_id
    if agent_id is None:
        raise InvalidInput(
            "no agent handled this interaction, so there is nobody to coach",
            fields={"interaction_id": "no agent"},
        )
    if not scorecard.is_active:
        raise InvalidInput("this scorecard is inactive", fields={"scorecard_id": "inactive"})
    criteria = list(scorecard.criteria)
    check_scores(criteria, scores)
    clean = {str(c["key"]): int(scores[str(c["key"])]) for c in criteria}
    review = Review(
        organization_id=org,
        interaction_id=interaction.id,
        scorecard_id=scorecard.id,
        scorecard_name=scorecard.name,
        reviewer_id=actor.user_id,
        reviewer_name=actor.name,
        agent_id=agent_id,
        criteria=criteria,
        scores=clean,
        total=weighted_total(criteria, clean),
        note=note,
        created_at=clock.now(),
    )
    session.add(review)
    await session.flush()
    record_activity(
        session,
        interaction,
        "reviewed",
        actor,
        review_id=review.id,
        scorecard=scorecard.name,
    )
    _review_event(session, review, "review.created")
    return review


async def do_acknowledge_review(session: AsyncSession, *, actor: Actor, review: Review) -> Review:
    """The coached agent says they have read the note. Acknowledging twice changes nothing."""
    if actor.user_id is None or actor.user_id != review.agent_id:
        raise Forbidden("only the coached agent acknowledges a coaching note")
    if review.acknowledged_at is None:
        review.acknowledged_at = clock.now()
        await session.flush()
        _review_event(session, review, "review.acknowledged")
    return review
