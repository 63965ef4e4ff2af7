"""/api/v1 contacts, queues, users (adding people, changing roles) and tags."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from parley.access import parse_id
from parley.actions import contacts as ca
from parley.actions import organizations as oa
from parley.actions import queues as qa
from parley.api.deps import Ctx
from parley.errors import InvalidInput
from parley.models.enums import IdentityKind
from parley.queries import directory as d
from parley.schemas.common import Read
from parley.schemas.contacts import (
    ContactCreate,
    ContactMerge,
    ContactRead,
    ContactUpdate,
    QueueCreate,
    QueueRead,
    QueueUpdate,
    UserRead,
)
from parley.schemas.organizations import UserCreate, UserCreated, UserUpdate

router = APIRouter()


class IdentityRead(Read):
    kind: IdentityKind
    value: str


class ContactDetail(ContactRead):
    identities: list[IdentityRead]


class ContactPage(BaseModel):
    items: list[ContactRead]
    next_cursor: str | None


@router.get("/contacts", response_model=ContactPage, tags=["contacts"])
async def list_contacts(
    ctx: Ctx,
    search: Annotated[str | None, Query(alias="q", min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ContactPage:
    if search is not None and "\x00" in search:
        raise InvalidInput("NUL characters are not allowed", fields={"q": "contains NUL"})
    async with ctx.db.transaction() as session:
        rows, next_cursor = await d.list_contacts(
            session,
            organization_id=ctx.actor.organization_id,
            text=search,
            limit=limit,
            cursor=cursor,
        )
        return ContactPage(
            items=[ContactRead.model_validate(c) for c in rows], next_cursor=next_cursor
        )


@router.post(
    "/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactDetail,
    tags=["contacts"],
)
async def create_contact(ctx: Ctx, body: ContactCreate) -> ContactDetail:
    async with ctx.db.transaction() as session:
        contact = await ca.do_create_contact(
            session,
            actor=ctx.actor,
            name=body.name,
            email=body.email,
            phone=body.phone,
            attributes=body.attributes,
            identities=[(i.kind, i.value) for i in body.identities],
        )
        return await _contact_detail(ctx, session, str(contact.id))


async def _contact_detail(ctx: Ctx, session: AsyncSession, contact_id: str) -> ContactDetail:
    contact, identities = await d.contact_with_identities(
        session, organization_id=ctx.actor.organization_id, contact_id=contact_id
    )
    return ContactDetail.model_validate(
        {
            **ContactRead.model_validate(contact).model_dump(),
            "identities": [IdentityRead.model_validate(i) for i in identities],
        }
    )


@router.get("/contacts/{contact_id}", response_model=ContactDetail, tags=["contacts"])
async def get_contact(ctx: Ctx, contact_id: str) -> ContactDetail:
    async with ctx.db.transaction() as session:
        return await _contact_detail(ctx, session, contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactDetail, tags=["contacts"])
async def update_contact(ctx: Ctx, contact_id: str, body: ContactUpdate) -> ContactDetail:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change")
    async with ctx.db.transaction() as session:
        contact = await ca.do_update_contact(
            session, actor=ctx.actor, contact_id=parse_id(contact_id, "contact"), changes=changes
        )
        return await _contact_detail(ctx, session, str(contact.id))


@router.post("/contacts/{contact_id}/merge", response_model=ContactDetail, tags=["contacts"])
async def merge_contacts(ctx: Ctx, contact_id: str, body: ContactMerge) -> ContactDetail:
    """Merge ``source_id`` into this contact."""
    async with ctx.db.transaction() as session:
        contact = await ca.do_merge_contacts(
            session,
            actor=ctx.actor,
            target_id=parse_id(contact_id, "contact"),
            source_id=body.source_id,
        )
        return await _contact_detail(ctx, session, str(contact.id))


@router.get("/queues", response_model=list[QueueRead], tags=["queues"])
async def list_queues(ctx: Ctx) -> list[QueueRead]:
    async with ctx.db.transaction() as session:
        return await d.queue_reads(session, organization_id=ctx.actor.organization_id)


@router.post(
    "/queues", status_code=status.HTTP_201_CREATED, response_model=QueueRead, tags=["queues"]
)
async def create_queue(ctx: Ctx, body: QueueCreate) -> QueueRead:
    async with ctx.db.transaction() as session:
        queue = await qa.do_create_queue(session, actor=ctx.actor, **body.model_dump())
        return await d.queue_read(session, organization_id=queue.organization_id, queue_id=queue.id)


@router.get("/queues/{queue_id}", response_model=QueueRead, tags=["queues"])
async def get_queue(ctx: Ctx, queue_id: str) -> QueueRead:
    async with ctx.db.transaction() as session:
        return await d.queue_read(
            session, organization_id=ctx.actor.organization_id, queue_id=queue_id
        )


@router.patch("/queues/{queue_id}", response_model=QueueRead, tags=["queues"])
async def update_queue(ctx: Ctx, queue_id: str, body: QueueUpdate) -> QueueRead:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change")
    async with ctx.db.transaction() as session:
        queue = await qa.do_update_queue(
            session, actor=ctx.actor, queue_id=parse_id(queue_id, "queue"), changes=changes
        )
        return await d.queue_read(session, organization_id=queue.organization_id, queue_id=queue.id)


@router.get("/users", response_model=list[UserRead], tags=["users"])
async def list_users(ctx: Ctx) -> list[UserRead]:
    async with ctx.db.transaction() as session:
        return await d.user_reads(session, organization_id=ctx.actor.organization_id)


@router.get("/users/{user_id}", response_model=UserRead, tags=["users"])
async def get_user(ctx: Ctx, user_id: str) -> UserRead:
    async with ctx.db.transaction() as session:
        return await d.user_read(
            session, organization_id=ctx.actor.organization_id, user_id=user_id
        )


@router.post(
    "/users", status_code=status.HTTP_201_CREATED, response_model=UserCreated, tags=["users"]
)
async def create_user(ctx: Ctx, body: UserCreate, response: Response) -> UserCreated:
    """Add a person (admins): a new account, or a membership for an email that already has one
    in another organization (409 if already a member here). Without a password Parley generates
    one and answers it this once (``Cache-Control: no-store``: not kept for Idempotency-Key)."""
    response.headers["Cache-Control"] = "no-store"
    async with ctx.db.transaction() as session:
        added = await oa.do_add_person(
            session,
            actor=ctx.actor,
            email=body.email,
            name=body.name,
            role=body.role,
            password=body.password or None,
            passwords=ctx.svc.passwords,
        )
        read = await d.user_read(
            session, organization_id=ctx.actor.organization_id, user_id=added.user.id
        )
        return UserCreated.model_validate(
            {
                **read.model_dump(),
                "password": added.generated_password,
                "existing_account": added.existing_account,
            }
        )


@router.patch("/users/{user_id}", response_model=UserRead, tags=["users"])
async def update_user(ctx: Ctx, user_id: str, body: UserUpdate) -> UserRead:
    """Change a member's role (admins). Memberships have no on/off switch: there is nothing
    else to change here (a person's name and password are their own)."""
    if body.role is None:
        raise InvalidInput("nothing to change")
    async with ctx.db.transaction() as session:
        membership = await oa.do_set_member_role(
            session, actor=ctx.actor, user_id=parse_id(user_id, "user"), role=body.role
        )
        return await d.user_read(
            session, organization_id=membership.organization_id, user_id=membership.user_id
        )


class Me(BaseModel):
    organization_id: str
    actor_type: str
    id: str | None
    name: str
    role: str | None
    csrf_token: str | None


@router.get("/me", response_model=Me, tags=["users"])
async def me(ctx: Ctx) -> Me:
    a = ctx.actor
    return Me(
        organization_id=str(a.organization_id),
        actor_type=a.type.value,
        id=str(a.id) if a.id else None,
        name=a.name,
        role=a.role.value if a.role else None,
        csrf_token=ctx.principal.csrf_token,
    )


@router.get("/tags", response_model=list[str], tags=["tags"])
async def list_tags(ctx: Ctx) -> list[str]:
    async with ctx.db.transaction() as session:
        return await d.tag_names(session, organization_id=ctx.actor.organization_id)
