"""The interactions list and the interaction page, and the fragments console.js refreshes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from parley.api.deps import services
from parley.errors import NotFound
from parley.queries.canned_replies import canned_replies
from parley.web.console import views
from parley.web.console.common import not_found, render, sign_in_first, viewer

router = APIRouter(prefix="/console")


@router.get("")
async def interactions_page(request: Request) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    filters = views.ListFilters.from_query(dict(request.query_params))
    async with services(request).db.transaction() as session:
        page = await views.interaction_list(session, actor=who.actor, filters=filters)
    return render(
        request,
        "console/list.html",
        who,
        nav="interactions",
        title="Interactions",
        f=filters,
        page=page,
        states=views.STATES,
    )


@router.get("/i/{number}")
async def interaction_page(request: Request, number: int) -> Response:
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    try:
        async with services(request).db.transaction() as session:
            iid = await views.find_interaction(session, actor=who.actor, number=number)
            view = await views.interaction_view(session, actor=who.actor, interaction_id=iid)
            canned = await canned_replies(session, who.actor.organization_id)
    except NotFound:
        return not_found(request, who, f"Interaction #{number}")
    return render(
        request,
        "console/interaction.html",
        who,
        nav="interactions",
        title=f"#{number} {view.item.subject}".strip(),
        v=view,
        i=view.item,
        canned=canned,
    )


@router.get("/i/{number}/messages")
async def messages_fragment(
    request: Request, number: int, after: Annotated[int, Query(ge=0)] = 0
) -> Response:
    """Messages after ``after`` (a sequence number), rendered exactly as on a fresh page."""
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    try:
        async with services(request).db.transaction() as session:
            iid = await views.find_interaction(session, actor=who.actor, number=number)
            found = await views.messages_after(
                session, actor=who.actor, interaction_id=iid, after_seq=after
            )
    except NotFound:
        return Response("not found", status_code=404, media_type="text/plain")
    return render(request, "console/_messages.html", who, messages=found)


@router.get("/i/{number}/panels")
async def panels_fragment(request: Request, number: int) -> Response:
    """The header, actions, details and activity of one interaction (everything but the
    transcript), for console.js to swap in when an event says the interaction changed."""
    who = await viewer(request)
    if who is None:
        return sign_in_first(request)
    try:
        async with services(request).db.transaction() as session:
            iid = await views.find_interaction(session, actor=who.actor, number=number)
            view = await views.interaction_view(session, actor=who.actor, interaction_id=iid)
    except NotFound:
        return Response("not found", status_code=404, media_type="text/plain")
    return render(request, "console/_panels.html", who, v=view, i=view.item)
