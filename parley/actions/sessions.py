"""Signing in and out of the web console, with throttling against password guessing.

Failed attempts are rows in ``login_attempts`` so every app process sees the same counts. A failed
sign-in returns a result instead of raising: the edge must commit the attempt it records.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actions.organizations import normalize_email, user_by_email
from parley.config import Settings
from parley.errors import TooManyRequests
from parley.models import LoginAttempt, Membership, Organization, WebSession
from parley.security.passwords import Passwords
from parley.security.tokens import digest, new_session_token


@dataclass(frozen=True)
class SignIn:
    session: WebSession | None
    token: str | None
    error: str | None = None


async def _recent_failures(session: AsyncSession, key: str, window_s: int) -> tuple[int, int]:
    since = clock.now() - timedelta(seconds=window_s)
    stmt = select(func.count(), func.min(LoginAttempt.created_at)).where(
        LoginAttempt.key == key, LoginAttempt.created_at >= since
    )
    count, oldest = (await session.execute(stmt)).one()
    retry = window_s if oldest is None else int((oldest - since).total_seconds()) + 1
    return int(count), max(retry, 1)


async def check_sign_in_allowed(
    session: AsyncSession, *, settings: Settings, ip: str, email: str
) -> None:
    limits = (
        (f"ip:{ip}", settings.login_ip_limit, settings.login_ip_window_s),
        (
            f"account:{normalize_email(email)}",
            settings.login_account_limit,
            settings.login_account_window_s,
        ),
    )
    for key, limit, window in limits:
        count, retry = await _recent_failures(session, key, window)
        if count >= limit:
            raise TooManyRequests(
                "too many failed sign-in attempts; try again later", retry_after=retry
            )


async def do_sign_in(
    session: AsyncSession,
    *,
    settings: Settings,
    passwords: Passwords,
    email: str,
    password: str,
    organization_slug: str | None,
    ip: str,
    user_agent: str,
) -> SignIn:
    await check_sign_in_allowed(session, settings=settings, ip=ip, email=email)
    user = await user_by_email(session, email)
    ok = passwords.verify(user.password_hash if user else None, password)
    membership = None
    if ok and user is not None and user.is_active:
        stmt = (
            select(Membership)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.user_id == user.id)
            .order_by(Membership.created_at)
        )
        if organization_slug:
            stmt = stmt.where(Organization.slug == organization_slug)
        membership = (await session.execute(stmt)).scalars().first()
    if user is None or membership is None:
        now = clock.now()
        session.add_all(
            [
                LoginAttempt(key=f"ip:{ip}", created_at=now),
                LoginAttempt(key=f"account:{normalize_email(email)}", created_at=now),
            ]
        )
        return SignIn(None, None, "the email or password is not right")
    await session.execute(
        delete(LoginAttempt).where(LoginAttempt.key == f"account:{normalize_email(email)}")
    )
    token = new_session_token()
    now = clock.now()
    web_session = WebSession(
        token_hash=digest(token),
        user_id=user.id,
        organization_id=membership.organization_id,
        csrf_token=secrets.token_urlsafe(24),
        expires_at=now + timedelta(days=settings.session_days),
        ip=ip[:64],
        user_agent=user_agent[:512],
        created_at=now,
    )
    user.last_login_at = now
    session.add(web_session)
    await session.flush()
    return SignIn(web_session, token)


async def do_sign_out(session: AsyncSession, *, token: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == digest(token)))
