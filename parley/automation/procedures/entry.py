"""A procedure's entry conditions (``when:``), decided from facts the caller gathers."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from parley.automation.procedures.model import ProcedureDefinition


def entry_allows(
    definition: ProcedureDefinition,
    *,
    channel: str | None,
    tags: Collection[str] = (),
    contact_attributes: Mapping[str, Any] | None = None,
    in_business_hours: bool | None = None,
) -> bool:
    """True when every condition the procedure sets holds (an unknown fact fails its condition)."""
    when = definition.when
    if when.channel is not None and channel not in {c.value for c in when.channel}:
        return False
    if when.has_tags is not None and not set(when.has_tags) <= set(tags):
        return False
    if when.contact_attributes is not None:
        attributes = contact_attributes or {}
        for key, wanted in when.contact_attributes.items():
            if attributes.get(key) != wanted:
                return False
    return when.business_hours is None or in_business_hours == when.business_hours
