"""Tables of the knowledge base: collections, FAQs, resources, and the chunks search reads.

Besides these tables the database holds one full-text index the ORM does not describe (see
docs/knowledge.md): on SQLite the FTS5 table ``kb_chunks_fts``; on PostgreSQL the ``tsvector``
column ``kb_chunks.search_vector`` with a GIN index. Migration 0006 creates them and
``parley.automation.kb.index`` keeps them in step with ``kb_chunks``. Their names are listed in
``Base.metadata.info["unmanaged"]`` so that schema comparisons leave them alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, CreatedMixin, IdMixin, utcnow

FTS_TABLE = "kb_chunks_fts"
SEARCH_VECTOR = "search_vector"
SEARCH_VECTOR_INDEX = "ix_kb_chunks_search_vector"
Base.metadata.info.setdefault("unmanaged", set()).update(
    {FTS_TABLE, SEARCH_VECTOR, SEARCH_VECTOR_INDEX}
)


class KnowledgeCollection(IdMixin, CreatedMixin, Base):
    """A named set of FAQs and resources (an AI agent answers from the collections it is given)."""

    __tablename__ = "knowledge_collections"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(1000), default="")


class Faq(IdMixin, CreatedMixin, Base):
    __tablename__ = "faqs"
    __table_args__ = (Index("ix_faqs_org_collection", "organization_id", "collection_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_collections.id"))
    question: Mapped[str] = mapped_column(String(1000))
    # Other ways customers ask the same question: searched like the question itself.
    alternatives: Mapped[list[Any]] = mapped_column(default=list)
    answer: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Resource(IdMixin, CreatedMixin, Base):
    """A document (markdown, HTML or plain text), searched by chunks."""

    __tablename__ = "kb_resources"
    __table_args__ = (Index("ix_kb_resources_org_collection", "organization_id", "collection_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_collections.id"))
    title: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(16))  # markdown | html | text
    source_url: Mapped[str | None] = mapped_column(String(2000))
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KbChunk(IdMixin, Base):
    """One searchable piece of an FAQ (the whole entry) or of a resource (a section).

    ``titles`` are the short texts a question is compared with (an FAQ's question and its
    alternatives; a resource's title and section heading); ``text`` is the body. ``vectors`` are
    the static-embedding rows of the titles then the body (float16), made by ``encoder``.
    """

    __tablename__ = "kb_chunks"
    __table_args__ = (
        Index("ix_kb_chunks_org_collection", "organization_id", "collection_id"),
        Index("ix_kb_chunks_source", "source_id", "ordinal"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_collections.id"))
    source_kind: Mapped[str] = mapped_column(String(16))  # faq | resource
    source_id: Mapped[uuid.UUID]
    ordinal: Mapped[int] = mapped_column(default=0)
    heading: Mapped[str] = mapped_column(String(500), default="")
    titles: Mapped[list[Any]] = mapped_column(default=list)
    text: Mapped[str] = mapped_column(Text)
    vectors: Mapped[bytes | None] = mapped_column(LargeBinary)
    encoder: Mapped[str | None] = mapped_column(String(200))
