"""/api/v1/knowledge: collections, FAQs, resources, imports, and search with citations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from parley.access import access_faq, access_knowledge_collection, access_resource, parse_id
from parley.api.deps import Ctx
from parley.automation.kb import actions as kb
from parley.automation.kb.importing import faqs_from_json, fetch_page, format_of, title_of
from parley.automation.kb.search import search_kb, threshold_for
from parley.automation.matching import shared_encoder
from parley.errors import InvalidInput
from parley.models import Faq, KnowledgeCollection, Resource
from parley.schemas.knowledge import (
    CollectionCreate,
    CollectionRead,
    CollectionUpdate,
    FaqCreate,
    FaqRead,
    FaqUpdate,
    ImportRequest,
    ImportResult,
    KbHitRead,
    ResourceCreate,
    ResourceRead,
    ResourceUpdate,
    SearchResult,
    UrlImport,
)
from parley.security import ssrf

router = APIRouter(prefix="/knowledge", tags=["knowledge"])
COLLECTION = "/collections/{collection_id}"


@router.get("/collections", response_model=list[CollectionRead])
async def list_collections(ctx: Ctx) -> list[CollectionRead]:
    async with ctx.db.transaction() as session:
        rows = await session.execute(
            select(KnowledgeCollection)
            .where(KnowledgeCollection.organization_id == ctx.actor.organization_id)
            .order_by(KnowledgeCollection.name)
        )
        return [CollectionRead.model_validate(c) for c in rows.scalars()]


@router.post("/collections", status_code=201, response_model=CollectionRead)
async def create_collection(ctx: Ctx, body: CollectionCreate) -> CollectionRead:
    async with ctx.db.transaction() as session:
        collection = await kb.do_create_collection(
            session, actor=ctx.actor, name=body.name, description=body.description
        )
        return CollectionRead.model_validate(collection)


@router.get(COLLECTION, response_model=CollectionRead)
async def get_collection(ctx: Ctx, collection_id: str) -> CollectionRead:
    async with ctx.db.transaction() as session:
        collection = await access_knowledge_collection(
            session, organization_id=ctx.actor.organization_id, collection_id=collection_id
        )
        return CollectionRead.model_validate(collection)


@router.patch(COLLECTION, response_model=CollectionRead)
async def update_collection(ctx: Ctx, collection_id: str, body: CollectionUpdate) -> CollectionRead:
    async with ctx.db.transaction() as session:
        collection = await access_knowledge_collection(
            session, organization_id=ctx.actor.organization_id, collection_id=collection_id
        )
        await kb.do_update_collection(
            session,
            actor=ctx.actor,
            collection=collection,
            name=body.name,
            description=body.description,
        )
        return CollectionRead.model_validate(collection)


@router.delete(COLLECTION, status_code=204, response_class=Response)
async def delete_collection(ctx: Ctx, collection_id: str) -> Response:
    async with ctx.db.transaction() as session:
        collection = await access_knowledge_collection(
            session, organization_id=ctx.actor.organization_id, collection_id=collection_id
        )
        await kb.do_delete_collection(session, actor=ctx.actor, collection=collection)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(COLLECTION + "/faqs", response_model=list[FaqRead])
async def list_faqs(ctx: Ctx, collection_id: str) -> list[FaqRead]:
    async with ctx.db.transaction() as session:
        collection = await access_knowledge_collection(
            session, organization_id=ctx.actor.organization_id, collection_id=collection_id
        )
        rows = await session.execute(
            select(Faq)
            .where(Faq.organization_id == collection.organization_id)
            .where(Faq.collection_id == collection.id)
            .order_by(Faq.created_at, Faq.id)
        )
        return [FaqRead.model_validate(f) for f in rows.scalars()]


@router.post(COLLECTION + "/faqs", status_code=201, response_model=FaqRead)
async def create_faq(ctx: Ctx, collection_id: str, body: FaqCreate) -> FaqRead:
    async with ctx.db.transaction() as session:
        collection = await access_knowledge_collection(
            session, organization_id=ctx.actor.organization_id, collection_id=collection_id
        )
        [faq] = await kb.do_create_faqs(
            session,
            actor=ctx.actor,
            collection=collection,
            items=[kb.FaqInput(**body.model_dump())],
        )
        return FaqRead.model_validate(faq)


@router.get(COLLECTION + "/resources", response_model=list[ResourceRead])
async def list_resources(ctx: Ctx, collection_id: str) -> list[ResourceRead]:
    async with ctx.db.transaction() as session:
        collection = await access_knowledge_collection(
            session, organization_id=ctx.actor.organization_id, collection_id=collection_id
        )
        rows = await session.execute(
            select(Resource)
            .where(Resource.organization_id == collection.organization_id)
            .where(Resource.collection_id == collection.id)
            .order_by(Resource.created_at, Resource.id)
        )
        return [ResourceRead.model_validate(r) for r in rows.scalars()]


@router.post(COLLECTION + "/resources", status_code=201, response_model=ResourceRead)
async def create_resource(ctx: Ctx, collection_id: str, body: ResourceCreate) -> ResourceRead:
    async with ctx.db.transaction() as session:
        collection = await access_knowledge_collection(
            session, organization_id=ctx.actor.organization_id, collection_id=collection_id
        )
        resource = await kb.do_create_resource(
            session, actor=ctx.actor, collection=collection, **body.model_dump()
        )
        return ResourceRead.model_validate(resource)


@router.post(COLLECTION + "/import", status_code=201, response_model=ImportResult)
async def import_knowledge(ctx: Ctx, collection_id: str, body: ImportRequest) -> ImportResult:
    """FAQs (Parley's or StackFAQ's JSON shape) and markdown / HTML / text files, all or none."""
    faqs = faqs_from_json(body.faqs)
    async with ctx.db.transaction() as session:
        collection = await access_knowledge_collection(
            session, organization_id=ctx.actor.organization_id, collection_id=collection_id
        )
        created = await kb.do_create_faqs(
            session, actor=ctx.actor, collection=collection, items=faqs
        )
        resources = []
        for index, file in enumerate(body.files):
            kind = format_of(file.name, file.format)
            try:
                resource = await kb.do_create_resource(
                    session,
                    actor=ctx.actor,
                    collection=collection,
                    title=file.title or title_of(file.name, file.content, kind),
                    content=file.content,
                    format=kind.value,
                )
            except InvalidInput as exc:
                exc.fields = {f"files.{index}.{k}": v for k, v in exc.fields.items()}
                raise
            resources.append(resource)
        return ImportResult(
            faqs=[FaqRead.model_validate(f) for f in created],
            resources=[ResourceRead.model_validate(r) for r in resources],
        )


@router.post(COLLECTION + "/import-url", status_code=201, response_model=ResourceRead)
async def import_url(ctx: Ctx, collection_id: str, body: UrlImport) -> ResourceRead:
    """Fetch a page through the SSRF guard (docs/webhooks.md) and store it as a resource."""
    async with ctx.db.transaction() as session:
        await access_knowledge_collection(
            session, organization_id=ctx.actor.organization_id, collection_id=collection_id
        )
        kb.check_can_edit(ctx.actor)
    allow_private = ctx.svc.settings.webhooks_allow_private
    try:
        content, kind, final_url = await fetch_page(body.url, allow_private=allow_private)
    except ssrf.UnsafeUrl as exc:
        exc.fields = {"url": exc.reason}
        raise
    kind = format_of(final_url, body.format) if body.format else kind
    async with ctx.db.transaction() as session:
        collection = await access_knowledge_collection(
            session, organization_id=ctx.actor.organization_id, collection_id=collection_id
        )
        resource = await kb.do_create_resource(
            session,
            actor=ctx.actor,
            collection=collection,
            title=body.title or title_of(final_url, content, kind),
            content=content,
            format=kind.value,
            source_url=body.url,
        )
        return ResourceRead.model_validate(resource)


@router.get("/faqs/{faq_id}", response_model=FaqRead)
async def get_faq(ctx: Ctx, faq_id: str) -> FaqRead:
    async with ctx.db.transaction() as session:
        faq = await access_faq(session, organization_id=ctx.actor.organization_id, faq_id=faq_id)
        return FaqRead.model_validate(faq)


@router.patch("/faqs/{faq_id}", response_model=FaqRead)
async def update_faq(ctx: Ctx, faq_id: str, body: FaqUpdate) -> FaqRead:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if not changes:
        raise InvalidInput("nothing to change")
    async with ctx.db.transaction() as session:
        faq = await access_faq(session, organization_id=ctx.actor.organization_id, faq_id=faq_id)
        await kb.do_update_faq(session, actor=ctx.actor, faq=faq, changes=changes)
        return FaqRead.model_validate(faq)


@router.delete("/faqs/{faq_id}", status_code=204, response_class=Response)
async def delete_faq(ctx: Ctx, faq_id: str) -> Response:
    async with ctx.db.transaction() as session:
        faq = await access_faq(session, organization_id=ctx.actor.organization_id, faq_id=faq_id)
        await kb.do_delete_faq(session, actor=ctx.actor, faq=faq)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/resources/{resource_id}", response_model=ResourceRead)
async def get_resource(ctx: Ctx, resource_id: str) -> ResourceRead:
    async with ctx.db.transaction() as session:
        resource = await access_resource(
            session, organization_id=ctx.actor.organization_id, resource_id=resource_id
        )
        return ResourceRead.model_validate(resource)


@router.patch("/resources/{resource_id}", response_model=ResourceRead)
async def update_resource(ctx: Ctx, resource_id: str, body: ResourceUpdate) -> ResourceRead:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if not changes:
        raise InvalidInput("nothing to change")
    async with ctx.db.transaction() as session:
        resource = await access_resource(
            session, organization_id=ctx.actor.organization_id, resource_id=resource_id
        )
        await kb.do_update_resource(session, actor=ctx.actor, resource=resource, changes=changes)
        return ResourceRead.model_validate(resource)


@router.delete("/resources/{resource_id}", status_code=204, response_class=Response)
async def delete_resource(ctx: Ctx, resource_id: str) -> Response:
    async with ctx.db.transaction() as session:
        resource = await access_resource(
            session, organization_id=ctx.actor.organization_id, resource_id=resource_id
        )
        await kb.do_delete_resource(session, actor=ctx.actor, resource=resource)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/search", response_model=SearchResult)
async def search(
    ctx: Ctx,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    collection_id: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResult:
    """The organization's best chunks for ``q``, each with its citation; ``answer`` is the best
    one when it clears the confidence threshold. ``collection_id`` (repeatable) narrows it."""
    collections = [parse_id(c, "collection") for c in collection_id] if collection_id else None
    async with ctx.db.transaction() as session:
        for cid in collections or ():
            await access_knowledge_collection(
                session, organization_id=ctx.actor.organization_id, collection_id=cid
            )
        hits = await search_kb(
            session,
            organization_id=ctx.actor.organization_id,
            query=q,
            collections=collections,
            limit=limit,
        )
    items = [KbHitRead.model_validate(h) for h in hits]
    return SearchResult(
        query=q,
        threshold=threshold_for(shared_encoder()),
        answer=items[0] if items and items[0].confident else None,
        items=items,
    )
