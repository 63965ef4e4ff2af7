"""Contacts: create with identities, update, and merge two records of one person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parley.actions import contacts as ca
from parley.actions import interactions as ia
from parley.actions.contacts import contact_by_identity
from parley.errors import Conflict, Forbidden
from parley.models import Activity, Contact, Interaction, OutboxEvent
from parley.models.enums import CommunicationType, Direction, IdentityKind
from tests.factories import Tenant


async def _events(tenant: Tenant, type: str) -> list[dict[str, object]]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(OutboxEvent.payload).where(
                OutboxEvent.organization_id == tenant.org.id, OutboxEvent.type == type
            )
        )
        return list(rows.scalars())


async def test_create_contact_registers_identities(tenant: Tenant) -> None:
    async with tenant.db.transaction() as s:
        c = await ca.do_create_contact(
            s,
            actor=tenant.agent.actor,
            name="Ann Lee",
            email="Ann.Lee@Example.COM",
            phone="+1 (415) 555-0100",
            identities=[(IdentityKind.whatsapp, "14155550100")],
        )
    assert (c.email, c.phone) == ("ann.lee@example.com", "+14155550100")
    async with tenant.db.transaction() as s:
        for kind, value in (
            (IdentityKind.email, "ANN.LEE@example.com"),
            (IdentityKind.phone, "+1 415 555 0100"),
            (IdentityKind.whatsapp, "+14155550100"),
        ):
            found = await contact_by_identity(
                s, organization_id=tenant.org.id, kind=kind, value=value
            )
            assert found is not None and found.id == c.id
    created = await _events(tenant, "contact.created")
    assert any(e["contact"]["id"] == str(c.id) for e in created)  # type: ignore[index]


async def test_identity_is_unique_per_organization_only(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    email = "shared@example.com"
    async with tenant.db.transaction() as s:
        await ca.do_create_contact(s, actor=tenant.system, email=email)
    with pytest.raises(Conflict):
        async with tenant.db.transaction() as s:
            await ca.do_create_contact(s, actor=tenant.system, email=email)
    # The same address is a different person to another business.
    async with other_tenant.db.transaction() as s:
        other = await ca.do_create_contact(s, actor=other_tenant.system, email=email)
    assert other.organization_id == other_tenant.org.id


async def test_update_contact_merges_attributes(tenant: Tenant) -> None:
    async with tenant.db.transaction() as s:
        c = await ca.do_create_contact(
            s, actor=tenant.system, name="Kim", attributes={"tier": "gold"}
        )
    async with tenant.db.transaction() as s:
        c = await ca.do_update_contact(
            s,
            actor=tenant.agent.actor,
            contact_id=c.id,
            changes={"name": "Kim Park", "attributes": {"city": "Leeds"}, "phone": "07700 900999"},
        )
    assert c.name == "Kim Park" and c.attributes == {"tier": "gold", "city": "Leeds"}
    assert c.phone == "+07700900999"
    assert len(await _events(tenant, "contact.updated")) == 1


async def test_merge_moves_identities_and_interactions(tenant: Tenant) -> None:
    async with tenant.db.transaction() as s:
        keep = await ca.do_create_contact(s, actor=tenant.system, name="Joe", email="joe@x.example")
        dupe = await ca.do_create_contact(
            s, actor=tenant.system, phone="+447700900555", attributes={"source": "sms"}
        )
        i = await ia.do_create_interaction(
            s,
            actor=tenant.system,
            direction=Direction.inbound,
            communication_type=CommunicationType.messaging,
            subtype="sms",
            contact_id=dupe.id,
        )
    with pytest.raises(Forbidden):
        async with tenant.db.transaction() as s:
            await ca.do_merge_contacts(
                s, actor=tenant.agent.actor, target_id=keep.id, source_id=dupe.id
            )
    async with tenant.db.transaction() as s:
        merged = await ca.do_merge_contacts(
            s, actor=tenant.supervisor.actor, target_id=keep.id, source_id=dupe.id
        )
    assert merged.phone == "+447700900555" and merged.attributes == {"source": "sms"}
    async with tenant.db.transaction() as s:
        found = await contact_by_identity(
            s, organization_id=tenant.org.id, kind=IdentityKind.phone, value="+447700900555"
        )
        assert found is not None and found.id == keep.id
        moved = await s.get(Interaction, i.id)
        assert moved is not None and moved.contact_id == keep.id
        tomb = await s.get(Contact, dupe.id)
        assert tomb is not None and tomb.merged_into_id == keep.id
        kinds = (
            await s.execute(select(Activity.kind).where(Activity.interaction_id == i.id))
        ).scalars()
        assert "contact_merged" in list(kinds)
    assert len(await _events(tenant, "contact.merged")) == 1
    with pytest.raises(Conflict):
        async with tenant.db.transaction() as s:
            await ca.do_merge_contacts(
                s, actor=tenant.supervisor.actor, target_id=keep.id, source_id=dupe.id
            )
