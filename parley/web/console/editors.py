"""The knowledge-base and procedure pages: read for everyone, edited by whoever the API lets write
(knowledge: supervisors and admins; procedures: admins). Every change goes through the REST API
from ``console-editors.js``; these routes only render what is stored, and the knowledge "try a
search" box runs the same search as ``GET /api/v1/knowledge/search``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from parley.access import access_knowledge_collection, access_procedure
from parley.api.deps import services
from parley.automation.kb.search import search_kb, threshold_for
from parley.automation.matching import shared_encoder
from parley.automation.procedures import store
from parley.errors import NotFound
from parley.models import Faq, KnowledgeCollection, Resource
from parley.schemas.automation import ProcedureRead
from parley.schemas.knowledge import CollectionRead, FaqRead, KbHitRead, ResourceRead
from parley.web.console.common import Viewer, forbidden, not_found, render, sign_in_first, viewer

router = APIRouter(prefix="/console")

MAX_QUERY = 1000

# What "New procedure" starts from: valid, commented, with a test that passes (docs/procedures.md).
PROCEDURE_TEMPLATE = """\
# A procedure: what a trained agent would do for one kind of request.
# The format, every step and the tests: docs/procedures.md.
# Validate, run the tests, then save (the first save is version 1, switched off).
name: new_procedure              # unique in your organization; saving again adds a version
description: Tell a customer we are looking at their order.
triggers:                        # what customers say when they need this
  examples: [where is my order, has my order shipped yet]
  keywords: [order status]
steps:
  - ask:                         # collect a slot (skipped when the message already holds it)
      slot: order_id
      prompt: "What is your order number? It looks like AB12345."
      validator: {regex: "\\\\b([A-Za-z]{2}\\\\d{5})\\\\b"}
      retries: 2
      on_fail: to_human
  - say: "Thanks, I am looking up order {{order_id}}."
  - resolve: {outcome: resolved, message: "Anything else I can help with?"}
  - id: to_human                 # the last resort: a person, with a note for them
    handoff:
      note: "No valid order number from the customer."
      message: "Let me find a colleague who can help."
tests:                           # scripted conversations, run offline by "Run tests"
  - name: asks for the order number
    conversation:
      - user: "where is my order?"
        replies: ["What is your order number? It looks like AB12345."]
      - user: "It is AB12345"
        says: ["AB12345"]
    expect: {resolve: resolved, slots: {order_id: AB12345}}
"""


# --- procedures ----------------------------------------------------------------------------------


@router.get("/procedures")
async def procedures_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    async with services(request).db.transaction() as session:
        rows = await store.latest_versions(session, who.actor.organization_id)
        procedures = [ProcedureRead.model_validate(p) for p in rows]
    return render(
        request,
        "console/procedures.html",
        who,
        nav="procedures",
        title="Procedures",
        procedures=procedures,
    )


@router.get("/procedures/new")
async def new_procedure_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    if not who.is_admin:
        return forbidden(request, who, "Procedures are written by admins.")
    return render(
        request,
        "console/procedure.html",
        who,
        nav="procedures",
        title="New procedure",
        procedure=None,
        versions=[],
        source=PROCEDURE_TEMPLATE,
        saved=None,
    )


@router.get("/procedures/{procedure_id}")
async def procedure_page(request: Request, procedure_id: str) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    async with services(request).db.transaction() as session:
        try:
            row = await access_procedure(
                session, organization_id=who.actor.organization_id, procedure_id=procedure_id
            )
        except NotFound:
            return not_found(request, who, "That procedure")
        procedure = ProcedureRead.model_validate(row)
        versions = [ProcedureRead.model_validate(v) for v in await store.versions_of(session, row)]
    saved = request.query_params.get("saved")
    return render(
        request,
        "console/procedure.html",
        who,
        nav="procedures",
        title=f"Procedure {procedure.name}",
        procedure=procedure,
        versions=versions,
        source=procedure.source,
        saved=saved if saved in ("saved", "activated", "deactivated") else None,
    )


# --- knowledge base ------------------------------------------------------------------------------


async def _knowledge(request: Request, who: Viewer) -> dict[str, Any] | None:
    """The collections, the selected one's FAQs and resources, and a search when asked for.
    None when the selected collection is not the viewer's organization's (a 404)."""
    org = who.actor.organization_id
    wanted = request.query_params.get("collection") or ""
    query = (request.query_params.get("q") or "").strip()[:MAX_QUERY]
    async with services(request).db.transaction() as session:
        rows = await session.execute(
            select(KnowledgeCollection)
            .where(KnowledgeCollection.organization_id == org)
            .order_by(KnowledgeCollection.name)
        )
        collections = [CollectionRead.model_validate(c) for c in rows.scalars()]
        selected = None
        if wanted:
            try:
                found = await access_knowledge_collection(
                    session, organization_id=org, collection_id=wanted
                )
            except NotFound:
                return None
            selected = CollectionRead.model_validate(found)
        elif collections:
            selected = collections[0]
        faqs: list[FaqRead] = []
        resources: list[ResourceRead] = []
        if selected is not None:
            faq_rows = await session.execute(
                select(Faq)
                .where(Faq.organization_id == org, Faq.collection_id == selected.id)
                .order_by(Faq.created_at, Faq.id)
            )
            faqs = [FaqRead.model_validate(f) for f in faq_rows.scalars()]
            resource_rows = await session.execute(
                select(Resource)
                .where(Resource.organization_id == org, Resource.collection_id == selected.id)
                .order_by(Resource.created_at, Resource.id)
            )
            resources = [ResourceRead.model_validate(r) for r in resource_rows.scalars()]
        hits: list[KbHitRead] = []
        if query:
            found_hits = await search_kb(session, organization_id=org, query=query, limit=10)
            hits = [KbHitRead.model_validate(h) for h in found_hits]
    names = {c.id: c.name for c in collections}
    return {
        "collections": collections,
        "selected": selected,
        "faqs": faqs,
        "resources": resources,
        "query": query,
        "hits": hits,
        "threshold": threshold_for(shared_encoder()) if query else None,
        "collection_names": names,
        "can_edit": who.is_supervisor,
    }


@router.get("/knowledge")
async def knowledge_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    data = await _knowledge(request, who)
    if data is None:
        return not_found(request, who, "That collection")
    return render(
        request, "console/knowledge.html", who, nav="knowledge", title="Knowledge base", **data
    )
