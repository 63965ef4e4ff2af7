"""The ASGI application factory. Importing this module builds nothing; ``create_app`` does."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley import __version__, webhooks
from parley.actions import scheduled as scheduled_actions
from parley.analytics import jobs as analytics_jobs
from parley.api import analytics as analytics_api
from parley.api import api_keys as api_keys_api
from parley.api import canned_replies as canned_replies_api
from parley.api import coaching as coaching_api
from parley.api import directory, errors, flows, interactions, knowledge, procedures
from parley.api import files as files_api
from parley.api import routing as routing_api
from parley.api import scheduled as scheduled_api
from parley.api.deps import Services
from parley.api.idempotency import Idempotency
from parley.api.limits import BodyLimit
from parley.automation import engine as automation_engine
from parley.channels import delivery, email, forward, registry
from parley.config import Settings, load_settings
from parley.db.engine import Database
from parley.demo import shop
from parley.jobs.runner import Handler, JobRunner
from parley.outbox import OutboxRelay
from parley.realtime import stream
from parley.realtime.hub import make_hub
from parley.routing.handlers import handlers as routing_handlers
from parley.security.passwords import Passwords
from parley.timers import handlers as timers
from parley.timers.schedule import resume_schedules
from parley.web import console, pages
from parley.web import widget as widget_pages
from parley.webhooks import api as webhooks_api

log = logging.getLogger("parley")
STATIC = Path(__file__).resolve().parent / "web" / "static"

# Pages render customer content: scripts only from our origin, no inline script, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        hub = make_hub(settings.redis_url)
        services = Services(settings, db, Passwords.from_settings(settings), hub)
        app.state.services = services
        relay = OutboxRelay(db, hub, fan_out=webhooks.fan_out)
        handlers: dict[str, Handler] = {
            delivery.KIND: delivery.DeliverMessage(settings, registry.all_senders(settings)),
            **webhooks.handlers(settings),
            **routing_handlers(),
            **forward.handlers(settings),
            **automation_engine.handlers(settings),
            **analytics_jobs.handlers(),
            **timers.handlers(),
            **scheduled_actions.handlers(),
        }
        jobs = JobRunner(db, handlers)
        try:
            async with db.transaction() as session:
                await resume_schedules(session)
        except Exception as exc:  # the app still starts (and says 503) with the database down
            log.warning("schedule flows not resumed: %s", exc)
        relay.start()
        jobs.start()
        smtp = await email.start_listener(services)
        try:
            yield
        finally:
            if smtp is not None:
                await smtp.stop()
            await jobs.stop()
            await relay.stop()
            await hub.close()
            await db.dispose()

    app = FastAPI(
        title="Parley",
        version=__version__,
        description="Omnichannel interaction hub: REST API v1",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    errors.install(app)
    api = APIRouter(prefix="/api/v1")
    api.include_router(interactions.router)
    api.include_router(interactions.messages_router)
    api.include_router(scheduled_api.router)
    api.include_router(files_api.router)
    api.include_router(directory.router)
    api.include_router(api_keys_api.router)
    api.include_router(canned_replies_api.router)
    api.include_router(flows.router)
    api.include_router(routing_api.router)
    api.include_router(webhooks_api.router)
    api.include_router(knowledge.router)
    api.include_router(procedures.router)
    api.include_router(coaching_api.router)
    api.include_router(analytics_api.router)
    app.include_router(api)
    app.include_router(shop.router)
    app.include_router(pages.router)
    app.include_router(console.router)
    app.include_router(stream.router)
    app.include_router(widget_pages.router)
    for router in registry.routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        svc: Services = app.state.services
        report = {"status": "ok", "version": __version__, "database": "ok", "hub": "ok"}
        try:
            await svc.db.ping()
        except Exception as exc:
            log.warning("health check: database unavailable: %s", exc)
            report["database"] = report["status"] = "unavailable"
        try:
            await svc.hub.ping()
        except Exception as exc:
            log.warning("health check: hub unavailable: %s", exc)
            report["hub"] = report["status"] = "unavailable"
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    # Inside BodyLimit (added later = outer), so a body is bounded before it is buffered.
    app.add_middleware(Idempotency)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    return app
