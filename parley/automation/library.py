"""The procedures an organization's automation may run, and the matcher fitted on them.

Fitting the matcher costs tens of milliseconds per procedure (the contextual stage runs MiniLM on
every trigger example it has not seen before), so fitted libraries are cached by the exact set of
(name, version) pairs they were built from: saving a new version changes the key, and the next
message fits afresh, in a worker thread so the event loop keeps serving. Nothing stale can run,
and nothing is refitted per message.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from parley.automation.matching import Match, Matcher, default_matcher
from parley.automation.procedures.model import ProcedureDefinition
from parley.automation.procedures.store import runnable

CACHE_SIZE = 64


@dataclass(frozen=True)
class Library:
    procedures: dict[str, tuple[int, ProcedureDefinition]]
    matcher: Matcher | None

    def match(self, text: str) -> Match | None:
        return self.matcher.match(text, limit=5) if self.matcher is not None else None


_fitted: OrderedDict[tuple[object, ...], Library] = OrderedDict()
_lock = threading.Lock()


def _fit(procedures: dict[str, tuple[int, ProcedureDefinition]]) -> Matcher | None:
    if not procedures:
        return None
    examples = {
        name: [*d.triggers.examples, *d.triggers.keywords] for name, (_, d) in procedures.items()
    }
    matcher = default_matcher()
    matcher.fit(examples)
    return matcher


async def library_for(
    session: AsyncSession, organization_id: uuid.UUID, allowed: Collection[str] | None = None
) -> Library:
    """The organization's runnable procedures (only ``allowed`` names when an AI agent limits
    them), with a matcher fitted on their trigger examples."""
    rows = await runnable(session, organization_id, names=list(allowed) if allowed else None)
    key = (organization_id, *sorted((row.name, row.version) for row in rows))
    with _lock:
        if key in _fitted:
            _fitted.move_to_end(key)
            return _fitted[key]
    # Parsed only on a cache miss: a message never pays for validating every definition.
    procedures = {
        row.name: (row.version, ProcedureDefinition.model_validate(row.definition)) for row in rows
    }
    library = Library(procedures, await asyncio.to_thread(_fit, procedures))
    with _lock:
        _fitted[key] = library
        while len(_fitted) > CACHE_SIZE:
            _fitted.popitem(last=False)
    return library
