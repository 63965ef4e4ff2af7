"""The knowledge base as automation sees it: one organization's, through its indexed search.

Adapts ``parley.automation.kb.search`` (the database's full-text index, re-ranked) to the
``KnowledgeSearch`` Protocol that procedures and the engine use, bound to one organization and to
the collections its AI agent may use.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.automation.kb.search import search_kb
from parley.automation.procedures.kb import KbHit, KnowledgeSearch
from parley.models import KnowledgeCollection


class DatabaseKnowledge:
    def __init__(
        self, session: AsyncSession, organization_id: uuid.UUID, collections: Sequence[str]
    ) -> None:
        self.session = session
        self.organization_id = organization_id
        self.collections = list(collections)

    async def search(self, query: str, *, collection: str | None, limit: int) -> Sequence[KbHit]:
        names = [collection] if collection else self.collections
        wanted = await self._ids(names) if names else None
        hits = await search_kb(
            self.session,
            organization_id=self.organization_id,
            query=query,
            collections=wanted,
            limit=limit,
        )
        return [
            KbHit(
                title=hit.title,
                answer=hit.answer,
                score=hit.confidence,
                source=hit.citation_label,
            )
            for hit in hits
        ]

    async def _ids(self, names: Sequence[str]) -> list[uuid.UUID]:
        """Collections are named in procedures and AI agents; an unknown name finds nothing."""
        rows = await self.session.execute(
            select(KnowledgeCollection.id).where(
                KnowledgeCollection.organization_id == self.organization_id,
                KnowledgeCollection.name.in_(list(names)),
            )
        )
        return list(rows.scalars())


def knowledge_for(
    session: AsyncSession, organization_id: uuid.UUID, collections: Sequence[str]
) -> KnowledgeSearch:
    return DatabaseKnowledge(session, organization_id, collections)
