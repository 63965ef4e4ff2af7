"""The routing API at the boundary, on both backends: agents and presence, capacity validation,
queue metrics, the supervisor's board, and who sees which queue's interactions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from parley.actions import lifecycle as lc
from parley.actions.messages import do_add_message
from parley.actions.queues import do_create_queue
from parley.models import Interaction
from parley.models.enums import MessageRole
from parley.routing.decide import DEFAULT_CAPACITY
from tests.factories import Tenant
from tests.test_routing_engine import act, new_work

API = "/api/v1"


def fields(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == "invalid_input"
    found: dict[str, str] = body["fields"]
    return found


# --- agents and presence ----------------------------------------------------------------------


async def test_agents_list_everyone_with_presence_capacity_load_and_queues(tenant: Tenant) -> None:
    response = await tenant.agent.client.get(f"{API}/agents")
    assert response.status_code == 200, response.text
    agents = {a["user_id"]: a for a in response.json()}
    people = (tenant.admin, tenant.supervisor, tenant.agent, tenant.agent2)
    assert set(agents) == {str(p.user.id) for p in people}
    agent2 = agents[str(tenant.agent2.user.id)]
    assert agent2["presence"] == "offline"  # never signed on
    # Members start with the default capacity per communication type, and no work.
    assert (agent2["capacity"], agent2["load"], agent2["open"]) == (dict(DEFAULT_CAPACITY), {}, 0)
    assert sorted(agent2["queue_ids"]) == sorted([str(tenant.queue.id), str(tenant.queue2.id)])
    assert agents[str(tenant.admin.user.id)]["queue_ids"] == []


async def test_one_agent_by_id_and_unknown_ids_are_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    me = await tenant.agent.client.get(f"{API}/agents/{tenant.agent.user.id}")
    assert me.status_code == 200 and me.json()["name"] == tenant.agent.user.name
    for unknown in (uuid.uuid4(), "not-an-id", other_tenant.agent.user.id):
        response = await tenant.supervisor.client.get(f"{API}/agents/{unknown}")
        assert response.status_code == 404, unknown


async def test_an_agent_sets_their_own_presence(tenant: Tenant) -> None:
    response = await tenant.agent.client.put(f"{API}/me/presence", json={"presence": "available"})
    assert response.status_code == 200, response.text
    assert response.json()["presence"] == "available"
    assert response.json()["presence_changed_at"] is not None
    shown = await tenant.supervisor.client.get(f"{API}/agents/{tenant.agent.user.id}")
    assert shown.json()["presence"] == "available"
    bad = await tenant.agent.client.put(f"{API}/me/presence", json={"presence": "busy"})
    assert bad.status_code == 422


async def test_only_supervisors_set_someone_elses_presence(tenant: Tenant) -> None:
    url = f"{API}/agents/{tenant.agent2.user.id}/presence"
    denied = await tenant.agent.client.put(url, json={"presence": "available"})
    assert denied.status_code == 403
    allowed = await tenant.supervisor.client.put(url, json={"presence": "away"})
    assert allowed.status_code == 200 and allowed.json()["presence"] == "away"


async def test_an_api_key_has_no_presence_of_its_own(tenant: Tenant) -> None:
    response = await tenant.api.put(f"{API}/me/presence", json={"presence": "available"})
    assert response.status_code == 422


async def test_a_supervisor_sets_capacity_and_skills(tenant: Tenant) -> None:
    url = f"{API}/agents/{tenant.agent.user.id}"
    body = {"capacity": {"chat": 4, "email": 2}, "skills": {"spanish": 3}}
    response = await tenant.supervisor.client.patch(url, json=body)
    assert response.status_code == 200, response.text
    assert (response.json()["capacity"], response.json()["skills"]) == (
        {"chat": 4, "email": 2},
        {"spanish": 3},
    )
    denied = await tenant.agent.client.patch(url, json={"capacity": {"chat": 50}})
    assert denied.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"capacity": {"chat": -1}}, "capacity.chat"),
        ({"capacity": {"chat": 101}}, "capacity.chat"),
        ({"capacity": {"chat": "3"}}, "capacity.chat"),
        ({"capacity": {"chat": True}}, "capacity.chat"),
        ({"capacity": {"chat": 2.5}}, "capacity.chat"),
        ({"capacity": {"fax": 1}}, "capacity.fax"),
        ({"skills": {"spanish": 0}}, "skills.spanish"),
        ({"skills": {"spanish": 11}}, "skills.spanish"),
    ],
)
async def test_capacity_and_skills_are_validated_with_field_names(
    tenant: Tenant, body: dict[str, Any], field: str
) -> None:
    url = f"{API}/agents/{tenant.agent.user.id}"
    before = (await tenant.supervisor.client.get(url)).json()
    response = await tenant.supervisor.client.patch(url, json=body)
    assert field in fields(response)
    assert (await tenant.supervisor.client.get(url)).json() == before


async def test_an_empty_agent_update_is_refused(tenant: Tenant) -> None:
    url = f"{API}/agents/{tenant.agent.user.id}"
    response = await tenant.supervisor.client.patch(url, json={})
    assert response.status_code == 422


async def test_drain_is_for_supervisors(tenant: Tenant) -> None:
    url = f"{API}/queues/{tenant.queue.id}/drain"
    assert (await tenant.agent.client.post(url)).status_code == 403
    accepted = await tenant.supervisor.client.post(url)
    assert accepted.status_code == 202
    assert accepted.json() == {"queue_id": str(tenant.queue.id), "status": "routing requested"}


# --- queue metrics ----------------------------------------------------------------------------


async def _answered(tenant: Tenant, created: datetime, reply_s: int, done_s: int) -> uuid.UUID:
    """Created at ``created``, first agent reply after ``reply_s``, completed after ``done_s``."""
    work = await new_work(tenant, created)
    await act(
        tenant,
        created + timedelta(seconds=reply_s),
        lambda s: do_add_message(
            s, actor=tenant.agent.actor, interaction_id=work, role=MessageRole.agent, text="Hi!"
        ),
    )
    await act(
        tenant,
        created + timedelta(seconds=done_s),
        lambda s: lc.do_complete(s, actor=tenant.agent.actor, interaction_id=work),
    )
    return work


async def _metrics_world(tenant: Tenant, now: datetime) -> None:
    """A manual queue's last hour, anchored on the wall clock the live server reads."""
    for waited in (timedelta(seconds=10), timedelta(minutes=2), timedelta(minutes=20)):
        await new_work(tenant, now - waited)
    await new_work(tenant, now - timedelta(hours=2))
    await _answered(tenant, now - timedelta(minutes=30), reply_s=20, done_s=320)
    await _answered(tenant, now - timedelta(minutes=40), reply_s=100, done_s=400)
    # The customer gave up before anyone answered.
    gone = await new_work(tenant, now - timedelta(minutes=50))
    async with tenant.db.transaction() as s:
        await s.execute(
            update(Interaction)
            .where(Interaction.id == gone)
            .values(abandoned_at=now - timedelta(minutes=49))
        )
    await act(
        tenant,
        now - timedelta(minutes=49),
        lambda s: lc.do_complete(s, actor=tenant.system, interaction_id=gone),
    )


async def test_queue_metrics(tenant: Tenant) -> None:
    now = datetime.now(UTC)
    await _metrics_world(tenant, now)
    response = await tenant.supervisor.client.get(f"{API}/queues/{tenant.queue.id}/metrics")
    assert response.status_code == 200, response.text
    m = response.json()
    assert (m["name"], m["waiting"], m["assigned"], m["wrap_up"]) == ("Support", 4, 0, 0)
    assert 7200 <= m["longest_wait_s"] < 7200 + 120
    assert [(b["label"], b["count"]) for b in m["aging"]] == [
        ("< 1 min", 1),
        ("1-5 min", 1),
        ("5-15 min", 0),
        ("15-60 min", 1),
        ("> 1 h", 1),
    ]
    # Answered after 20 s (within the default 60 s target) and 100 s; one abandoned.
    assert (m["offered"], m["answered"], m["answered_within_target"]) == (3, 2, 1)
    assert (m["target_s"], m["service_level"], m["abandoned"]) == (60, 0.3333, 1)
    assert m["average_first_response_s"] == 60.0
    assert m["average_handle_time_s"] == 300.0  # from the first reply (assignment) to completion
    assert (m["agents_total"], m["agents_available"]) == (3, 0)


async def test_queue_metrics_over_a_window(tenant: Tenant) -> None:
    now = datetime.now(UTC)
    await _metrics_world(tenant, now)
    since = (now - timedelta(minutes=35)).isoformat()
    response = await tenant.supervisor.client.get(
        f"{API}/queues/{tenant.queue.id}/metrics", params={"since": since}
    )
    m = response.json()
    assert (m["offered"], m["answered"], m["service_level"], m["abandoned"]) == (1, 1, 1.0, 0)
    naive = await tenant.supervisor.client.get(
        f"{API}/queues/{tenant.queue.id}/metrics", params={"since": "2026-01-31T09:00:00"}
    )
    assert naive.status_code == 422


async def test_an_empty_queue_has_no_averages(tenant: Tenant) -> None:
    response = await tenant.supervisor.client.get(f"{API}/queues/{tenant.queue2.id}/metrics")
    m = response.json()
    assert (m["waiting"], m["longest_wait_s"], m["service_level"]) == (0, None, None)
    assert (m["average_first_response_s"], m["average_handle_time_s"]) == (None, None)


async def test_queue_metrics_follow_queue_visibility(tenant: Tenant) -> None:
    billing = f"{API}/queues/{tenant.queue2.id}/metrics"
    assert (await tenant.agent.client.get(billing)).status_code == 404  # not a Billing member
    assert (await tenant.agent2.client.get(billing)).status_code == 200
    assert (await tenant.admin.client.get(billing)).status_code == 200
    assert (
        await tenant.agent.client.get(f"{API}/queues/{uuid.uuid4()}/metrics")
    ).status_code == 404


# --- the board --------------------------------------------------------------------------------


async def test_the_board_is_for_supervisors(tenant: Tenant) -> None:
    response = await tenant.agent.client.get(f"{API}/board")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_the_board_shows_a_supervisors_queues_and_their_agents(tenant: Tenant) -> None:
    await new_work(tenant, datetime.now(UTC), queue=tenant.queue2)
    await tenant.agent2.client.put(f"{API}/me/presence", json={"presence": "away"})
    response = await tenant.supervisor.client.get(f"{API}/board")
    assert response.status_code == 200, response.text
    board = response.json()
    assert [q["name"] for q in board["queues"]] == ["Billing", "Support"]
    assert board["queues"][0]["waiting"] == 1
    agents = {a["user_id"]: a for a in board["agents"]}
    assert set(agents) == {
        str(p.user.id) for p in (tenant.supervisor, tenant.agent, tenant.agent2)
    }  # the admin works no queue of theirs
    assert agents[str(tenant.agent2.user.id)]["presence"] == "away"


async def test_an_admin_board_shows_everyone(tenant: Tenant) -> None:
    response = await tenant.admin.client.get(f"{API}/board")
    assert response.status_code == 200
    assert len(response.json()["agents"]) == 4


# --- visibility -------------------------------------------------------------------------------


async def _listed(client: httpx.AsyncClient, **params: str) -> set[str]:
    response = await client.get(f"{API}/interactions", params={"limit": "200", **params})
    assert response.status_code == 200, response.text
    return {i["id"] for i in response.json()["items"]}


async def test_an_agent_never_sees_another_queues_interactions(tenant: Tenant) -> None:
    support = (await tenant.create_interaction())["id"]
    billing = (await tenant.create_interaction(queue_id=str(tenant.queue2.id)))["id"]
    agent = tenant.agent.client
    assert (await agent.get(f"{API}/interactions/{support}")).status_code == 200
    assert (await agent.get(f"{API}/interactions/{billing}")).status_code == 404
    assert (await agent.post(f"{API}/interactions/{billing}/claim")).status_code == 404
    listed = await _listed(agent)
    assert support in listed and billing not in listed
    assert await _listed(agent, queue_id=str(tenant.queue2.id)) == set()


async def test_members_supervisors_and_admins_see_the_queue(tenant: Tenant) -> None:
    billing = (await tenant.create_interaction(queue_id=str(tenant.queue2.id)))["id"]
    for person in (tenant.agent2, tenant.supervisor, tenant.admin):
        assert (await person.client.get(f"{API}/interactions/{billing}")).status_code == 200
        assert billing in await _listed(person.client)


async def test_a_supervisor_does_not_see_queues_they_do_not_work(tenant: Tenant) -> None:
    async with tenant.db.transaction() as s:
        vip = await do_create_queue(
            s, actor=tenant.system, name="VIP", member_ids=[tenant.agent.user.id]
        )
    hidden = (await tenant.create_interaction(queue_id=str(vip.id)))["id"]
    supervisor = tenant.supervisor.client
    assert (await supervisor.get(f"{API}/interactions/{hidden}")).status_code == 404
    assert hidden not in await _listed(supervisor)
    assert (await tenant.agent.client.get(f"{API}/interactions/{hidden}")).status_code == 200
    assert (await tenant.admin.client.get(f"{API}/interactions/{hidden}")).status_code == 200


async def test_work_assigned_to_an_agent_is_theirs_to_see_whatever_the_queue(
    tenant: Tenant,
) -> None:
    billing = (await tenant.create_interaction(queue_id=str(tenant.queue2.id)))["id"]
    assigned = await tenant.supervisor.client.post(
        f"{API}/interactions/{billing}/assign", json={"user_id": str(tenant.agent.user.id)}
    )
    assert assigned.status_code == 200, assigned.text
    assert (await tenant.agent.client.get(f"{API}/interactions/{billing}")).status_code == 200
    assert billing in await _listed(tenant.agent.client)


async def test_overflow_that_would_loop_between_queues_is_refused(tenant: Tenant) -> None:
    api = tenant.api
    to_billing = {"overflow": {"when_no_agents": True, "queue_id": str(tenant.queue2.id)}}
    r = await api.patch(f"/api/v1/queues/{tenant.queue.id}", json=to_billing)
    assert r.status_code == 200, r.text
    back = {"overflow": {"when_no_agents": True, "queue_id": str(tenant.queue.id)}}
    r = await api.patch(f"/api/v1/queues/{tenant.queue2.id}", json=back)
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"overflow.queue_id": "leads back to this queue"}
    itself = {"overflow": {"after_s": 60, "queue_id": str(tenant.queue2.id)}}
    r = await api.patch(f"/api/v1/queues/{tenant.queue2.id}", json=itself)
    assert r.status_code == 422
