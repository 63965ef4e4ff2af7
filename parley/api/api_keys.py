"""/api/v1/api-keys: integrations' credentials. Admins only (people or admin keys).

A new key is answered once, with ``Cache-Control: no-store``, which also keeps the
``Idempotency-Key`` middleware from storing it: only the key's hash is ever kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.access import parse_id
from parley.actions.organizations import do_create_api_key, do_revoke_api_key
from parley.api.deps import Ctx
from parley.models.enums import Role
from parley.queries.directory import api_keys_of
from parley.schemas.organizations import ApiKeyCreate, ApiKeyCreated, ApiKeyRead

router = APIRouter(prefix="/api-keys", tags=["api keys"])

WHAT = "managing API keys"


@router.get("", response_model=list[ApiKeyRead])
async def list_api_keys(ctx: Ctx) -> list[ApiKeyRead]:
    """Every key of the organization, newest first, revoked ones included."""
    ctx.actor.require(Role.admin, WHAT)
    async with ctx.db.transaction() as session:
        keys = await api_keys_of(session, ctx.actor.organization_id)
        return [ApiKeyRead.model_validate(k) for k in keys]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
async def create_api_key(ctx: Ctx, body: ApiKeyCreate, response: Response) -> ApiKeyCreated:
    """A new key; the answer holds the whole key, which is never shown again."""
    ctx.actor.require(Role.admin, WHAT)
    response.headers["Cache-Control"] = "no-store"
    async with ctx.db.transaction() as session:
        key, secret = await do_create_api_key(
            session,
            organization_id=ctx.actor.organization_id,
            name=body.name,
            role=body.role,
            created_by_id=ctx.actor.user_id,
        )
        return ApiKeyCreated.model_validate(
            {**ApiKeyRead.model_validate(key).model_dump(), "key": secret}
        )


@router.post("/{api_key_id}/revoke", response_model=ApiKeyRead)
async def revoke_api_key(ctx: Ctx, api_key_id: str) -> ApiKeyRead:
    """The key stops authenticating at once; revoking again changes nothing."""
    async with ctx.db.transaction() as session:
        key = await do_revoke_api_key(
            session, actor=ctx.actor, api_key_id=parse_id(api_key_id, "API key")
        )
        return ApiKeyRead.model_validate(key)
