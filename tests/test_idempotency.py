"""api-idempotency: ``Idempotency-Key`` with Stripe's semantics, on the live server and on a small
in-process app (for the answers a real endpoint cannot be made to give on demand: 5xx, a crash,
a request held in flight)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from parley import clock
from parley.actions.organizations import do_create_api_key
from parley.api.deps import Services
from parley.api.idempotency import Idempotency
from parley.config import Settings
from parley.db.engine import Database
from parley.models import IdempotencyKey
from parley.realtime.hub import MemoryHub
from tests.factories import PASSWORDS, Tenant

API = "/api/v1"


def keyed(key: str | None = None) -> dict[str, str]:
    return {"Idempotency-Key": key or str(uuid.uuid4())}


async def contact_count(tenant: Tenant) -> int:
    r = await tenant.api.get(f"{API}/contacts", params={"limit": 200})
    return len(r.json()["items"])


async def test_same_key_same_body_replays_the_first_answer(tenant: Tenant) -> None:
    before = await contact_count(tenant)
    headers = keyed()
    first = await tenant.api.post(
        f"{API}/contacts", json={"name": "Ada", "email": "ada@example.org"}, headers=headers
    )
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    # Same JSON content, other key order and spacing: the same request.
    again = await tenant.api.post(
        f"{API}/contacts",
        content=b'{ "email": "ada@example.org",  "name": "Ada" }',
        headers={**headers, "content-type": "application/json"},
    )
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await contact_count(tenant) == before + 1


async def test_same_key_other_request_is_422(tenant: Tenant) -> None:
    headers = keyed()
    r = await tenant.api.post(f"{API}/contacts", json={"name": "One"}, headers=headers)
    assert r.status_code == 201
    for path, body in ((f"{API}/contacts", {"name": "Two"}), (f"{API}/queues", {"name": "One"})):
        r = await tenant.api.post(path, json=body, headers=headers)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "idempotency_key_reused"
    r = await tenant.api.post(f"{API}/contacts", json={"name": "x"}, headers=keyed("k" * 256))
    assert r.status_code == 422 and "idempotency-key" in r.json()["error"]["fields"]


async def test_keys_belong_to_their_sender(tenant: Tenant, other_tenant: Tenant) -> None:
    """Two API keys, a person, and another organization may all use the same key."""
    async with tenant.db.transaction() as s:
        _, second_key = await do_create_api_key(s, organization_id=tenant.org.id, name="second")
    headers = keyed()
    body = {"name": "Shared key"}
    ids = set()
    async with httpx.AsyncClient(
        base_url=str(tenant.api.base_url), headers={"Authorization": f"Bearer {second_key}"}
    ) as second:
        for client in (tenant.api, second, tenant.admin.client, other_tenant.api):
            r = await client.post(f"{API}/contacts", json=body, headers=headers)
            assert r.status_code == 201, r.text
            assert "idempotent-replayed" not in r.headers
            ids.add(r.json()["id"])
    assert len(ids) == 4


async def test_client_errors_are_kept_and_auth_failures_keep_nothing(
    tenant: Tenant, db: Database
) -> None:
    headers = keyed()
    missing = {"communication_type": "chat", "queue_id": str(uuid.uuid4())}
    first = await tenant.api.post(f"{API}/interactions", json=missing, headers=headers)
    assert first.status_code == 404
    again = await tenant.api.post(f"{API}/interactions", json=missing, headers=headers)
    assert again.headers.get("idempotent-replayed") == "true" and again.content == first.content

    anonymous = httpx.AsyncClient(base_url=str(tenant.api.base_url))
    async with anonymous:
        r = await anonymous.post(f"{API}/contacts", json={"name": "x"}, headers=headers)
    assert r.status_code == 401
    # A signed-in person without the CSRF token is refused by the endpoint as usual.
    r = await tenant.agent.client.post(
        f"{API}/contacts", json={"name": "x"}, headers={**headers, "X-CSRF-Token": "wrong"}
    )
    assert r.status_code == 403
    async with db.transaction() as s:
        rows = (
            await s.execute(
                select(IdempotencyKey).where(IdempotencyKey.key == headers["Idempotency-Key"])
            )
        ).scalars()
        assert [row.status_code for row in rows] == [404]


async def test_kept_for_24_hours(tenant: Tenant, db: Database) -> None:
    headers = keyed()
    r = await tenant.api.post(f"{API}/contacts", json={"name": "Day one"}, headers=headers)
    assert r.status_code == 201
    async with db.transaction() as s:
        row = (
            await s.execute(
                select(IdempotencyKey).where(IdempotencyKey.key == headers["Idempotency-Key"])
            )
        ).scalar_one()
        kept = row.expires_at - row.created_at
        assert timedelta(hours=23, minutes=59) < kept <= timedelta(hours=24, seconds=1)
        await s.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == row.id)
            .values(expires_at=clock.now() - timedelta(seconds=1))
        )
    again = await tenant.api.post(f"{API}/contacts", json={"name": "Day one"}, headers=headers)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert again.json()["id"] != r.json()["id"]  # the key was free again: the request ran


async def test_concurrent_duplicates_create_one_object(tenant: Tenant) -> None:
    before = await contact_count(tenant)
    headers = keyed()
    answers = await asyncio.gather(
        *(
            tenant.api.post(f"{API}/contacts", json={"name": "Racer"}, headers=headers)
            for _ in range(8)
        )
    )
    created = [r for r in answers if r.status_code == 201]
    assert created and {r.content for r in created} == {created[0].content}
    for r in answers:
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "idempotency_in_progress"
            assert r.headers["retry-after"] == "1"
        else:
            assert r.status_code == 201, r.text
    assert await contact_count(tenant) == before + 1


# --- the middleware on a small in-process app -------------------------------------------------


class Script:
    """What the test endpoint does next, and how often it ran."""

    def __init__(self) -> None:
        self.runs = 0
        self.status = 201
        self.crash = False
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()


@pytest.fixture
async def script_app(
    db: Database, settings: Settings, tenant: Tenant
) -> AsyncIterator[tuple[httpx.AsyncClient, Script]]:
    script = Script()

    async def endpoint(request: Request) -> Response:
        script.runs += 1
        script.entered.set()
        if script.gate is not None:
            await script.gate.wait()
        if script.crash:
            raise RuntimeError("boom")
        return JSONResponse({"run": script.runs}, status_code=script.status)

    app = Starlette(
        routes=[Route(f"{API}/things", endpoint, methods=["POST"])],
        middleware=[Middleware(Idempotency)],
    )
    app.state.services = Services(settings, db, PASSWORDS, MemoryHub())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://parley.test",
        headers={"Authorization": f"Bearer {tenant.api_key}"},
    ) as client:
        yield client, script


async def test_server_errors_and_conflicts_are_not_kept(
    script_app: tuple[httpx.AsyncClient, Script],
) -> None:
    client, script = script_app
    headers = keyed()
    for status in (500, 503, 409, 429):
        script.status = status
        r = await client.post(f"{API}/things", json={"a": 1}, headers=headers)
        assert r.status_code == status
    script.crash = True
    r = await client.post(f"{API}/things", json={"a": 1}, headers=headers)
    assert r.status_code == 500
    script.crash, script.status = False, 201
    r = await client.post(f"{API}/things", json={"a": 1}, headers=headers)
    assert r.status_code == 201 and r.json() == {"run": 6}
    r = await client.post(f"{API}/things", json={"a": 1}, headers=headers)
    assert r.json() == {"run": 6} and r.headers["idempotent-replayed"] == "true"
    assert script.runs == 6


async def test_a_duplicate_while_the_first_runs_is_409_then_replayed(
    script_app: tuple[httpx.AsyncClient, Script],
) -> None:
    client, script = script_app
    headers = keyed()
    script.gate = asyncio.Event()
    first = asyncio.create_task(client.post(f"{API}/things", json={"a": 1}, headers=headers))
    await asyncio.wait_for(script.entered.wait(), 10)
    r = await client.post(f"{API}/things", json={"a": 1}, headers=headers)
    assert r.status_code == 409 and r.headers["retry-after"] == "1"
    assert r.json()["error"]["code"] == "idempotency_in_progress"
    r = await client.post(f"{API}/things", json={"a": 2}, headers=headers)
    assert r.status_code == 422  # a different request is refused even while the first runs
    script.gate.set()
    assert (await first).status_code == 201
    r = await client.post(f"{API}/things", json={"a": 1}, headers=headers)
    assert r.status_code == 201 and r.headers["idempotent-replayed"] == "true"
    assert script.runs == 1


async def test_an_abandoned_claim_expires_after_its_lease(
    script_app: tuple[httpx.AsyncClient, Script], db: Database, tenant: Tenant
) -> None:
    """A process that died after claiming the key: the retry gets 409 until the lease ends."""
    client, script = script_app
    headers = keyed()
    script.gate = asyncio.Event()
    task = asyncio.create_task(client.post(f"{API}/things", json={}, headers=headers))
    await asyncio.wait_for(script.entered.wait(), 10)
    task.cancel()  # the request dies mid-way; its claim stays behind
    with pytest.raises(asyncio.CancelledError):
        await task
    script.gate = None
    r = await client.post(f"{API}/things", json={}, headers=headers)
    assert r.status_code == 409
    async with db.transaction() as s:
        await s.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.organization_id == tenant.org.id,
                IdempotencyKey.key == headers["Idempotency-Key"],
            )
            .values(expires_at=clock.now() - timedelta(seconds=1))
        )
    r = await client.post(f"{API}/things", json={}, headers=headers)
    assert r.status_code == 201 and r.json() == {"run": 2}


async def test_without_a_key_nothing_changes(
    script_app: tuple[httpx.AsyncClient, Script],
) -> None:
    client, script = script_app
    for _ in range(2):
        r = await client.post(f"{API}/things", json={"a": 1})
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert script.runs == 2
