"""What every console page shares: the signed-in person, the layout context, rendering.

Pages render through the same access helpers and queries as the REST API; a signed-out visitor
is sent to the sign-in page (fragments fetched by console.js answer 401 instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from parley import clock
from parley.actors import Actor
from parley.api.deps import services
from parley.db.engine import Database
from parley.errors import Unauthenticated
from parley.files import INLINE
from parley.models import AgentProfile, Organization
from parley.models.enums import Presence, Role
from parley.security.auth import SESSION_COOKIE, Principal, principal_from_session

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
templates = Jinja2Templates(directory=TEMPLATES)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def duration(seconds: float | None) -> str:
    """42s, 5m, 3h 12m, 2d 4h: short enough for a table cell."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86_400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86_400}d {s % 86_400 // 3600}h"


def _ago(value: datetime | None) -> str:
    if value is None:
        return ""
    return duration((clock.now() - value).total_seconds()) + " ago"


def readable_time(value: object) -> str | None:
    """An ISO timestamp in activity data (a scheduled reply's time) as the console shows times."""
    if not isinstance(value, str) or len(value) < 19 or value[10:11] != "T":
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return None


def _until(value: datetime | None) -> str:
    """ "in 2h 5m" for a time ahead (a scheduled reply), "due" once it has come."""
    if value is None:
        return ""
    left = (value - clock.now()).total_seconds()
    return f"in {duration(left)}" if left > 0 else "due"


def _label(value: Any) -> str:
    text = str(getattr(value, "value", value) or "")
    return text.replace("_", " ")


# Attachments the console shows as thumbnails (the same set the file endpoints serve inline).
templates.env.globals["inline_types"] = INLINE
templates.env.filters.update(
    when=_when, iso=_iso, ago=_ago, until=_until, duration=duration, label=_label
)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person looking at a console page."""

    principal: Principal
    organization_name: str
    presence: Presence

    @property
    def actor(self) -> Actor:
        return self.principal.actor

    @property
    def is_supervisor(self) -> bool:
        return self.actor.has_role(Role.supervisor)

    @property
    def is_admin(self) -> bool:
        return self.actor.has_role(Role.admin)


async def viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    db: Database = services(request).db
    async with db.transaction() as session:
        try:
            principal = await principal_from_session(session, token)
        except Unauthenticated:
            return None
        org = await session.get(Organization, principal.actor.organization_id)
        presence = (
            await session.execute(
                select(AgentProfile.presence).where(
                    AgentProfile.organization_id == principal.actor.organization_id,
                    AgentProfile.user_id == principal.actor.user_id,
                )
            )
        ).scalar_one_or_none()
    return Viewer(principal, org.name if org else "", presence or Presence.offline)


def sign_in_first(request: Request) -> Response:
    """Pages go to the sign-in form; fragments fetched by scripts get a plain 401."""
    if request.headers.get("x-parley-fragment") or request.headers.get("hx-request"):
        return Response("sign in again", status_code=401, media_type="text/plain")
    return RedirectResponse("/login", status_code=303)


def render(
    request: Request,
    name: str,
    who: Viewer,
    *,
    nav: str = "",
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        name,
        {
            "who": who,
            "actor": who.actor,
            "csrf_token": who.principal.csrf_token or "",
            "nav": nav,
            "presences": [p.value for p in Presence],
            **context,
        },
        status_code=status,
    )
    # Personal data and tokens: never cached (nor shown again by Back after signing out).
    response.headers["Cache-Control"] = "no-store"
    return response


def not_found(request: Request, who: Viewer, what: str = "That page") -> HTMLResponse:
    return render(
        request,
        "console/message.html",
        who,
        status=404,
        title="Not found",
        message=f"{what} does not exist, or you do not have access to it.",
    )


def forbidden(request: Request, who: Viewer, message: str) -> HTMLResponse:
    return render(
        request, "console/message.html", who, status=403, title="Not allowed", message=message
    )
