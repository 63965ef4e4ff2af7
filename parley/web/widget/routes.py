"""The widget's script at ``/widget.js``, and ``/demo/shop``: a shop page wearing the widget.

The script is also under ``/static/widget/``; ``/widget.js`` is the short, stable address that
customers paste into their sites (see docs/widget.md). The demo shop exists only once
``parley demo`` has seeded the demo organization, and uses its web chat channel; otherwise 404.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from parley.api.deps import services
from parley.errors import NotFound
from parley.models import Channel, Organization
from parley.models.enums import ChannelKind

router = APIRouter(include_in_schema=False)
WEB = Path(__file__).resolve().parents[1]
SCRIPT = WEB / "static" / "widget" / "parley-widget.js"
templates = Jinja2Templates(directory=WEB / "templates")
DEMO_SLUG = "demo"  # parley.demo.seed.DEMO_SLUG, not imported: the seed pulls in every action


@router.get("/widget.js")
async def widget_script() -> FileResponse:
    return FileResponse(
        SCRIPT,
        media_type="text/javascript",
        headers={
            "Cache-Control": "public, max-age=300",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


async def _demo_channel(request: Request) -> Channel:
    async with services(request).db.transaction() as session:
        stmt = (
            select(Channel)
            .join(Organization, Organization.id == Channel.organization_id)
            .where(
                Organization.slug == DEMO_SLUG,
                Channel.kind == ChannelKind.webchat,
                Channel.is_active.is_(True),
            )
            .order_by(Channel.created_at)
        )
        channels = list((await session.execute(stmt)).scalars())
    usable = [c for c in channels if c.secrets.get("webhook_secret")]
    if not usable:
        raise NotFound("the demo shop appears once `parley demo` has run")
    return usable[0]


@router.get("/demo/shop", response_class=HTMLResponse)
async def demo_shop(request: Request) -> HTMLResponse:
    channel = await _demo_channel(request)
    response = templates.TemplateResponse(
        request, "demo/shop.html", {"channel_id": str(channel.id)}
    )
    response.headers["Cache-Control"] = "no-store"
    return response
