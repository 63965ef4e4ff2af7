"""Coaching at the API boundary, on both backends: scorecards (weights normalised, validation),
reviews of completed interactions (scores checked against the criteria, the weighted total, the
activity row and the agent's event), who may read and acknowledge which review, the review queue
and its four filters, and other organizations' ids."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from parley import clock
from parley.models import Activity, Interaction, OutboxEvent
from parley.models.enums import Sentiment
from tests.factories import Tenant, settle

API = "/api/v1"
CRITERIA = [
    {"key": "greeting", "label": "Greeting", "weight": 1},
    {"key": "accuracy", "label": "Accuracy", "weight": 2, "description": "Right answer"},
    {"key": "empathy", "label": "Empathy", "weight": 1},
]


def fields(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == "invalid_input"
    found: dict[str, str] = body["fields"]
    return found


async def completed(
    tenant: Tenant,
    *,
    agent: str = "agent",
    queue_id: str | None = None,
    subject: str = "Needs a look",
    **values: Any,
) -> dict[str, Any]:
    """An interaction handled by ``agent`` and completed, then given analytics ``values``
    (csat, sentiment, breached flags; ``handle_s`` sets the assignment-to-completion time)."""
    person = getattr(tenant, agent)
    created = await tenant.create_interaction(
        subject=subject, queue_id=queue_id or str(tenant.queue.id)
    )
    r = await tenant.api.post(
        f"{API}/interactions/{created['id']}/assign", json={"user_id": str(person.user.id)}
    )
    assert r.status_code == 200, r.text
    r = await tenant.api.post(f"{API}/interactions/{created['id']}/complete", json={})
    assert r.status_code == 200, r.text
    await settle(tenant)
    handle_s = values.pop("handle_s", 60)
    now = clock.now()
    changes: dict[str, Any] = {
        "csat": None,
        "sentiment": Sentiment.neutral,
        "first_response_breached": False,
        "next_response_breached": False,
        "resolution_breached": False,
        "assigned_at": now - timedelta(seconds=handle_s),
        "completed_at": now,
        **values,
    }
    async with tenant.db.transaction() as s:
        await s.execute(
            update(Interaction).where(Interaction.id == uuid.UUID(created["id"])).values(**changes)
        )
    return dict(r.json())


async def scorecard(tenant: Tenant, name: str = "Quality", **extra: Any) -> dict[str, Any]:
    r = await tenant.supervisor.client.post(
        f"{API}/scorecards", json={"name": name, "criteria": CRITERIA, **extra}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def review(
    tenant: Tenant, interaction: dict[str, Any], card: dict[str, Any], **extra: Any
) -> httpx.Response:
    body = {
        "interaction_id": interaction["id"],
        "scorecard_id": card["id"],
        "scores": {"greeting": 5, "accuracy": 3, "empathy": 4},
        "note": "Good greeting; check the order history before answering.",
        **extra,
    }
    return await tenant.supervisor.client.post(f"{API}/reviews", json=body)


# --- scorecards ---------------------------------------------------------------------------------


async def test_scorecard_weights_are_normalised_and_validated(tenant: Tenant) -> None:
    card = await scorecard(tenant)
    assert [c["weight"] for c in card["criteria"]] == [0.25, 0.5, 0.25]
    assert card["criteria"][1]["description"] == "Right answer"
    assert card["is_active"] is True

    sup = tenant.supervisor.client
    bad_weight = [{"key": "a", "label": "A", "weight": 0}]
    assert "criteria.0.weight" in fields(
        await sup.post(f"{API}/scorecards", json={"name": "X", "criteria": bad_weight})
    )
    negative = [{"key": "a", "label": "A", "weight": -1}]
    assert "criteria.0.weight" in fields(
        await sup.post(f"{API}/scorecards", json={"name": "X", "criteria": negative})
    )
    twice = [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]
    assert fields(await sup.post(f"{API}/scorecards", json={"name": "X", "criteria": twice})) == {
        "criteria.1.key": "duplicate"
    }
    bad_key = [{"key": "Not A Key!", "label": "A"}]
    assert "criteria.0.key" in fields(
        await sup.post(f"{API}/scorecards", json={"name": "X", "criteria": bad_key})
    )
    assert "criteria" in fields(
        await sup.post(f"{API}/scorecards", json={"name": "X", "criteria": []})
    )
    r = await sup.post(f"{API}/scorecards", json={"name": "Quality", "criteria": CRITERIA})
    assert r.status_code == 409, r.text

    # Agents read scorecards but do not define them.
    r = await tenant.agent.client.post(
        f"{API}/scorecards", json={"name": "Y", "criteria": CRITERIA}
    )
    assert r.status_code == 403, r.text
    r = await tenant.agent.client.get(f"{API}/scorecards")
    assert [c["name"] for c in r.json()] == ["Quality"]

    r = await sup.patch(
        f"{API}/scorecards/{card['id']}",
        json={"criteria": [{"key": "a", "label": "A", "weight": 3}, {"key": "b", "label": "B"}]},
    )
    assert r.status_code == 200, r.text
    assert [c["weight"] for c in r.json()["criteria"]] == [0.75, 0.25]
    r = await sup.patch(f"{API}/scorecards/{card['id']}", json={"is_active": False})
    assert r.json()["is_active"] is False
    r = await sup.get(f"{API}/scorecards", params={"active": "true"})
    assert r.json() == []
    r = await sup.delete(f"{API}/scorecards/{card['id']}")
    assert r.status_code == 204, r.text
    assert (await sup.get(f"{API}/scorecards/{card['id']}")).status_code == 404


# --- reviews ------------------------------------------------------------------------------------


async def test_a_review_scores_a_completed_interaction_and_reaches_the_agent(
    tenant: Tenant,
) -> None:
    card = await scorecard(tenant)
    item = await completed(tenant)
    r = await review(tenant, item, card)
    assert r.status_code == 201, r.text
    made = r.json()
    # 0.25 * 5/5 + 0.5 * 3/5 + 0.25 * 4/5 = 0.25 + 0.3 + 0.2 = 75%
    assert made["total"] == 75.0
    assert made["agent_id"] == str(tenant.agent.user.id)
    assert made["reviewer_id"] == str(tenant.supervisor.user.id)
    assert made["scorecard_name"] == "Quality"
    assert made["acknowledged_at"] is None
    assert made["scores"] == {"greeting": 5, "accuracy": 3, "empathy": 4}

    async with tenant.db.transaction() as s:
        activity = (
            await s.execute(
                select(Activity).where(
                    Activity.interaction_id == uuid.UUID(item["id"]), Activity.kind == "reviewed"
                )
            )
        ).scalar_one()
        events = (
            await s.execute(
                select(OutboxEvent.payload).where(
                    OutboxEvent.organization_id == tenant.org.id,
                    OutboxEvent.type == "review.created",
                )
            )
        ).scalars()
        [event] = list(events)
    assert activity.data == {"review_id": made["id"], "scorecard": "Quality"}
    assert activity.actor_id == tenant.supervisor.user.id
    assert event["review"]["id"] == made["id"]
    assert event["audience"]["user_ids"] == [
        str(tenant.agent.user.id),
        str(tenant.supervisor.user.id),
    ]
    assert event["audience"]["queue_ids"] == [] and event["audience"]["internal"] is True

    # The agent sees it (in "mine" and by id) and acknowledges it, once.
    agent = tenant.agent.client
    r = await agent.get(f"{API}/reviews", params={"mine": "true"})
    assert [x["id"] for x in r.json()["items"]] == [made["id"]]
    assert r.json()["items"][0]["note"].startswith("Good greeting")
    r = await agent.post(f"{API}/reviews/{made['id']}/acknowledge")
    assert r.status_code == 200, r.text
    first = r.json()["acknowledged_at"]
    assert first is not None
    r = await agent.post(f"{API}/reviews/{made['id']}/acknowledge")
    assert r.json()["acknowledged_at"] == first
    r = await tenant.supervisor.client.get(f"{API}/reviews", params={"acknowledged": "true"})
    assert [x["id"] for x in r.json()["items"]] == [made["id"]]
    # Only the coached agent acknowledges.
    r = await tenant.supervisor.client.post(f"{API}/reviews/{made['id']}/acknowledge")
    assert r.status_code == 403, r.text


async def test_review_validation(tenant: Tenant) -> None:
    card = await scorecard(tenant)
    item = await completed(tenant)
    missing = await review(tenant, item, card, scores={"greeting": 5, "accuracy": 3})
    assert fields(missing) == {"scores.empathy": "required"}
    unknown = await review(
        tenant, item, card, scores={"greeting": 5, "accuracy": 3, "empathy": 4, "speed": 2}
    )
    assert fields(unknown) == {"scores.speed": "not a criterion of this scorecard"}
    too_high = await review(tenant, item, card, scores={"greeting": 6, "accuracy": 3, "empathy": 4})
    assert "scores.greeting" in fields(too_high)
    negative = await review(
        tenant, item, card, scores={"greeting": -1, "accuracy": 3, "empathy": 0}
    )
    assert "scores.greeting" in fields(negative)

    open_item = await tenant.create_interaction()
    r = await review(tenant, open_item, card)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["fields"] == {"interaction_id": "not completed"}

    r = await tenant.agent.client.post(
        f"{API}/reviews",
        json={"interaction_id": item["id"], "scorecard_id": card["id"], "scores": {}},
    )
    assert r.status_code == 403, r.text

    r = await tenant.supervisor.client.patch(
        f"{API}/scorecards/{card['id']}", json={"is_active": False}
    )
    assert fields(await review(tenant, item, card)) == {"scorecard_id": "inactive"}
    r = await review(tenant, item, {"id": str(uuid.uuid4())})
    assert r.status_code == 404, r.text
    r = await tenant.supervisor.client.get(f"{API}/reviews")
    assert r.json()["items"] == []

    # A scorecard with reviews is kept (deactivated), not deleted.
    await tenant.supervisor.client.patch(f"{API}/scorecards/{card['id']}", json={"is_active": True})
    assert (await review(tenant, item, card)).status_code == 201
    r = await tenant.supervisor.client.delete(f"{API}/scorecards/{card['id']}")
    assert r.status_code == 409, r.text


async def test_totals_follow_the_weights(tenant: Tenant) -> None:
    card = await scorecard(tenant)
    item = await completed(tenant)
    for scores, total in (
        ({"greeting": 5, "accuracy": 5, "empathy": 5}, 100.0),
        ({"greeting": 0, "accuracy": 0, "empathy": 0}, 0.0),
        ({"greeting": 0, "accuracy": 5, "empathy": 0}, 50.0),
        ({"greeting": 1, "accuracy": 2, "empathy": 4}, 45.0),
    ):
        r = await review(tenant, item, card, scores=scores)
        assert r.status_code == 201, r.text
        assert r.json()["total"] == total, scores
    # Editing the scorecard later leaves past reviews as they were scored.
    r = await tenant.supervisor.client.patch(
        f"{API}/scorecards/{card['id']}", json={"criteria": [{"key": "x", "label": "X"}]}
    )
    assert r.status_code == 200
    r = await tenant.supervisor.client.get(f"{API}/reviews", params={"interaction_id": item["id"]})
    assert sorted(x["total"] for x in r.json()["items"]) == [0.0, 45.0, 50.0, 100.0]
    assert all(len(x["criteria"]) == 3 for x in r.json()["items"])


async def test_who_sees_which_review(tenant: Tenant) -> None:
    card = await scorecard(tenant)
    mine = (await review(tenant, await completed(tenant, agent="agent"), card)).json()
    theirs = (await review(tenant, await completed(tenant, agent="agent2"), card)).json()

    agent, agent2 = tenant.agent.client, tenant.agent2.client
    r = await agent.get(f"{API}/reviews")
    assert [x["id"] for x in r.json()["items"]] == [mine["id"]]
    # A colleague's coaching is as absent as a nonexistent review.
    r = await agent.get(f"{API}/reviews/{theirs['id']}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await agent.post(f"{API}/reviews/{theirs['id']}/acknowledge")
    assert r.status_code == 404, r.text
    r = await agent2.get(f"{API}/reviews/{theirs['id']}")
    assert r.status_code == 200
    r = await tenant.supervisor.client.get(f"{API}/reviews")
    assert {x["id"] for x in r.json()["items"]} == {mine["id"], theirs["id"]}
    r = await tenant.api.get(f"{API}/reviews", params={"agent_id": str(tenant.agent2.user.id)})
    assert [x["id"] for x in r.json()["items"]] == [theirs["id"]]

    # A queue the supervisor is not a member of: its interactions cannot be reviewed by them,
    # and reviews of them (by an admin) are invisible to them.
    r = await tenant.admin.client.post(
        f"{API}/queues", json={"name": "VIP", "member_ids": [str(tenant.agent.user.id)]}
    )
    assert r.status_code == 201, r.text
    vip = await completed(tenant, queue_id=r.json()["id"], subject="VIP", csat=1)
    r = await review(tenant, vip, card)
    assert r.status_code == 404, r.text
    r = await tenant.admin.client.post(
        f"{API}/reviews",
        json={
            "interaction_id": vip["id"],
            "scorecard_id": card["id"],
            "scores": {"greeting": 1, "accuracy": 1, "empathy": 1},
        },
    )
    assert r.status_code == 201, r.text
    vip_review = r.json()
    r = await tenant.supervisor.client.get(f"{API}/reviews/{vip_review['id']}")
    assert r.status_code == 404
    r = await tenant.supervisor.client.get(f"{API}/coaching/queue")
    assert vip["id"] not in {x["interaction"]["id"] for x in r.json()["items"]}
    # ...but the agent it coaches reads it.
    r = await agent.get(f"{API}/reviews/{vip_review['id']}")
    assert r.status_code == 200


# --- the review queue ---------------------------------------------------------------------------


async def test_the_review_queue_filters(tenant: Tenant) -> None:
    low = await completed(tenant, subject="low", csat=2)
    happy = await completed(tenant, subject="happy", csat=5)
    negative = await completed(tenant, subject="negative", sentiment=Sentiment.negative)
    breached = await completed(tenant, subject="breached", resolution_breached=True)
    long = await completed(tenant, subject="long", handle_s=3 * 3600)
    await tenant.create_interaction(subject="still open")

    sup = tenant.supervisor.client

    async def ids(**params: Any) -> list[str]:
        r = await sup.get(f"{API}/coaching/queue", params=params)
        assert r.status_code == 200, r.text
        return [x["interaction"]["id"] for x in r.json()["items"]]

    assert await ids(reason="low_csat") == [low["id"]]
    assert await ids(reason="negative") == [negative["id"]]
    assert await ids(reason="sla_breached") == [breached["id"]]
    assert await ids(reason="long_handle") == [long["id"]]
    everything = await ids()
    assert set(everything) == {low["id"], negative["id"], breached["id"], long["id"]}
    assert happy["id"] not in everything
    assert set(await ids(reason=["low_csat", "negative"])) == {low["id"], negative["id"]}
    assert await ids(reason="long_handle", handle_over_s=4 * 3600) == []
    assert set(await ids(reason="low_csat", csat_max=5)) == {low["id"], happy["id"]}
    assert fields(await sup.get(f"{API}/coaching/queue", params={"reason": "bogus"}))

    r = await sup.get(f"{API}/coaching/queue", params={"reason": "long_handle"})
    [entry] = r.json()["items"]
    assert entry["reasons"] == ["long_handle"]
    assert 3 * 3600 - 5 <= entry["handle_s"] <= 3 * 3600 + 5
    assert entry["review_count"] == 0

    # Reviewed interactions leave the queue unless asked for.
    card = await scorecard(tenant)
    assert (await review(tenant, low, card)).status_code == 201
    assert await ids(reason="low_csat") == []
    r = await sup.get(f"{API}/coaching/queue", params={"reason": "low_csat", "include_reviewed": 1})
    assert [x["review_count"] for x in r.json()["items"]] == [1]

    r = await tenant.agent.client.get(f"{API}/coaching/queue")
    assert r.status_code == 403, r.text


# --- other organizations ------------------------------------------------------------------------


async def test_other_organizations_reviews_and_scorecards_are_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = tenant, other_tenant
    b_card = await scorecard(b)
    b_item = await completed(b, csat=1)
    b_review = (await review(b, b_item, b_card)).json()
    a_card = await scorecard(a)
    a_item = await completed(a)
    for client in (a.api, a.admin.client, a.supervisor.client):
        for url in (f"{API}/scorecards/{b_card['id']}", f"{API}/reviews/{b_review['id']}"):
            r = await client.get(url)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", url
        r = await client.post(f"{API}/reviews/{b_review['id']}/acknowledge")
        assert r.status_code in (403, 404), r.text
        assert (await client.get(f"{API}/reviews")).json()["items"] == []
        assert (await client.get(f"{API}/scorecards")).json() == [a_card]
        queue = (await client.get(f"{API}/coaching/queue")).json()["items"]
        assert b_item["id"] not in {x["interaction"]["id"] for x in queue}
    # B's interaction with A's scorecard, and A's interaction with B's scorecard: both 404.
    r = await review(a, b_item, a_card)
    assert r.status_code == 404, r.text
    r = await review(a, a_item, b_card)
    assert r.status_code == 404, r.text
    r = await b.api.get(f"{API}/reviews/{b_review['id']}")
    assert r.status_code == 200 and r.json()["acknowledged_at"] is None
