"""Races that agents and providers create every day, on both backends."""

from __future__ import annotations

import asyncio

from tests.factories import Tenant


async def test_two_agents_claiming_at_once_get_one_winner(tenant: Tenant) -> None:
    for _ in range(5):
        created = await tenant.create_interaction()
        url = f"/api/v1/interactions/{created['id']}/claim"
        a, b = await asyncio.gather(tenant.agent.client.post(url), tenant.agent2.client.post(url))
        assert sorted([a.status_code, b.status_code]) == [200, 409], (a.text, b.text)
        loser = a if a.status_code == 409 else b
        assert loser.json()["error"]["code"] == "illegal_transition"
        detail = (await tenant.api.get(f"/api/v1/interactions/{created['id']}")).json()
        assert [x["kind"] for x in detail["activity"]].count("claimed") == 1


async def test_concurrent_creates_get_unique_consecutive_numbers(tenant: Tenant) -> None:
    results = await asyncio.gather(*(tenant.create_interaction(text=None) for _ in range(20)))
    numbers = sorted(r["number"] for r in results)
    assert numbers == list(range(numbers[0], numbers[0] + 20))


async def test_concurrent_messages_keep_a_gapless_sequence(tenant: Tenant) -> None:
    created = await tenant.create_interaction()
    url = f"/api/v1/interactions/{created['id']}/messages"
    sent = await asyncio.gather(
        *(tenant.api.post(url, json={"text": f"part {n}"}) for n in range(15))
    )
    assert all(r.status_code == 201 for r in sent)
    detail = (await tenant.api.get(f"/api/v1/interactions/{created['id']}")).json()
    assert [m["seq"] for m in detail["messages"]] == list(range(1, 17))
    assert detail["message_count"] == 16
