"""Procedures, AI agents and secrets, as the API shows and accepts them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from parley.models.enums import ChannelKind
from parley.schemas.common import Read, Write

Name = Annotated[str, Field(min_length=1, max_length=120)]


class ProcedureRead(Read):
    id: uuid.UUID
    name: str
    version: int
    description: str
    is_active: bool
    definition: dict[str, Any]
    source: str
    created_by_id: uuid.UUID | None
    created_at: datetime


class ProcedureSave(Write):
    """A procedure as YAML or JSON text (``source``) or as an object (``definition``)."""

    source: str | None = Field(default=None, max_length=100_000)
    definition: dict[str, Any] | None = None
    active: bool = True

    @model_validator(mode="after")
    def _one(self) -> ProcedureSave:
        if (self.source is None) == (self.definition is None):
            raise ValueError("give either source (YAML or JSON text) or definition")
        return self

    def given(self) -> str | dict[str, Any]:
        source = self.source if self.source is not None else self.definition
        assert source is not None
        return source


class ProcedureFile(Write):
    filename: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=100_000)


class ProcedureImport(Write):
    """Several procedure files stored in one go (all or none)."""

    files: list[ProcedureFile] = Field(min_length=1, max_length=50)
    active: bool = True


class ProcedureTestCase(Read):
    test: str
    passed: bool
    failures: list[str]
    transcript: list[str]


class ProcedureTestReport(Read):
    procedure: str
    passed: bool
    tests: list[ProcedureTestCase]


class AiAgentRead(Read):
    id: uuid.UUID
    name: str
    greeting: str
    tone: str
    procedures: list[str]
    knowledge_collections: list[str]
    llm_model: str | None
    channel_kinds: list[ChannelKind]
    is_default: bool
    is_active: bool
    created_at: datetime
    updated_at: datetime


class AiAgentCreate(Write):
    name: Name
    greeting: str = Field(default="", max_length=2000)
    tone: str = Field(default="", max_length=500)
    procedures: list[Name] = Field(default_factory=list, max_length=100)
    knowledge_collections: list[Name] = Field(default_factory=list, max_length=50)
    llm_model: str | None = Field(default=None, min_length=1, max_length=200)
    channel_kinds: list[ChannelKind] = Field(default_factory=list, max_length=10)
    is_default: bool = False
    is_active: bool = True


class AiAgentUpdate(Write):
    name: Name | None = None
    greeting: str | None = Field(default=None, max_length=2000)
    tone: str | None = Field(default=None, max_length=500)
    procedures: list[Name] | None = Field(default=None, max_length=100)
    knowledge_collections: list[Name] | None = Field(default=None, max_length=50)
    llm_model: str | None = Field(default=None, min_length=1, max_length=200)
    channel_kinds: list[ChannelKind] | None = Field(default=None, max_length=10)
    is_default: bool | None = None
    is_active: bool | None = None


class SecretRead(Read):
    """A secret's name; its value is never shown."""

    id: uuid.UUID
    name: str
    created_at: datetime
    updated_at: datetime


class SecretSet(Write):
    name: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.-]+$")
    value: str = Field(min_length=1, max_length=10_000)
