"""Contacts: create, update, and merge two records of the same person."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.access import access_contact
from parley.actions.activity import record_activity
from parley.actors import Actor
from parley.errors import Conflict, InvalidInput
from parley.events import Audience, interaction_event, record_event
from parley.models import Contact, ContactIdentity, Interaction
from parley.models.enums import IdentityKind, Role
from parley.schemas.contacts import ContactRead


def normalize_identity(kind: IdentityKind, value: str) -> str:
    value = value.strip()
    if kind == IdentityKind.email:
        return value.lower()
    if kind in (IdentityKind.phone, IdentityKind.whatsapp):
        digits = re.sub(r"[^\d+]", "", value)
        return digits if digits.startswith("+") else "+" + digits.lstrip("+")
    return value


async def contact_by_identity(
    session: AsyncSession, *, organization_id: uuid.UUID, kind: IdentityKind, value: str
) -> Contact | None:
    stmt = (
        select(Contact)
        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
        .where(
            ContactIdentity.organization_id == organization_id,
            ContactIdentity.kind == kind,
            ContactIdentity.value == normalize_identity(kind, value),
        )
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _add_identities(
    session: AsyncSession, contact: Contact, identities: Iterable[tuple[IdentityKind, str]]
) -> None:
    for kind, raw in identities:
        value = normalize_identity(kind, raw)
        if not value or value == "+":
            continue
        stmt = select(ContactIdentity).where(
            ContactIdentity.organization_id == contact.organization_id,
            ContactIdentity.kind == kind,
            ContactIdentity.value == value,
        )
        found = (await session.execute(stmt)).scalar_one_or_none()
        if found is None:
            session.add(
                ContactIdentity(
                    organization_id=contact.organization_id,
                    contact_id=contact.id,
                    kind=kind,
                    value=value,
                    created_at=clock.now(),
                )
            )
        elif found.contact_id != contact.id:
            raise Conflict(
                f"{kind.value} {value} already belongs to another contact; merge the two instead",
                fields={kind.value: "belongs to another contact"},
            )
    await session.flush()


def _standard_identities(email: str | None, phone: str | None) -> list[tuple[IdentityKind, str]]:
    out: list[tuple[IdentityKind, str]] = []
    if email:
        out.append((IdentityKind.email, email))
    if phone:
        out.append((IdentityKind.phone, phone))
    return out


def _contact_event(session: AsyncSession, contact: Contact, type: str, **extra: Any) -> None:
    record_event(
        session,
        organization_id=contact.organization_id,
        type=type,
        audience=Audience(organization_id=contact.organization_id, contact_id=contact.id),
        data={"contact": ContactRead.model_validate(contact).model_dump(mode="json"), **extra},
    )


async def do_create_contact(
    session: AsyncSession,
    *,
    actor: Actor,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    identities: Iterable[tuple[IdentityKind, str]] = (),
) -> Contact:
    now = clock.now()
    contact = Contact(
        organization_id=actor.organization_id,
        name=name,
        email=normalize_identity(IdentityKind.email, email) if email else None,
        phone=normalize_identity(IdentityKind.phone, phone) if phone else None,
        attributes=dict(attributes or {}),
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    await session.flush()
    await _add_identities(session, contact, [*_standard_identities(email, phone), *identities])
    _contact_event(session, contact, "contact.created")
    return contact


async def do_update_contact(
    session: AsyncSession, *, actor: Actor, contact_id: uuid.UUID, changes: Mapping[str, Any]
) -> Contact:
    contact = await access_contact(
        session, organization_id=actor.organization_id, contact_id=contact_id, lock=True
    )
    if contact.merged_into_id is not None:
        raise Conflict("this contact was merged into another; update that one")
    unknown = set(changes) - {"name", "email", "phone", "attributes"}
    if unknown:
        raise InvalidInput("unknown contact fields", fields=dict.fromkeys(unknown, "unknown"))
    email, phone = changes.get("email"), changes.get("phone")
    await _add_identities(session, contact, _standard_identities(email, phone))
    if "name" in changes:
        contact.name = changes["name"]
    if email:
        contact.email = normalize_identity(IdentityKind.email, email)
    if phone:
        contact.phone = normalize_identity(IdentityKind.phone, phone)
    if "attributes" in changes:
        contact.attributes = {**contact.attributes, **changes["attributes"]}
    contact.updated_at = clock.now()
    await session.flush()
    _contact_event(session, contact, "contact.updated")
    return contact


async def do_merge_contacts(
    session: AsyncSession, *, actor: Actor, target_id: uuid.UUID, source_id: uuid.UUID
) -> Contact:
    """Merge ``source`` into ``target``.

    Its identities and interactions move; it is kept as a tombstone."""
    actor.require(Role.supervisor, "merging contacts")
    if target_id == source_id:
        raise InvalidInput("a contact cannot be merged into itself")
    org = actor.organization_id
    target = await access_contact(session, organization_id=org, contact_id=target_id, lock=True)
    source = await access_contact(session, organization_id=org, contact_id=source_id, lock=True)
    if target.merged_into_id or source.merged_into_id:
        raise Conflict("one of these contacts was already merged into another")
    await session.execute(
        update(ContactIdentity)
        .where(ContactIdentity.contact_id == source.id, ContactIdentity.organization_id == org)
        .values(contact_id=target.id)
    )
    moved = list(
        (
            await session.execute(
                select(Interaction).where(
                    Interaction.contact_id == source.id, Interaction.organization_id == org
                )
            )
        ).scalars()
    )
    for interaction in moved:
        interaction.contact_id = target.id
        record_activity(
            session, interaction, "contact_merged", actor, source=source.id, to=target.id
        )
    target.name = target.name or source.name
    target.email = target.email or source.email
    target.phone = target.phone or source.phone
    target.attributes = {**source.attributes, **target.attributes}
    target.updated_at = source.updated_at = clock.now()
    source.merged_into_id = target.id
    await session.flush()
    for interaction in moved:
        interaction_event(session, interaction, "interaction.updated", changed=["contact_id"])
    _contact_event(session, target, "contact.merged", merged_id=str(source.id))
    return target
