"""/api/v1/procedures, /api/v1/ai-agents and /api/v1/secrets: what automation may do."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from parley.access import access_ai_agent, access_procedure, parse_id
from parley.api.deps import Ctx
from parley.automation.procedures import agents as aa
from parley.automation.procedures import store
from parley.automation.procedures.parse import parse_procedure
from parley.automation.procedures.testing import run_test
from parley.errors import InvalidInput
from parley.models.enums import Role
from parley.schemas.automation import (
    AiAgentCreate,
    AiAgentRead,
    AiAgentUpdate,
    ProcedureImport,
    ProcedureRead,
    ProcedureSave,
    ProcedureTestCase,
    ProcedureTestReport,
    SecretRead,
    SecretSet,
)

router = APIRouter()
NULLABLE = frozenset({"llm_model"})


@router.get("/procedures", response_model=list[ProcedureRead], tags=["procedures"])
async def list_procedures(ctx: Ctx) -> list[ProcedureRead]:
    """The newest version of each of the organization's procedures."""
    async with ctx.db.transaction() as session:
        rows = await store.latest_versions(session, ctx.actor.organization_id)
        return [ProcedureRead.model_validate(p) for p in rows]


@router.post(
    "/procedures",
    status_code=status.HTTP_201_CREATED,
    response_model=ProcedureRead,
    tags=["procedures"],
)
async def save_procedure(ctx: Ctx, body: ProcedureSave) -> ProcedureRead:
    """Save a procedure: a new version of the procedure with that name (or its first)."""
    async with ctx.db.transaction() as session:
        procedure = await store.do_save_procedure(
            session,
            actor=ctx.actor,
            source=body.given(),
            active=body.active,
            allow_private=ctx.svc.settings.webhooks_allow_private,
        )
        return ProcedureRead.model_validate(procedure)


@router.post("/procedures/validate", response_model=dict[str, Any], tags=["procedures"])
async def validate_procedure(ctx: Ctx, body: ProcedureSave) -> dict[str, Any]:
    """Check a procedure without saving it: the normalized definition, or 422 with the errors
    by field path and line."""
    return parse_procedure(body.given()).model_dump(mode="json", by_alias=True, exclude_none=True)


@router.post("/procedures/test", response_model=ProcedureTestReport, tags=["procedures"])
async def test_procedure(ctx: Ctx, body: ProcedureSave) -> ProcedureTestReport:
    """Run a procedure's own tests offline (fixtures answer its tools), without saving it."""
    definition = parse_procedure(body.given())
    cases = []
    for test in definition.tests:
        result = await run_test(definition, test)
        cases.append(
            ProcedureTestCase(
                test=result.test,
                passed=result.passed,
                failures=result.failures,
                transcript=result.transcript,
            )
        )
    return ProcedureTestReport(
        procedure=definition.name, passed=all(c.passed for c in cases), tests=cases
    )


@router.post(
    "/procedures/import",
    status_code=status.HTTP_201_CREATED,
    response_model=list[ProcedureRead],
    tags=["procedures"],
)
async def import_procedures(ctx: Ctx, body: ProcedureImport) -> list[ProcedureRead]:
    """Store several procedure files at once; if any is invalid, none is stored."""
    async with ctx.db.transaction() as session:
        rows = await store.do_import_procedures(
            session,
            actor=ctx.actor,
            files=[(f.filename, f.source) for f in body.files],
            active=body.active,
            allow_private=ctx.svc.settings.webhooks_allow_private,
        )
        return [ProcedureRead.model_validate(p) for p in rows]


@router.get("/procedures/{procedure_id}", response_model=ProcedureRead, tags=["procedures"])
async def get_procedure(ctx: Ctx, procedure_id: str) -> ProcedureRead:
    async with ctx.db.transaction() as session:
        procedure = await access_procedure(
            session, organization_id=ctx.actor.organization_id, procedure_id=procedure_id
        )
        return ProcedureRead.model_validate(procedure)


@router.get(
    "/procedures/{procedure_id}/versions",
    response_model=list[ProcedureRead],
    tags=["procedures"],
)
async def procedure_versions(ctx: Ctx, procedure_id: str) -> list[ProcedureRead]:
    async with ctx.db.transaction() as session:
        procedure = await access_procedure(
            session, organization_id=ctx.actor.organization_id, procedure_id=procedure_id
        )
        rows = await store.versions_of(session, procedure)
        return [ProcedureRead.model_validate(p) for p in rows]


@router.post(
    "/procedures/{procedure_id}/activate", response_model=ProcedureRead, tags=["procedures"]
)
async def activate_procedure(ctx: Ctx, procedure_id: str) -> ProcedureRead:
    return await _set_active(ctx, procedure_id, True)


@router.post(
    "/procedures/{procedure_id}/deactivate", response_model=ProcedureRead, tags=["procedures"]
)
async def deactivate_procedure(ctx: Ctx, procedure_id: str) -> ProcedureRead:
    return await _set_active(ctx, procedure_id, False)


async def _set_active(ctx: Ctx, procedure_id: str, active: bool) -> ProcedureRead:
    async with ctx.db.transaction() as session:
        procedure = await store.do_set_procedure_active(
            session,
            actor=ctx.actor,
            procedure_id=parse_id(procedure_id, "procedure"),
            active=active,
            allow_private=ctx.svc.settings.webhooks_allow_private,
        )
        return ProcedureRead.model_validate(procedure)


# --- AI agents -----------------------------------------------------------------------------------


@router.get("/ai-agents", response_model=list[AiAgentRead], tags=["ai-agents"])
async def list_ai_agents(ctx: Ctx) -> list[AiAgentRead]:
    async with ctx.db.transaction() as session:
        rows = await aa.ai_agents(session, ctx.actor.organization_id)
        return [AiAgentRead.model_validate(a) for a in rows]


@router.post(
    "/ai-agents",
    status_code=status.HTTP_201_CREATED,
    response_model=AiAgentRead,
    tags=["ai-agents"],
)
async def create_ai_agent(ctx: Ctx, body: AiAgentCreate) -> AiAgentRead:
    async with ctx.db.transaction() as session:
        agent = await aa.do_create_ai_agent(
            session, actor=ctx.actor, fields=body.model_dump(mode="json")
        )
        return AiAgentRead.model_validate(agent)


@router.get("/ai-agents/{ai_agent_id}", response_model=AiAgentRead, tags=["ai-agents"])
async def get_ai_agent(ctx: Ctx, ai_agent_id: str) -> AiAgentRead:
    async with ctx.db.transaction() as session:
        agent = await access_ai_agent(
            session, organization_id=ctx.actor.organization_id, ai_agent_id=ai_agent_id
        )
        return AiAgentRead.model_validate(agent)


@router.patch("/ai-agents/{ai_agent_id}", response_model=AiAgentRead, tags=["ai-agents"])
async def update_ai_agent(ctx: Ctx, ai_agent_id: str, body: AiAgentUpdate) -> AiAgentRead:
    changes = body.model_dump(mode="json", exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change")
    empty = sorted(k for k, v in changes.items() if v is None and k not in NULLABLE)
    if empty:
        raise InvalidInput("these fields cannot be null", fields=dict.fromkeys(empty, "required"))
    async with ctx.db.transaction() as session:
        agent = await aa.do_update_ai_agent(
            session,
            actor=ctx.actor,
            ai_agent_id=parse_id(ai_agent_id, "AI agent"),
            changes=changes,
        )
        return AiAgentRead.model_validate(agent)


@router.delete(
    "/ai-agents/{ai_agent_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["ai-agents"],
)
async def delete_ai_agent(ctx: Ctx, ai_agent_id: str) -> Response:
    async with ctx.db.transaction() as session:
        await aa.do_delete_ai_agent(
            session, actor=ctx.actor, ai_agent_id=parse_id(ai_agent_id, "AI agent")
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- secrets -------------------------------------------------------------------------------------


@router.get("/secrets", response_model=list[SecretRead], tags=["secrets"])
async def list_secrets(ctx: Ctx) -> list[SecretRead]:
    """The names of the organization's secrets (never their values)."""
    ctx.actor.require(Role.admin, "reading secrets")
    async with ctx.db.transaction() as session:
        rows = await aa.secret_rows(session, ctx.actor.organization_id)
        return [SecretRead.model_validate(r) for r in rows]


@router.post("/secrets", response_model=SecretRead, tags=["secrets"])
async def set_secret(ctx: Ctx, body: SecretSet) -> SecretRead:
    """Create or replace a secret that procedure tools refer to by name."""
    async with ctx.db.transaction() as session:
        row = await aa.do_set_secret(session, actor=ctx.actor, name=body.name, value=body.value)
        return SecretRead.model_validate(row)


@router.delete(
    "/secrets/{secret_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["secrets"],
)
async def delete_secret(ctx: Ctx, secret_id: str) -> Response:
    async with ctx.db.transaction() as session:
        await aa.do_delete_secret(session, actor=ctx.actor, secret_id=parse_id(secret_id, "secret"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
