"""Flows' ``call_webhook``: the URL is SSRF-checked when a flow is saved and before each call; the
request is signed with the organization's flow secret and keeps its webhook-id across retries."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from parley import clock
from parley.config import Settings
from parley.db.engine import Database
from parley.errors import InvalidInput
from parley.flows.store import do_save_flow, do_set_flow_active
from parley.jobs.queue import SCHEDULE, enqueue
from parley.models import Job
from parley.security.ssrf import UnsafeUrl
from parley.webhooks.flow import KIND, CallFlowWebhook
from tests.factories import Tenant
from tests.providers import Sandbox, wait_for
from tests.providers.webhooks import answer, calls, receiver_url
from tests.test_webhooks_api import API
from tests.test_webhooks_schedule import T0


def flow(url: str, name: str = "Notify CRM") -> dict[str, object]:
    return {
        "name": name,
        "event": "new_message_received",
        "steps": [
            {"create_interaction": {}},
            {"attach_message": True},
            {"call_webhook": {"url": url}},
        ],
    }


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/", "http://[::ffff:a9fe:a9fe]/", "http://0.0.0.0/"],
)
async def test_saving_a_flow_checks_its_webhook_url(tenant: Tenant, url: str) -> None:
    r = await tenant.api.post(f"{API}/flows", json={"definition": flow(url)})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "unsafe_url"
    assert set(error["fields"]) == {"steps.2.call_webhook.url"}
    assert (await tenant.api.get(f"{API}/flows")).json() == []


async def test_private_addresses_are_refused_unless_allowed(tenant: Tenant, db: Database) -> None:
    admin = tenant.admin.actor
    for url in ("http://127.0.0.1:8080/hook", "https://10.0.0.1/hook", "https://2130706433/"):
        with pytest.raises(UnsafeUrl):
            async with db.transaction() as s:
                await do_save_flow(s, actor=admin, source=flow(url), allow_private=False)
    async with db.transaction() as s:
        saved = await do_save_flow(
            s, actor=admin, source=flow("http://127.0.0.1:8080/hook"), allow_private=True
        )
    # Switching a flow off never depends on its URL.
    async with db.transaction() as s:
        off = await do_set_flow_active(s, actor=admin, flow_id=saved.id, active=False)
    assert off.is_active is False
    with pytest.raises(InvalidInput):  # the flow format itself still wants http(s)
        async with db.transaction() as s:
            await do_save_flow(s, actor=admin, source=flow("ftp://example.com/"))


async def _job(db: Database, tenant: Tenant, url: str, interaction_id: str) -> uuid.UUID:
    with clock.frozen(T0):
        async with db.transaction() as s:
            job = await enqueue(
                s,
                kind=KIND,
                organization_id=tenant.org.id,
                payload={"url": url, "interaction_id": interaction_id},
            )
            assert job is not None
            return job.id


async def _attempt(db: Database, settings: Settings, job_id: uuid.UUID, at: datetime) -> None:
    """Run one job as the runner would, at the frozen time ``at``."""
    with clock.frozen(at):
        async with db.transaction() as s:
            job = await s.get(Job, job_id)
            assert job is not None
            job.attempts += 1
            await CallFlowWebhook(settings)(s, job)
            job.finished_at = at


async def _next(db: Database, tenant: Tenant) -> Job | None:
    async with db.transaction() as s:
        rows = await s.execute(
            select(Job).where(
                Job.organization_id == tenant.org.id, Job.kind == KIND, Job.finished_at.is_(None)
            )
        )
        return rows.scalars().one_or_none()


async def test_flow_webhook_is_signed_retried_and_stops_on_410(
    tenant: Tenant, sandbox: Sandbox, db: Database, settings: Settings
) -> None:
    item = await tenant.create_interaction()
    name = f"flow-{uuid.uuid4().hex[:8]}"
    first = await _job(db, tenant, receiver_url(sandbox, name), item["id"])
    answer(sandbox, name, 429, headers={"retry-after": "7200"})
    answer(sandbox, name, 500)
    answer(sandbox, name, 410)
    job_id, at, stamps = first, T0, []
    for attempt, wait in ((1, timedelta(hours=2)), (2, SCHEDULE[2])):
        await _attempt(db, settings, job_id, at)
        stamps.append(at)
        following = await _next(db, tenant)
        assert following is not None
        assert following.payload["attempt"] == attempt + 1
        assert following.run_at == at + wait
        job_id, at = following.id, following.run_at
    await _attempt(db, settings, job_id, at)  # 410: no further attempt
    stamps.append(at)
    assert await _next(db, tenant) is None

    secret = (await tenant.api.get(f"{API}/webhooks/flow-secret")).json()["secret"]
    sent = calls(sandbox, name)
    assert len(sent) == 3
    assert {c.headers["webhook-id"] for c in sent} == {str(first)}
    for call, stamp in zip(sent, stamps, strict=True):
        expected = Webhook(secret).sign(str(first), stamp, call.body.decode())
        assert call.headers["webhook-signature"] == expected
        assert call.json["type"] == "flow.call_webhook"
        assert call.json["data"]["interaction"]["id"] == item["id"]

    # A rotated secret signs from then on.
    rotated = (await tenant.api.post(f"{API}/webhooks/flow-secret/rotate")).json()["secret"]
    assert rotated != secret
    again = await _job(db, tenant, receiver_url(sandbox, name), item["id"])
    await _attempt(db, settings, again, T0)
    last = calls(sandbox, name)[-1]
    assert last.headers["webhook-signature"] == Webhook(rotated).sign(
        str(again), T0, last.body.decode()
    )


async def test_flow_webhook_url_is_checked_before_the_call(
    tenant: Tenant, db: Database, settings: Settings
) -> None:
    item = await tenant.create_interaction()
    job_id = await _job(db, tenant, "http://169.254.169.254/latest/", item["id"])
    await _attempt(db, settings, job_id, T0)  # refused for what it is: no retry
    assert await _next(db, tenant) is None


async def test_the_live_runner_delivers_flow_webhooks(
    tenant: Tenant, sandbox: Sandbox, db: Database
) -> None:
    item = await tenant.create_interaction()
    name = f"flow-live-{uuid.uuid4().hex[:8]}"
    async with db.transaction() as s:
        job = await enqueue(
            s,
            kind=KIND,
            organization_id=tenant.org.id,
            payload={"url": receiver_url(sandbox, name), "interaction_id": item["id"]},
        )
        assert job is not None
    await wait_for(lambda: len(calls(sandbox, name)) == 1)
    secret = (await tenant.api.get(f"{API}/webhooks/flow-secret")).json()["secret"]
    payload = Webhook(secret).verify(calls(sandbox, name)[0].body, calls(sandbox, name)[0].headers)
    assert payload["data"]["interaction"]["id"] == item["id"]
