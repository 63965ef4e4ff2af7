"""Organizations, their people and their API keys."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_member
from parley.errors import Conflict, InvalidInput
from parley.models import AgentProfile, ApiKey, Membership, Organization, User
from parley.models.enums import Presence, Role
from parley.routing.decide import DEFAULT_CAPACITY
from parley.security.passwords import Passwords, check_password_strength
from parley.security.tokens import digest, new_api_key

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


async def do_create_organization(session: AsyncSession, *, slug: str, name: str) -> Organization:
    if not SLUG.match(slug):
        raise InvalidInput(
            "an organization slug is lowercase letters, digits and dashes",
            fields={"slug": "invalid"},
        )
    taken = await session.execute(select(Organization.id).where(Organization.slug == slug))
    if taken.first() is not None:
        raise Conflict(f"organization {slug!r} already exists", fields={"slug": "taken"})
    org = Organization(slug=slug, name=name, settings={}, created_at=clock.now())
    session.add(org)
    await session.flush()
    return org


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    stmt = select(User).where(User.email == normalize_email(email))
    return (await session.execute(stmt)).scalar_one_or_none()


async def do_create_user(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password: str | None,
    passwords: Passwords,
) -> User:
    email = normalize_email(email)
    if "@" not in email or len(email) > 320:
        raise InvalidInput("that is not an email address", fields={"email": "invalid"})
    if await user_by_email(session, email) is not None:
        raise Conflict("a user with that email already exists", fields={"email": "taken"})
    password_hash = None
    if password is not None:
        problem = check_password_strength(password)
        if problem:
            raise InvalidInput(f"password refused: {problem}", fields={"password": problem})
        password_hash = passwords.hash(password)
    user = User(email=email, name=name, password_hash=password_hash, created_at=clock.now())
    session.add(user)
    await session.flush()
    return user


async def do_add_member(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    user_id: uuid.UUID,
    role: Role,
    capacity: Mapping[str, int] | None = None,
    skills: Mapping[str, Any] | None = None,
) -> Membership:
    """Make a user a member of the organization, with an agent profile for routing."""
    stmt = select(Membership).where(
        Membership.organization_id == organization_id, Membership.user_id == user_id
    )
    if (await session.execute(stmt)).scalar_one_or_none() is not None:
        raise Conflict("that user is already a member of this organization")
    membership = Membership(
        organization_id=organization_id, user_id=user_id, role=role, created_at=clock.now()
    )
    profile = AgentProfile(
        organization_id=organization_id,
        user_id=user_id,
        presence=Presence.offline,
        capacity=dict(capacity or DEFAULT_CAPACITY),
        skills=dict(skills or {}),
        created_at=clock.now(),
    )
    session.add_all([membership, profile])
    await session.flush()
    return membership


async def do_create_api_key(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    name: str,
    role: Role = Role.admin,
    created_by_id: uuid.UUID | None = None,
) -> tuple[ApiKey, str]:
    """Returns the stored key and the secret, which is never shown again."""
    if created_by_id is not None:
        await access_member(session, organization_id=organization_id, user_id=created_by_id)
    prefix, secret = new_api_key()
    key = ApiKey(
        organization_id=organization_id,
        name=name,
        prefix=prefix,
        key_hash=digest(secret),
        role=role,
        created_by_id=created_by_id,
        created_at=clock.now(),
    )
    session.add(key)
    await session.flush()
    return key, secret
