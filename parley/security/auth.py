"""Who is calling: an API key (``Authorization: Bearer pk_...``) or a browser session cookie."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actors import Actor
from parley.errors import Unauthenticated
from parley.models import ApiKey, Membership, User, WebSession
from parley.models.enums import ActorType
from parley.security.tokens import api_key_prefix, digest, same_digest

SESSION_COOKIE = "parley_session"


@dataclass(frozen=True)
class Principal:
    actor: Actor
    # Set for browser sessions: unsafe requests must echo it (X-CSRF-Token or a form field).
    csrf_token: str | None = None
    session_id: str | None = None
    email: str | None = None


async def principal_from_api_key(session: AsyncSession, key: str) -> Principal:
    prefix = api_key_prefix(key)
    found = None
    if prefix is not None:
        stmt = select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
        found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None or not same_digest(found.key_hash, digest(key)):
        raise Unauthenticated("the API key is not valid")
    now = clock.now()
    if found.last_used_at is None or now - found.last_used_at > timedelta(minutes=5):
        # Coarse on purpose: a write per request would make every read a write.
        await session.execute(update(ApiKey).where(ApiKey.id == found.id).values(last_used_at=now))
    actor = Actor(
        found.organization_id, ActorType.api_key, found.id, f"API key {found.name}", found.role
    )
    return Principal(actor)


async def principal_from_session(session: AsyncSession, token: str) -> Principal:
    stmt = (
        select(WebSession, User, Membership)
        .join(User, User.id == WebSession.user_id)
        .join(
            Membership,
            (Membership.user_id == User.id)
            & (Membership.organization_id == WebSession.organization_id),
        )
        .where(WebSession.token_hash == digest(token))
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise Unauthenticated("please sign in")
    web_session, user, membership = row
    if web_session.expires_at <= clock.now() or not user.is_active:
        raise Unauthenticated("your session has expired; please sign in again")
    actor = Actor(web_session.organization_id, ActorType.user, user.id, user.name, membership.role)
    return Principal(actor, web_session.csrf_token, str(web_session.id), user.email)
