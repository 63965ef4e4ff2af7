"""Which events a subscription receives: exact types, whole families (``interaction.*``), or all.

Internal notes are agent-only: ``note.created`` is never part of a family or of "everything"; a
subscription receives it only when it names it. Anything else (channel configuration...) is not
offered at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from parley.errors import InvalidInput

FAMILIES: dict[str, tuple[str, ...]] = {
    "interaction": (
        "created",
        "updated",
        "claimed",
        "assigned",
        "released",
        "transferred",
        "wrapped_up",
        "completed",
        "reopened",
        "cloned",
        "tagged",
        # The analytics insight (sentiment, CSAT, topic, summary, keywords) once computed.
        "insight",
    ),
    "message": ("created", "status"),
    "contact": ("created", "updated", "merged"),
    "queue": ("created", "updated"),
}
PUBLIC = frozenset(f"{family}.{name}" for family, names in FAMILIES.items() for name in names)
OPT_IN = frozenset({"note.created"})
ACCEPTED = PUBLIC | OPT_IN | {f"{family}.*" for family in FAMILIES}


def check_event_types(values: Iterable[str]) -> list[str]:
    """The subscription's list, deduplicated in order; 422 naming any unknown entry."""
    wanted = list(dict.fromkeys(v.strip() for v in values))
    unknown = [v for v in wanted if v not in ACCEPTED]
    if unknown:
        raise InvalidInput(
            f"unknown event types: {', '.join(unknown)}",
            fields={"event_types": f"unknown: {', '.join(unknown)}"},
        )
    return wanted


def matches(subscribed: Iterable[str], event_type: str, *, internal: bool = False) -> bool:
    """Does a subscription to ``subscribed`` (empty: every public event) receive this event?"""
    chosen = set(subscribed)
    if event_type in OPT_IN:
        return event_type in chosen
    if internal or event_type not in PUBLIC:
        return False
    family = event_type.split(".", 1)[0]
    return not chosen or event_type in chosen or f"{family}.*" in chosen
