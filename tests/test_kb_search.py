"""Indexed search on both backends: candidates from the engine, re-ranking, strict tenancy."""

from __future__ import annotations

import uuid
from typing import Any

from parley.actions.organizations import do_create_organization
from parley.actors import Actor
from parley.automation.kb import actions as kb
from parley.automation.kb.search import KbHit, search_kb
from parley.db.engine import Database
from parley.models import KnowledgeCollection

FAQS = [
    kb.FaqInput(
        question="How do I return an item?",
        alternatives=["send something back", "return policy"],
        answer="Print a return label from your orders page; returns are free for 30 days.",
    ),
    kb.FaqInput(
        question="When will my refund arrive?",
        answer="Refunds reach your card within five business days after we receive the item.",
    ),
    kb.FaqInput(question="Do you ship abroad?", answer="We ship to 40 countries by courier."),
]


async def _org_with_kb(db: Database, secret: str = "") -> tuple[Actor, KnowledgeCollection]:
    async with db.transaction() as session:
        org = await do_create_organization(
            session, slug=f"kb-{uuid.uuid4().hex[:10]}", name="KB test"
        )
        actor = Actor.system(org.id)
        collection = await kb.do_create_collection(session, actor=actor, name="Help")
        items = [*FAQS]
        if secret:
            items.append(kb.FaqInput(question=f"What is {secret}?", answer=f"{secret} is ours."))
        await kb.do_create_faqs(session, actor=actor, collection=collection, items=items)
    return actor, collection


async def _search(db: Database, actor: Actor, query: str, **kwargs: Any) -> list[KbHit]:
    async with db.transaction() as session:
        return list(
            await search_kb(session, organization_id=actor.organization_id, query=query, **kwargs)
        )


async def test_the_right_faq_comes_first_and_cites_itself(db: Database) -> None:
    actor, _ = await _org_with_kb(db)
    hits = await _search(db, actor, "how do I return my item?")
    best = hits[0]
    assert best.title == "How do I return an item?"
    assert best.citation["kind"] == "faq"
    assert best.citation["title"] == "How do I return an item?"
    assert best.confident


async def test_one_missing_word_does_not_kill_recall(db: Database) -> None:
    actor, _ = await _org_with_kb(db)
    hits = await _search(db, actor, "refund zzzunknownword timing")
    assert hits and hits[0].title == "When will my refund arrive?"


async def test_an_unrelated_question_is_not_confident(db: Database) -> None:
    actor, _ = await _org_with_kb(db)
    hits = await _search(db, actor, "what is the capital of mongolia")
    assert not any(h.confident for h in hits)


async def test_another_organizations_chunks_are_never_found(db: Database) -> None:
    secret = f"zebracorn{uuid.uuid4().hex[:6]}"
    b, b_collection = await _org_with_kb(db, secret)
    a, _ = await _org_with_kb(db)
    assert await _search(db, b, f"what is {secret}")
    assert await _search(db, a, f"what is {secret}") == [] or all(
        secret not in h.text for h in await _search(db, a, f"what is {secret}")
    )
    # Naming B's collection does not help either.
    assert await _search(db, a, secret, collections=[b_collection.id]) == []
    assert await _search(db, a, secret, collections=["Help"]) == [] or all(
        secret not in h.text for h in await _search(db, a, secret, collections=["Help"])
    )


async def test_updates_and_deletes_reach_the_index(db: Database) -> None:
    actor, collection = await _org_with_kb(db)
    async with db.transaction() as session:
        [faq] = await kb.do_create_faqs(
            session,
            actor=actor,
            collection=collection,
            items=[kb.FaqInput(question="Gift wrapping?", answer="Yes, for a fee.")],
        )
    assert (await _search(db, actor, "gift wrapping"))[0].source_id == faq.id
    async with db.transaction() as session:
        faq = await session.merge(faq)
        await kb.do_update_faq(session, actor=actor, faq=faq, changes={"is_active": False})
    assert all(h.source_id != faq.id for h in await _search(db, actor, "gift wrapping"))
    async with db.transaction() as session:
        resource = await kb.do_create_resource(
            session,
            actor=actor,
            collection=collection,
            title="Care guide",
            content="# Washing\nWash wool jumpers cold.\n# Drying\nDry flat.",
            format="markdown",
        )
    hits = await _search(db, actor, "how to wash a wool jumper")
    assert hits[0].source_id == resource.id and hits[0].title == "Care guide"
    assert hits[0].citation["title"] == "Care guide - Washing"
    async with db.transaction() as session:
        resource = await session.merge(resource)
        await kb.do_delete_resource(session, actor=actor, resource=resource)
    assert all(h.source_id != resource.id for h in await _search(db, actor, "wash wool"))


async def test_collections_narrow_the_search(db: Database) -> None:
    actor, collection = await _org_with_kb(db)
    async with db.transaction() as session:
        other = await kb.do_create_collection(session, actor=actor, name="Other")
    assert await _search(db, actor, "refund", collections=[other.id]) == []
    assert await _search(db, actor, "refund", collections=["Help"])
    assert await _search(db, actor, "refund", collections=[]) == []
    hits = await _search(db, actor, "refund", collections=[str(collection.id)])
    assert hits and all(h.collection_id == collection.id for h in hits)
