"""The knowledge base as the API shows and accepts it: collections, FAQs, resources, search."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from parley.schemas.common import Read, Write

FormatName = Literal["markdown", "html", "text"]
Phrase = Field(min_length=1, max_length=1000)


class CollectionCreate(Write):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1000)


class CollectionUpdate(Write):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=1000)


class CollectionRead(Read):
    id: uuid.UUID
    name: str
    description: str
    created_at: datetime


class FaqCreate(Write):
    question: str = Field(min_length=1, max_length=1000)
    answer: str = Field(min_length=1, max_length=20_000)
    alternatives: list[str] = Field(default_factory=list, max_length=50)
    tags: list[str] = Field(default_factory=list, max_length=20)
    is_active: bool = True


class FaqUpdate(Write):
    question: str | None = Field(default=None, min_length=1, max_length=1000)
    answer: str | None = Field(default=None, min_length=1, max_length=20_000)
    alternatives: list[str] | None = Field(default=None, max_length=50)
    tags: list[str] | None = Field(default=None, max_length=20)
    is_active: bool | None = None


class FaqRead(Read):
    id: uuid.UUID
    collection_id: uuid.UUID
    question: str
    alternatives: list[str]
    answer: str
    tags: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ResourceCreate(Write):
    title: str = Field(min_length=1, max_length=300)
    format: FormatName = "markdown"
    content: str = Field(min_length=1, max_length=1_000_000)


class ResourceUpdate(Write):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    format: FormatName | None = None
    content: str | None = Field(default=None, min_length=1, max_length=1_000_000)


class ResourceRead(Read):
    id: uuid.UUID
    collection_id: uuid.UUID
    title: str
    format: str
    source_url: str | None
    content: str
    created_at: datetime
    updated_at: datetime


class ImportFile(Write):
    """A document: its file name (the suffix tells the format unless ``format`` says it)."""

    name: str = Field(min_length=1, max_length=300)
    content: str = Field(min_length=1, max_length=1_000_000)
    format: FormatName | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)


class ImportRequest(Write):
    """FAQs (Parley's shape or StackFAQ's: ``question``, ``answers``, ``phrasings``) and/or
    document files, added to the collection in one transaction."""

    faqs: list[dict[str, Any]] = Field(default_factory=list, max_length=5_000)
    files: list[ImportFile] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _something(self) -> ImportRequest:
        if not self.faqs and not self.files:
            raise ValueError("give faqs, files or both")
        return self


class UrlImport(Write):
    url: str = Field(min_length=1, max_length=2000)
    title: str | None = Field(default=None, min_length=1, max_length=300)
    format: FormatName | None = None


class ImportResult(Read):
    faqs: list[FaqRead]
    resources: list[ResourceRead]


class Citation(Read):
    kind: str
    id: uuid.UUID
    title: str
    url: str | None


class KbHitRead(Read):
    chunk_id: uuid.UUID
    source_kind: str
    source_id: uuid.UUID
    collection_id: uuid.UUID
    title: str
    text: str
    score: float
    confident: bool
    citation: Citation


class SearchResult(Read):
    query: str
    threshold: float
    # The best hit when it clears the threshold: what an automated answer would use.
    answer: KbHitRead | None
    items: list[KbHitRead]
