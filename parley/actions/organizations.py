"""Organizations, their people and their API keys."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_api_key, access_member
from parley.actors import Actor
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


async def do_revoke_api_key(
    session: AsyncSession, *, actor: Actor, api_key_id: uuid.UUID
) -> ApiKey:
    """Revoke a key: it stops authenticating at once (``principal_from_api_key`` skips revoked
    keys). Revoking a revoked key changes nothing, so a retried request is harmless."""
    actor.require(Role.admin, "managing API keys")
    key = await access_api_key(
        session, organization_id=actor.organization_id, api_key_id=api_key_id, lock=True
    )
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await session.flush()
    return key


@dataclass(frozen=True)
class NewMember:
    user: User
    membership: Membership
    # Set only when Parley chose the password: shown to the admin once, stored only as a hash.
    generated_password: str | None
    # The email already had an account (in another organization): its name and password stay.
    existing_account: bool


async def do_add_person(
    session: AsyncSession,
    *,
    actor: Actor,
    email: str,
    name: str,
    role: Role,
    password: str | None,
    passwords: Passwords,
) -> NewMember:
    """Make the person with this email a member, creating their account if there is none.

    An existing account is only given a membership: another organization's admin must not be
    able to rename it or set its password."""
    actor.require(Role.admin, "adding people")
    user = await user_by_email(session, email)
    if user is not None:
        membership = await _add_member_once(session, actor.organization_id, user.id, role)
        return NewMember(user, membership, None, existing_account=True)
    generated = None if password else secrets.token_urlsafe(12)
    user = await do_create_user(
        session, email=email, name=name, password=password or generated, passwords=passwords
    )
    membership = await _add_member_once(session, actor.organization_id, user.id, role)
    return NewMember(user, membership, generated, existing_account=False)


async def _add_member_once(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> Membership:
    try:
        return await do_add_member(
            session, organization_id=organization_id, user_id=user_id, role=role
        )
    except Conflict as exc:
        raise Conflict(exc.message, fields={"email": "already a member"}) from None


async def do_set_member_role(
    session: AsyncSession, *, actor: Actor, user_id: uuid.UUID, role: Role
) -> Membership:
    """Change a member's role; it applies to their next request (sessions read it each time).

    The last admin cannot step down: nobody would be left to manage the organization."""
    actor.require(Role.admin, "changing roles")
    _, membership = await access_member(
        session, organization_id=actor.organization_id, user_id=user_id
    )
    if membership.role == Role.admin and role != Role.admin:
        # Locked, so two admins demoting each other at once cannot both succeed.
        admins = await session.execute(
            select(Membership.id)
            .where(
                Membership.organization_id == actor.organization_id,
                Membership.role == Role.admin,
            )
            .with_for_update()
        )
        if len(admins.all()) <= 1:
            raise Conflict(
                "the organization needs at least one admin", fields={"role": "last admin"}
            )
    membership.role = role
    await session.flush()
    return membership
