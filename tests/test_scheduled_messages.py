"""Send later: a reply scheduled through the API leaves at its time as its author's message, or is
cancelled or failed with a reason when something overtakes it, and the activity feed tells which.
The job runs under a moved clock, the way the live runner would run it once the time comes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from parley import clock
from parley.actions.messages import do_add_message
from parley.actions.scheduled import handlers
from parley.jobs.runner import JobRunner
from parley.models import Message
from parley.models.enums import MessageRole
from tests.factories import Person, Tenant


def soon(minutes: int = 30) -> datetime:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).replace(microsecond=0)


async def schedule(
    tenant: Tenant, who: Person, iid: str, *, status: int = 201, **body: Any
) -> dict[str, Any]:
    body.setdefault("text", "Following up: did the replacement arrive?")
    if "send_at" not in body:
        body["send_at"] = soon().isoformat()
    r = await who.client.post(f"/api/v1/interactions/{iid}/scheduled-messages", json=body)
    assert r.status_code == status, r.text
    found: dict[str, Any] = r.json()
    return found


async def run_at(tenant: Tenant, when: datetime) -> int:
    """Run the scheduled-message jobs due at ``when``."""
    with clock.frozen(when):
        return await JobRunner(tenant.db, handlers()).run_due()


async def claimed(tenant: Tenant) -> str:
    """An interaction the first agent owns."""
    created = await tenant.create_interaction()
    r = await tenant.agent.client.post(f"/api/v1/interactions/{created['id']}/claim")
    assert r.status_code == 200, r.text
    return str(created["id"])


async def agent_texts(tenant: Tenant, iid: str) -> list[Message]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Message)
            .where(Message.interaction_id == uuid.UUID(iid), Message.role == MessageRole.agent)
            .order_by(Message.seq)
        )
        return list(rows.scalars())


async def activity_kinds(tenant: Tenant, iid: str) -> list[str]:
    r = await tenant.api.get(f"/api/v1/interactions/{iid}/activity")
    assert r.status_code == 200, r.text
    return [a["kind"] for a in r.json()]


async def test_a_scheduled_reply_leaves_at_its_time_as_its_author(tenant: Tenant) -> None:
    iid = await claimed(tenant)
    row = await schedule(tenant, tenant.agent, iid, cancel_on_reply=False)
    assert row["status"] == "scheduled" and row["author_name"] == tenant.agent.user.name
    due = datetime.fromisoformat(row["send_at"])

    # Not before its time.
    assert await run_at(tenant, due - timedelta(seconds=5)) == 0
    assert await agent_texts(tenant, iid) == []

    assert await run_at(tenant, due + timedelta(seconds=1)) == 1
    [sent] = await agent_texts(tenant, iid)
    assert sent.text == "Following up: did the replacement arrive?"
    assert sent.author_id == tenant.agent.user.id and sent.meta["scheduled_id"] == row["id"]
    r = await tenant.agent.client.get(f"/api/v1/interactions/{iid}/scheduled-messages")
    [after] = r.json()
    assert after["status"] == "sent" and after["message_id"] == str(sent.id)
    kinds = await activity_kinds(tenant, iid)
    assert kinds.index("message_scheduled") < kinds.index("scheduled_message_sent")

    # The job running again (a retry after a crash) sends nothing twice.
    assert await run_at(tenant, due + timedelta(minutes=1)) == 0
    assert len(await agent_texts(tenant, iid)) == 1


async def test_a_customer_reply_first_cancels_it_when_asked(tenant: Tenant) -> None:
    iid = await claimed(tenant)
    row = await schedule(tenant, tenant.agent, iid)  # cancel_on_reply defaults to true
    async with tenant.db.transaction() as s:
        await do_add_message(
            s,
            actor=tenant.system,
            interaction_id=uuid.UUID(iid),
            role=MessageRole.customer,
            text="It arrived this morning, thanks!",
        )
    await run_at(tenant, datetime.fromisoformat(row["send_at"]) + timedelta(seconds=1))
    assert await agent_texts(tenant, iid) == []
    r = await tenant.agent.client.get(f"/api/v1/interactions/{iid}/scheduled-messages")
    [after] = r.json()
    assert (after["status"], after["reason"]) == ("cancelled", "the customer replied first")
    assert "scheduled_message_cancelled" in await activity_kinds(tenant, iid)


async def test_completing_the_interaction_fails_it_with_a_reason(tenant: Tenant) -> None:
    iid = await claimed(tenant)
    row = await schedule(tenant, tenant.agent, iid)
    r = await tenant.agent.client.post(
        f"/api/v1/interactions/{iid}/complete", json={"outcome": "resolved"}
    )
    assert r.status_code == 200, r.text
    await run_at(tenant, datetime.fromisoformat(row["send_at"]) + timedelta(seconds=1))
    assert await agent_texts(tenant, iid) == []
    r = await tenant.agent.client.get(f"/api/v1/interactions/{iid}/scheduled-messages")
    [after] = r.json()
    assert after["status"] == "failed" and "completed" in after["reason"]
    # A completed interaction takes no new schedule either.
    await schedule(tenant, tenant.agent, iid, status=409)


async def test_rescheduling_moves_it_and_the_old_time_sends_nothing(tenant: Tenant) -> None:
    iid = await claimed(tenant)
    row = await schedule(tenant, tenant.agent, iid, cancel_on_reply=False)
    first = datetime.fromisoformat(row["send_at"])
    later = first + timedelta(hours=2)
    r = await tenant.agent.client.patch(
        f"/api/v1/interactions/{iid}/scheduled-messages/{row['id']}",
        json={"send_at": later.isoformat(), "text": "Checking in again"},
    )
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["send_at"]) == later

    await run_at(tenant, first + timedelta(seconds=1))  # the first time's job: nothing to do
    assert await agent_texts(tenant, iid) == []
    await run_at(tenant, later + timedelta(seconds=1))
    assert [m.text for m in await agent_texts(tenant, iid)] == ["Checking in again"]


async def test_cancel_stops_it_and_only_author_or_supervisor_may(tenant: Tenant) -> None:
    iid = await claimed(tenant)
    row = await schedule(tenant, tenant.agent, iid)
    path = f"/api/v1/interactions/{iid}/scheduled-messages/{row['id']}/cancel"
    # agent2 cannot see this queue-1 interaction's... they can (same queue), but not cancel it.
    r = await tenant.agent2.client.post(path)
    assert r.status_code in (403, 404), r.text
    r = await tenant.supervisor.client.post(path)
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert r.json()["reason"] == f"cancelled by {tenant.supervisor.user.name}"
    r = await tenant.agent.client.post(path)
    assert r.status_code == 409, r.text  # already cancelled
    await run_at(tenant, datetime.fromisoformat(row["send_at"]) + timedelta(seconds=1))
    assert await agent_texts(tenant, iid) == []


async def test_bad_times_and_text_are_refused_readably(tenant: Tenant) -> None:
    iid = await claimed(tenant)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    r = await schedule(tenant, tenant.agent, iid, status=422, send_at=past)
    assert r["error"]["fields"]["send_at"] == "in the past"
    far = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    r = await schedule(tenant, tenant.agent, iid, status=422, send_at=far)
    assert r["error"]["fields"]["send_at"] == "too far ahead"
    naive = (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    await schedule(tenant, tenant.agent, iid, status=422, send_at=naive)
    await schedule(tenant, tenant.agent, iid, status=422, text="")
    # An API key is not a person: it posts the message when it is due instead.
    r = await tenant.api.post(
        f"/api/v1/interactions/{iid}/scheduled-messages",
        json={"text": "hello", "send_at": soon().isoformat()},
    )
    assert r.status_code == 403, r.text


async def test_another_tenant_sees_nothing(tenant: Tenant, other_tenant: Tenant) -> None:
    iid = await claimed(tenant)
    row = await schedule(tenant, tenant.agent, iid)
    base = f"/api/v1/interactions/{iid}/scheduled-messages"
    assert (await other_tenant.admin.client.get(base)).status_code == 404
    r = await other_tenant.admin.client.post(f"{base}/{row['id']}/cancel")
    assert r.status_code == 404
    r = await other_tenant.admin.client.patch(f"{base}/{row['id']}", json={"text": "x"})
    assert r.status_code == 404
    # A scheduled id named under another interaction of the same tenant is just as unknown.
    other = await claimed(tenant)
    r = await tenant.agent.client.post(
        f"/api/v1/interactions/{other}/scheduled-messages/{row['id']}/cancel"
    )
    assert r.status_code == 404, r.text


async def test_an_author_who_left_makes_it_fail_not_vanish(tenant: Tenant) -> None:
    iid = await claimed(tenant)
    row = await schedule(tenant, tenant.agent, iid, cancel_on_reply=False)
    from parley.models import Membership

    async with tenant.db.transaction() as s:
        membership = (
            await s.execute(
                select(Membership).where(
                    Membership.organization_id == tenant.org.id,
                    Membership.user_id == tenant.agent.user.id,
                )
            )
        ).scalar_one()
        await s.delete(membership)
    await run_at(tenant, datetime.fromisoformat(row["send_at"]) + timedelta(seconds=1))
    r = await tenant.supervisor.client.get(f"/api/v1/interactions/{iid}/scheduled-messages")
    [after] = r.json()
    assert after["status"] == "failed" and "no longer a member" in after["reason"]
