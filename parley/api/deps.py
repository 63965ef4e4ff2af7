"""What every API endpoint receives: the app's services and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from parley.actors import Actor
from parley.config import Settings
from parley.db.engine import Database
from parley.errors import Forbidden, Unauthenticated
from parley.realtime.hub import Hub
from parley.security.auth import (
    SESSION_COOKIE,
    Principal,
    principal_from_api_key,
    principal_from_session,
)
from parley.security.passwords import Passwords

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    passwords: Passwords
    hub: Hub


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def authenticate(request: Request) -> Principal:
    svc = services(request)
    header = request.headers.get("authorization", "")
    async with svc.db.transaction() as session:
        if header:
            scheme, _, credential = header.partition(" ")
            if scheme.lower() != "bearer" or not credential.strip():
                raise Unauthenticated("use Authorization: Bearer <api key>")
            return await principal_from_api_key(session, credential.strip())
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise Unauthenticated("sign in or send an API key")
        principal = await principal_from_session(session, token)
    if request.method in UNSAFE:
        sent = request.headers.get("x-csrf-token")
        if sent != principal.csrf_token:
            # A cookie alone never authorizes a change: another site could have sent it.
            raise Forbidden("missing or wrong X-CSRF-Token header")
    return principal


@dataclass(frozen=True)
class Context:
    """One API call: the services, and who is calling."""

    svc: Services
    principal: Principal

    @property
    def actor(self) -> Actor:
        return self.principal.actor

    @property
    def db(self) -> Database:
        return self.svc.db


async def context(request: Request) -> Context:
    return Context(services(request), await authenticate(request))


Ctx = Annotated[Context, Depends(context)]
