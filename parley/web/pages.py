"""The web edge for this stage: sign-in, sign-out and a home page. The console comes later.

Form posts are protected against cross-site request forgery: the sign-in form by a double-submit
token (a cookie and a hidden field that must match), signed-in forms by the session's own token.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from parley.actions.sessions import do_sign_in, do_sign_out
from parley.api.deps import Services, services
from parley.errors import TooManyRequests, Unauthenticated
from parley.models import Interaction, Organization
from parley.models.enums import State
from parley.security.auth import SESSION_COOKIE, Principal, principal_from_session

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
LOGIN_CSRF_COOKIE = "parley_login_csrf"


def _secure(request: Request, svc: Services) -> bool:
    if svc.settings.cookie_secure == "auto":
        return request.url.scheme == "https"
    return svc.settings.cookie_secure == "true"


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    # Pages carry personal data and form tokens: never keep them in a cache (or the Back button
    # after signing out).
    response.headers["Cache-Control"] = "no-store"
    return response


def _login_page(
    request: Request,
    *,
    error: str | None = None,
    status: int = 200,
    email: str = "",
    organization: str = "",
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = _render(
        request,
        "login.html",
        status,
        csrf_token=token,
        error=error,
        email=email,
        organization=organization,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=_secure(request, services(request)),
    )
    return response


async def _principal(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    async with services(request).db.transaction() as session:
        try:
            return await principal_from_session(session, token)
        except Unauthenticated:
            return None


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    # Browsers ask for /favicon.ico on pages that name no icon (JSON documents, for instance).
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    if await _principal(request) is not None:
        return RedirectResponse("/", status_code=303)
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    organization: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    svc = services(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        return _login_page(
            request, error="The form expired. Please try again.", status=403, email=email
        )
    if not email or not password:
        return _login_page(
            request,
            error="Enter your email and password.",
            status=422,
            email=email,
            organization=organization,
        )
    try:
        async with svc.db.transaction() as session:
            result = await do_sign_in(
                session,
                settings=svc.settings,
                passwords=svc.passwords,
                email=email,
                password=password,
                organization_slug=organization.strip() or None,
                ip=_client_ip(request),
                user_agent=request.headers.get("user-agent", ""),
            )
    except TooManyRequests as exc:
        response = _login_page(
            request, error=exc.message.capitalize() + ".", status=429, email=email
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if result.token is None:
        return _login_page(
            request,
            error="That email and password do not match an account.",
            status=401,
            email=email,
            organization=organization,
        )
    redirect = RedirectResponse("/", status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        result.token,
        httponly=True,
        samesite="lax",
        path="/",
        secure=_secure(request, svc),
        max_age=svc.settings.session_days * 86_400,
    )
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return redirect


@router.post("/logout")
async def logout(
    request: Request, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    principal = await _principal(request)
    token = request.cookies.get(SESSION_COOKIE)
    if principal is None or token is None:
        return RedirectResponse("/login", status_code=303)
    if not hmac.compare_digest(principal.csrf_token or "", csrf_token):
        return _render(
            request,
            "error.html",
            403,
            title="Forbidden",
            message="The sign-out form expired. Go back and try again.",
        )
    async with services(request).db.transaction() as session:
        await do_sign_out(session, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    principal = await _principal(request)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    actor = principal.actor
    async with services(request).db.transaction() as session:
        org = await session.get(Organization, actor.organization_id)
        counts = dict(
            (
                await session.execute(
                    select(Interaction.state, func.count())
                    .where(Interaction.organization_id == actor.organization_id)
                    .group_by(Interaction.state)
                )
            ).all()
        )
    open_count = sum(n for s, n in counts.items() if s != State.completed)
    return _render(
        request,
        "home.html",
        actor=actor,
        email=principal.email,
        organization=org,
        csrf_token=principal.csrf_token,
        open_count=open_count,
        closed_count=counts.get(State.completed, 0),
        by_state=[(s.value.replace("_", " "), counts.get(s, 0)) for s in State],
    )
