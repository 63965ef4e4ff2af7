"""Saving and loading procedures: versioned, validated on save, newest active version runs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_procedure
from parley.actors import Actor
from parley.automation.procedures.model import ProcedureDefinition
from parley.automation.procedures.parse import parse_procedure
from parley.errors import InvalidInput
from parley.models import Procedure
from parley.models.enums import Role
from parley.security import ssrf


async def latest_versions(session: AsyncSession, organization_id: uuid.UUID) -> list[Procedure]:
    """The newest version of every procedure of the organization (active or not), by name."""
    newest = (
        select(Procedure.name, func.max(Procedure.version).label("version"))
        .where(Procedure.organization_id == organization_id)
        .group_by(Procedure.name)
        .subquery()
    )
    stmt = (
        select(Procedure)
        .join(newest, (Procedure.name == newest.c.name) & (Procedure.version == newest.c.version))
        .where(Procedure.organization_id == organization_id)
        .order_by(Procedure.name)
    )
    return list((await session.execute(stmt)).scalars())


async def active_procedures(
    session: AsyncSession, organization_id: uuid.UUID, *, names: Sequence[str] | None = None
) -> list[tuple[Procedure, ProcedureDefinition]]:
    """The procedures that can run: the newest version of each name, when it is active
    (optionally only those named, e.g. an AI agent's)."""
    return [
        (row, ProcedureDefinition.model_validate(row.definition))
        for row in await runnable(session, organization_id, names=names)
    ]


async def runnable(
    session: AsyncSession, organization_id: uuid.UUID, *, names: Sequence[str] | None = None
) -> list[Procedure]:
    """The rows of :func:`active_procedures`, not yet parsed (callers that cache by version)."""
    return [
        row
        for row in await latest_versions(session, organization_id)
        if row.is_active and (names is None or row.name in names)
    ]


async def versions_of(session: AsyncSession, procedure: Procedure) -> list[Procedure]:
    stmt = (
        select(Procedure)
        .where(
            Procedure.organization_id == procedure.organization_id,
            Procedure.name == procedure.name,
        )
        .order_by(Procedure.version.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def check_tool_urls(
    definition: ProcedureDefinition, *, allow_private: bool, prefix: str = ""
) -> None:
    """422 ``unsafe_url`` for a tool whose literal host the SSRF rules refuse. Hosts from
    ``{{config.NAME}}`` are the operator's; every URL is checked again before each call."""
    for name, tool in definition.tools.items():
        if tool.url.startswith("{{"):
            continue
        scheme, rest = tool.url.split("://", 1)
        origin = f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0]}/"
        try:
            await ssrf.check_url_to_save(origin, allow_private=allow_private)
        except ssrf.UnsafeUrl as exc:
            exc.fields = {f"{prefix}tools.{name}.url": exc.reason}
            raise


async def _store(
    session: AsyncSession,
    *,
    actor: Actor,
    definition: ProcedureDefinition,
    source: str | dict[str, Any],
    active: bool,
) -> Procedure:
    current = await session.execute(
        select(func.max(Procedure.version)).where(
            Procedure.organization_id == actor.organization_id,
            Procedure.name == definition.name,
        )
    )
    procedure = Procedure(
        organization_id=actor.organization_id,
        name=definition.name,
        version=(current.scalar_one() or 0) + 1,
        description=definition.description,
        is_active=active,
        definition=definition.model_dump(mode="json", by_alias=True, exclude_none=True),
        source=source if isinstance(source, str) else "",
        created_by_id=actor.user_id,
        created_at=clock.now(),
    )
    session.add(procedure)
    await session.flush()
    return procedure


async def do_save_procedure(
    session: AsyncSession,
    *,
    actor: Actor,
    source: str | dict[str, Any],
    active: bool = True,
    allow_private: bool = False,
) -> Procedure:
    """Validate and store a new version of a procedure (named inside the source)."""
    actor.require(Role.admin, "changing procedures")
    definition = parse_procedure(source)
    if active:
        await check_tool_urls(definition, allow_private=allow_private)
    return await _store(session, actor=actor, definition=definition, source=source, active=active)


async def do_import_procedures(
    session: AsyncSession,
    *,
    actor: Actor,
    files: Sequence[tuple[str, str]],
    active: bool = True,
    allow_private: bool = False,
) -> list[Procedure]:
    """Store several procedures at once, all or none: errors of every file come together, under
    ``files.N.<path>`` (with the file's name in the message)."""
    actor.require(Role.admin, "changing procedures")
    parsed: list[tuple[ProcedureDefinition, str]] = []
    problems: dict[str, str] = {}
    seen: dict[str, int] = {}
    for n, (filename, source) in enumerate(files):
        try:
            definition = parse_procedure(source)
            if active:
                await check_tool_urls(definition, allow_private=allow_private)
        except (InvalidInput, ssrf.UnsafeUrl) as exc:
            fields = exc.fields or {"source": exc.message}
            problems.update({f"files.{n}.{k}": f"{filename}: {v}" for k, v in fields.items()})
            continue
        if definition.name in seen:
            other = seen[definition.name]
            problems[f"files.{n}.name"] = (
                f"{filename}: the procedure {definition.name!r} is also in file {other}"
            )
        seen.setdefault(definition.name, n)
        parsed.append((definition, source))
    if problems:
        raise InvalidInput("some procedures are not valid; nothing was imported", fields=problems)
    return [
        await _store(session, actor=actor, definition=d, source=s, active=active) for d, s in parsed
    ]


async def do_set_procedure_active(
    session: AsyncSession,
    *,
    actor: Actor,
    procedure_id: uuid.UUID,
    active: bool,
    allow_private: bool = False,
) -> Procedure:
    """Switch a procedure on or off: a new version with the same definition, so history stays."""
    actor.require(Role.admin, "changing procedures")
    procedure = await access_procedure(
        session, organization_id=actor.organization_id, procedure_id=procedure_id
    )
    return await do_save_procedure(
        session,
        actor=actor,
        source=procedure.source or dict(procedure.definition),
        active=active,
        allow_private=allow_private,
    )
