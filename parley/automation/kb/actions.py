"""Writes to the knowledge base. Each one keeps the chunks and the full-text index in step.

``check_*`` validates and may raise; ``do_*`` applies. The edge owns the transaction: nothing
here commits. Writing needs the supervisor role; reading and searching any member.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actors import Actor
from parley.automation.kb.chunking import Chunk, Format, faq_chunk, resource_chunks
from parley.automation.kb.index import add_chunks, remove_chunks
from parley.automation.kb.search import DEFAULT
from parley.automation.matching import Encoder, shared_encoder
from parley.errors import Conflict, InvalidInput
from parley.models import Faq, KbChunk, KnowledgeCollection, Resource
from parley.models.enums import Role

EncoderArg = Encoder | None | Literal["default"]


@dataclass(frozen=True)
class FaqInput:
    question: str
    answer: str
    alternatives: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    is_active: bool = True


def _model(encoder: EncoderArg) -> Encoder | None:
    if isinstance(encoder, str):
        return shared_encoder()
    return encoder


def check_can_edit(actor: Actor) -> None:
    actor.require(Role.supervisor, "changing the knowledge base")


async def check_collection_name(
    session: AsyncSession, *, organization_id: uuid.UUID, name: str, exclude: uuid.UUID | None
) -> None:
    stmt = select(func.count()).where(
        KnowledgeCollection.organization_id == organization_id, KnowledgeCollection.name == name
    )
    if exclude is not None:
        stmt = stmt.where(KnowledgeCollection.id != exclude)
    if (await session.execute(stmt)).scalar_one():
        raise Conflict("a collection with this name exists", fields={"name": "taken"})


async def do_create_collection(
    session: AsyncSession, *, actor: Actor, name: str, description: str = ""
) -> KnowledgeCollection:
    check_can_edit(actor)
    await check_collection_name(
        session, organization_id=actor.organization_id, name=name, exclude=None
    )
    collection = KnowledgeCollection(
        organization_id=actor.organization_id, name=name, description=description
    )
    session.add(collection)
    await session.flush()
    return collection


async def do_update_collection(
    session: AsyncSession,
    *,
    actor: Actor,
    collection: KnowledgeCollection,
    name: str | None = None,
    description: str | None = None,
) -> KnowledgeCollection:
    check_can_edit(actor)
    if name is not None and name != collection.name:
        await check_collection_name(
            session, organization_id=actor.organization_id, name=name, exclude=collection.id
        )
        collection.name = name
    if description is not None:
        collection.description = description
    await session.flush()
    return collection


async def do_delete_collection(
    session: AsyncSession, *, actor: Actor, collection: KnowledgeCollection
) -> None:
    """Delete a collection with its FAQs, resources and chunks."""
    check_can_edit(actor)
    org = actor.organization_id
    await remove_chunks(session, organization_id=org, collection_id=collection.id)
    for model in (Faq, Resource):
        await session.execute(
            delete(model).where(model.organization_id == org, model.collection_id == collection.id)
        )
    await session.delete(collection)
    await session.flush()


def _faq_chunks(faq: Faq) -> list[KbChunk]:
    if not faq.is_active:
        return []
    chunk = faq_chunk(
        question=faq.question, alternatives=[str(a) for a in faq.alternatives], answer=faq.answer
    )
    return [_row(faq.organization_id, faq.collection_id, "faq", faq.id, chunk)]


def _resource_chunks(resource: Resource) -> list[KbChunk]:
    pieces = resource_chunks(
        title=resource.title, content=resource.content, format=Format(resource.format)
    )
    return [
        _row(resource.organization_id, resource.collection_id, "resource", resource.id, c)
        for c in pieces
    ]


def _row(
    org: uuid.UUID, collection: uuid.UUID, kind: str, source: uuid.UUID, chunk: Chunk
) -> KbChunk:
    return KbChunk(
        organization_id=org,
        collection_id=collection,
        source_kind=kind,
        source_id=source,
        ordinal=chunk.ordinal,
        heading=chunk.heading,
        titles=list(chunk.titles),
        text=chunk.text,
    )


def check_faq(item: FaqInput) -> None:
    if not item.question.strip():
        raise InvalidInput("an FAQ needs a question", fields={"question": "empty"})
    if not item.answer.strip():
        raise InvalidInput("an FAQ needs an answer", fields={"answer": "empty"})


async def do_create_faqs(
    session: AsyncSession,
    *,
    actor: Actor,
    collection: KnowledgeCollection,
    items: Sequence[FaqInput],
    encoder: EncoderArg = DEFAULT,
) -> list[Faq]:
    """Add FAQs to a collection and index them (one embedding batch for all)."""
    check_can_edit(actor)
    for item in items:
        check_faq(item)
    faqs = [
        Faq(
            organization_id=actor.organization_id,
            collection_id=collection.id,
            question=item.question,
            alternatives=list(item.alternatives),
            answer=item.answer,
            tags=list(item.tags),
            is_active=item.is_active,
        )
        for item in items
    ]
    session.add_all(faqs)
    await session.flush()
    chunks = [c for faq in faqs for c in _faq_chunks(faq)]
    await add_chunks(session, chunks, encoder=_model(encoder))
    return faqs


S = TypeVar("S", Faq, Resource)


async def _apply_and_reindex(
    session: AsyncSession,
    source: S,
    changes: dict[str, object],
    chunks_of: Callable[[S], list[KbChunk]],
    encoder: EncoderArg,
) -> None:
    """Apply validated ``changes`` to a FAQ or resource and replace its chunks in the index."""
    for name, value in changes.items():
        setattr(source, name, value)
    await session.flush()
    await remove_chunks(session, organization_id=source.organization_id, source_id=source.id)
    await add_chunks(session, chunks_of(source), encoder=_model(encoder))


async def do_update_faq(
    session: AsyncSession,
    *,
    actor: Actor,
    faq: Faq,
    changes: dict[str, object],
    encoder: EncoderArg = DEFAULT,
) -> Faq:
    """Apply ``changes`` (question, alternatives, answer, tags, is_active) and re-index."""
    check_can_edit(actor)
    merged = FaqInput(
        question=str(changes.get("question", faq.question)),
        answer=str(changes.get("answer", faq.answer)),
    )
    check_faq(merged)
    await _apply_and_reindex(session, faq, changes, _faq_chunks, encoder)
    return faq


async def do_delete_faq(session: AsyncSession, *, actor: Actor, faq: Faq) -> None:
    check_can_edit(actor)
    await remove_chunks(session, organization_id=faq.organization_id, source_id=faq.id)
    await session.delete(faq)
    await session.flush()


def check_resource(*, title: str, content: str, format: str) -> Format:
    if not title.strip():
        raise InvalidInput("a resource needs a title", fields={"title": "empty"})
    try:
        kind = Format(format)
    except ValueError:
        raise InvalidInput(
            "format must be markdown, html or text", fields={"format": "unknown"}
        ) from None
    if not content.strip():
        raise InvalidInput("the resource has no content", fields={"content": "empty"})
    return kind


async def do_create_resource(
    session: AsyncSession,
    *,
    actor: Actor,
    collection: KnowledgeCollection,
    title: str,
    content: str,
    format: str,
    source_url: str | None = None,
    encoder: EncoderArg = DEFAULT,
) -> Resource:
    check_can_edit(actor)
    kind = check_resource(title=title, content=content, format=format)
    resource = Resource(
        organization_id=actor.organization_id,
        collection_id=collection.id,
        title=title,
        format=kind.value,
        content=content,
        source_url=source_url,
    )
    session.add(resource)
    await session.flush()
    await add_chunks(session, _resource_chunks(resource), encoder=_model(encoder))
    return resource


async def do_update_resource(
    session: AsyncSession,
    *,
    actor: Actor,
    resource: Resource,
    changes: dict[str, object],
    encoder: EncoderArg = DEFAULT,
) -> Resource:
    """Apply ``changes`` (title, content, format) and re-chunk the document."""
    check_can_edit(actor)
    check_resource(
        title=str(changes.get("title", resource.title)),
        content=str(changes.get("content", resource.content)),
        format=str(changes.get("format", resource.format)),
    )
    await _apply_and_reindex(session, resource, changes, _resource_chunks, encoder)
    return resource


async def do_delete_resource(session: AsyncSession, *, actor: Actor, resource: Resource) -> None:
    check_can_edit(actor)
    await remove_chunks(session, organization_id=resource.organization_id, source_id=resource.id)
    await session.delete(resource)
    await session.flush()
