"""tenant-isolation-matrix: organization A never reads or changes organization B's data.

The matrix is generated from the application's route table: every /api/v1 route whose path
carries an object id is called as A (with A's API key and with A's admin browser session) using
B's ids, with a body that is valid for the endpoint. Each answer must be the same 404 a
nonexistent id gets, and B's objects must be untouched afterwards. A route with a path parameter
the matrix does not know how to fill, or a body it has no example for, fails the suite: new routes
cannot escape the matrix.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.routing import APIRoute, iter_route_contexts

from parley.app import create_app
from parley.config import Settings
from tests.factories import Tenant, settle

API = "/api/v1"
PARAM = re.compile(r"{(\w+)(?::\w+)?}")
KNOWN_PARAMS = frozenset(
    {
        "interaction_id",
        "contact_id",
        "queue_id",
        "user_id",
        "message_id",
        "flow_id",
        "channel_id",
        "webhook_id",
        "delivery_id",
        "collection_id",
        "faq_id",
        "resource_id",
        "procedure_id",
        "ai_agent_id",
        "secret_id",
        "scorecard_id",
        "review_id",
        "scheduled_id",
        "api_key_id",
        "file_id",
    }
)
B_SECRET = "zebracorn-b-only-7f3a"  # appears only in organization B's data
B_TAG = "b-only-tag-91c2"
MULTIPART = "__multipart__"  # a BODIES entry with this key is sent as a multipart form
B_FLOW = {
    "name": f"B flow {B_SECRET}",
    "event": "new_message_received",
    "steps": [{"create_interaction": {}}, {"attach_message": True}],
}
B_PROCEDURE = {
    "name": "b_procedure",
    "description": f"B procedure {B_SECRET}",
    "triggers": {"examples": ["b only question"]},
    "steps": [{"say": f"B says {B_SECRET}"}, {"resolve": {}}],
}


# --- the route table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    params: tuple[str, ...]
    has_body: bool


def api_endpoints() -> list[Endpoint]:
    """Every /api/v1 operation the application serves, from its route table.

    Since FastAPI 0.137 ``app.routes`` holds included routers unflattened; ``iter_route_contexts``
    yields one context per real endpoint with its full path.
    """
    app = create_app(Settings(database_url="sqlite+aiosqlite://", secret_key="x" * 32))
    found: list[Endpoint] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path
        if not isinstance(route, APIRoute) or not path or not path.startswith(API + "/"):
            continue
        for method in sorted(context.methods or ()):
            if method in ("HEAD", "OPTIONS"):
                continue
            params = tuple(m.group(1) for m in PARAM.finditer(path))
            found.append(Endpoint(method, path, params, route.body_field is not None))
    assert len(found) >= 25, f"the route table looks empty or unflattened: {found}"
    return found


def endpoints_with_ids() -> list[Endpoint]:
    return [e for e in api_endpoints() if e.params]


# --- helpers ------------------------------------------------------------------------------------


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``{"error": {...}}`` body, checked for shape."""
    assert response.headers.get("content-type", "").startswith("application/json"), response.text
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, body
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body
    assert isinstance(error["fields"], dict), body
    return dict(error)


def assert_not_found(response: httpx.Response, what: str) -> None:
    assert response.status_code == 404, f"{what}: {response.status_code} {response.text}"
    assert error_of(response)["code"] == "not_found", f"{what}: {response.text}"


@dataclass
class World:
    """Organization B's objects, as seen by B, plus a few of A's for request bodies."""

    a: Tenant
    b: Tenant
    b_queued: dict[str, Any]
    b_assigned: dict[str, Any]
    b_completed: dict[str, Any]
    b_message_id: str
    b_flow_id: str
    b_channel_id: str
    b_webhook_id: str = ""
    b_delivery_id: str = ""
    b_procedure_id: str = ""
    b_ai_agent_id: str = ""
    b_secret_id: str = ""
    b_collection_id: str = ""
    b_faq_id: str = ""
    b_resource_id: str = ""
    b_scorecard_id: str = ""
    b_review_id: str = ""
    b_scheduled_id: str = ""
    b_api_key_id: str = ""
    b_file_id: str = ""

    @property
    def b_interactions(self) -> list[dict[str, Any]]:
        return [self.b_queued, self.b_assigned, self.b_completed]


async def build_world(a: Tenant, b: Tenant) -> World:
    # B's webhook (to a closed port) logs a failed attempt for its first interaction.
    webhook = await b.api.post(
        f"{API}/webhooks",
        json={"url": "http://127.0.0.1:9/iso", "event_types": ["interaction.created"]},
    )
    assert webhook.status_code == 201, webhook.text
    webhook_id = webhook.json()["id"]
    queued = await b.create_interaction(
        subject=f"B subject {B_SECRET}", text=f"B customer text {B_SECRET}", tags=[B_TAG]
    )
    assigned = await b.create_interaction(subject="B assigned")
    r = await b.api.post(
        f"{API}/interactions/{assigned['id']}/assign", json={"user_id": str(b.agent.user.id)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "assigned"
    completed = await b.create_interaction(subject="B completed")
    r = await b.api.post(
        f"{API}/interactions/{completed['id']}/assign", json={"user_id": str(b.agent.user.id)}
    )
    assert r.status_code == 200, r.text
    r = await b.api.post(f"{API}/interactions/{completed['id']}/complete", json={})
    assert r.status_code == 200, r.text
    r = await b.supervisor.client.post(
        f"{API}/interactions/{queued['id']}/notes", json={"text": f"B note {B_SECRET}"}
    )
    assert r.status_code == 201, r.text
    message_id = queued["messages"][0]["id"]
    flow = await b.api.post(f"{API}/flows", json={"definition": B_FLOW})
    assert flow.status_code == 201, flow.text
    channel = await b.api.post(f"{API}/channels", json={"kind": "sms", "name": f"B {B_SECRET}"})
    assert channel.status_code == 201, channel.text
    delivery_id = await _first_delivery(b, webhook_id)
    procedure = await b.api.post(f"{API}/procedures", json={"definition": B_PROCEDURE})
    assert procedure.status_code == 201, procedure.text
    ai_agent = await b.api.post(
        f"{API}/ai-agents", json={"name": f"B agent {B_SECRET}", "procedures": ["b_procedure"]}
    )
    assert ai_agent.status_code == 201, ai_agent.text
    secret = await b.api.post(f"{API}/secrets", json={"name": "b_token", "value": B_SECRET})
    assert secret.status_code == 200, secret.text
    knowledge = await _b_knowledge(b)
    coaching = await _b_coaching(b, completed["id"])
    return World(
        a,
        b,
        queued,
        assigned,
        completed,
        message_id,
        flow.json()["id"],
        channel.json()["id"],
        webhook_id,
        delivery_id,
        procedure.json()["id"],
        ai_agent.json()["id"],
        secret.json()["id"],
        b_collection_id=knowledge[0],
        b_faq_id=knowledge[1],
        b_resource_id=knowledge[2],
        b_scorecard_id=coaching[0],
        b_review_id=coaching[1],
        b_scheduled_id=await _b_scheduled(b, queued["id"]),
        b_api_key_id=await _b_api_key(b),
        b_file_id=await _b_file(b, queued["id"]),
    )


async def _b_scheduled(b: Tenant, interaction_id: str) -> str:
    """A reply B's supervisor scheduled (for tomorrow) on B's queued interaction."""
    r = await b.supervisor.client.post(
        f"{API}/interactions/{interaction_id}/scheduled-messages",
        json={
            "text": f"B later {B_SECRET}",
            "send_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _b_api_key(b: Tenant) -> str:
    r = await b.admin.client.post(
        f"{API}/api-keys", json={"name": f"B key {B_SECRET}", "role": "agent"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _b_file(b: Tenant, interaction_id: str) -> str:
    """A file B's supervisor attached (as an internal note) to B's queued interaction."""
    r = await b.supervisor.client.post(
        f"{API}/interactions/{interaction_id}/files",
        files={"file": ("b.txt", f"B file {B_SECRET}".encode())},
        data={"internal": "true"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["attachments"][0]["storage_key"])


async def _b_coaching(b: Tenant, interaction_id: str) -> tuple[str, str]:
    """B's scorecard and a review (with a note mentioning B's secret) of its completed work."""
    card = await b.supervisor.client.post(
        f"{API}/scorecards",
        json={"name": f"B card {B_SECRET}", "criteria": [{"key": "tone", "label": "Tone"}]},
    )
    assert card.status_code == 201, card.text
    review = await b.supervisor.client.post(
        f"{API}/reviews",
        json={
            "interaction_id": interaction_id,
            "scorecard_id": card.json()["id"],
            "scores": {"tone": 4},
            "note": f"B coaching {B_SECRET}",
        },
    )
    assert review.status_code == 201, review.text
    return card.json()["id"], review.json()["id"]


async def _b_knowledge(b: Tenant) -> tuple[str, str, str]:
    """B's knowledge-base collection, FAQ and resource (all mentioning B's secret)."""
    r = await b.api.post(f"{API}/knowledge/collections", json={"name": f"B kb {B_SECRET}"})
    assert r.status_code == 201, r.text
    collection = r.json()["id"]
    faq = await b.api.post(
        f"{API}/knowledge/collections/{collection}/faqs",
        json={"question": f"What is {B_SECRET}?", "answer": f"{B_SECRET} is B's."},
    )
    assert faq.status_code == 201, faq.text
    resource = await b.api.post(
        f"{API}/knowledge/collections/{collection}/resources",
        json={"title": "B guide", "content": f"# B\n{B_SECRET} guide", "format": "markdown"},
    )
    assert resource.status_code == 201, resource.text
    return collection, faq.json()["id"], resource.json()["id"]


async def _first_delivery(b: Tenant, webhook_id: str) -> str:
    """The id of a delivery log row of B's webhook (written by the server's job runner)."""
    for _ in range(200):
        r = await b.api.get(f"{API}/webhooks/{webhook_id}/deliveries")
        assert r.status_code == 200, r.text
        if r.json()["items"]:
            return str(r.json()["items"][-1]["id"])
        await asyncio.sleep(0.05)
    raise AssertionError("B's webhook never logged a delivery")


async def snapshot(b: Tenant, world: World | None = None) -> dict[str, Any]:
    """Everything of B's that A's requests could have touched, read by B."""
    await settle(b)
    client = b.api
    out: dict[str, Any] = {}
    r = await client.get(f"{API}/interactions", params={"limit": 200})
    assert r.status_code == 200, r.text
    out["interactions"] = r.json()
    for item in r.json()["items"]:
        detail = await client.get(f"{API}/interactions/{item['id']}")
        assert detail.status_code == 200, detail.text
        out[f"interaction {item['id']}"] = detail.json()
    for path in (
        "/contacts",
        "/queues",
        "/users",
        "/tags",
        "/webhooks",
        "/procedures",
        "/ai-agents",
        "/secrets",
        "/scorecards",
        "/reviews",
        "/api-keys",
        "/canned-replies",
    ):
        r = await client.get(API + path)
        assert r.status_code == 200, r.text
        out[path] = r.json()
    r = await client.get(f"{API}/contacts/{b.contact.id}")
    assert r.status_code == 200, r.text
    out["contact"] = r.json()
    r = await client.get(f"{API}/knowledge/collections")
    assert r.status_code == 200, r.text
    out["knowledge"] = r.json()
    for collection in r.json():
        for part in ("faqs", "resources"):
            r = await client.get(f"{API}/knowledge/collections/{collection['id']}/{part}")
            out[f"knowledge {collection['id']} {part}"] = r.json()
    r = await client.get(f"{API}/knowledge/search", params={"q": B_SECRET})
    out["knowledge search"] = r.json()
    if world is not None:
        r = await client.get(f"{API}/reviews/{world.b_review_id}")
        assert r.status_code == 200, r.text
        out["review"] = r.json()
        r = await client.get(f"{API}/messages/{world.b_message_id}")
        assert r.status_code == 200, r.text
        out["message"] = r.json()
        queued = world.b_queued["id"]
        r = await client.get(f"{API}/interactions/{queued}/scheduled-messages")
        assert r.status_code == 200, r.text
        out["scheduled"] = r.json()
        r = await client.get(f"{API}/interactions/{queued}/files/{world.b_file_id}")
        assert r.status_code == 200, r.text
        out["file"] = r.content.decode()
    return out


def assert_unchanged(before: dict[str, Any], after: dict[str, Any]) -> None:
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"organization B's data changed: {changed}\n" + "\n".join(
        f"{k}:\n  before={before.get(k)}\n  after={after.get(k)}" for k in changed
    )


# A minimal valid body per (method, path) for endpoints that take one. Each entry may list several
# bodies (variants); the ids in them belong to A, so only the path's id is B's.
BodyFactory = Callable[[Tenant], list[dict[str, Any]]]
BODIES: dict[tuple[str, str], BodyFactory] = {
    ("PATCH", f"{API}/interactions/{{interaction_id}}"): lambda a: [{"subject": "x"}],
    ("POST", f"{API}/interactions/{{interaction_id}}/messages"): lambda a: [{"text": "x"}],
    ("POST", f"{API}/interactions/{{interaction_id}}/notes"): lambda a: [{"text": "x"}],
    ("POST", f"{API}/interactions/{{interaction_id}}/assign"): lambda a: [
        {"user_id": str(a.agent.user.id)}
    ],
    ("POST", f"{API}/interactions/{{interaction_id}}/transfer"): lambda a: [
        {"queue_id": str(a.queue.id)},
        {"user_id": str(a.agent.user.id)},
    ],
    ("POST", f"{API}/interactions/{{interaction_id}}/complete"): lambda a: [{}],
    ("POST", f"{API}/interactions/{{interaction_id}}/reopen"): lambda a: [{}],
    ("POST", f"{API}/interactions/{{interaction_id}}/tags"): lambda a: [
        {"add": ["x"]},
        {"remove": [B_TAG]},
    ],
    ("PATCH", f"{API}/contacts/{{contact_id}}"): lambda a: [
        {"name": "x"},
        {"attributes": {"x": 1}},
    ],
    ("POST", f"{API}/contacts/{{contact_id}}/merge"): lambda a: [{"source_id": str(a.contact.id)}],
    ("PATCH", f"{API}/queues/{{queue_id}}"): lambda a: [
        {"name": "x"},
        {"member_ids": [str(a.agent.user.id)]},
    ],
    ("PATCH", f"{API}/channels/{{channel_id}}"): lambda a: [
        {"name": "x"},
        {"default_queue_id": str(a.queue.id)},
    ],
    ("PATCH", f"{API}/webhooks/{{webhook_id}}"): lambda a: [
        {"is_active": False},
        {"url": "http://127.0.0.1:9/a", "event_types": []},
    ],
    # The source is a fresh id: whatever it names, B's interaction in the path must be 404.
    ("POST", f"{API}/interactions/{{interaction_id}}/merge"): lambda a: [
        {"source_id": str(uuid.uuid4())}
    ],
    ("POST", f"{API}/interactions/{{interaction_id}}/transfer-external"): lambda a: [
        {"method": "email", "to": "partner@example.org"}
    ],
    ("PATCH", f"{API}/agents/{{user_id}}"): lambda a: [{"capacity": {"chat": 2}}, {"skills": {}}],
    ("PUT", f"{API}/agents/{{user_id}}/presence"): lambda a: [{"presence": "away"}],
    ("PATCH", f"{API}/knowledge/collections/{{collection_id}}"): lambda a: [{"name": "x"}],
    ("POST", f"{API}/knowledge/collections/{{collection_id}}/faqs"): lambda a: [
        {"question": "x?", "answer": "x"}
    ],
    ("POST", f"{API}/knowledge/collections/{{collection_id}}/resources"): lambda a: [
        {"title": "x", "content": "x"}
    ],
    ("POST", f"{API}/knowledge/collections/{{collection_id}}/import"): lambda a: [
        {"faqs": [{"question": "x?", "answer": "x"}]},
        {"files": [{"name": "x.md", "content": "x"}]},
    ],
    ("POST", f"{API}/knowledge/collections/{{collection_id}}/import-url"): lambda a: [
        {"url": "http://127.0.0.1:9/x"}
    ],
    ("PATCH", f"{API}/knowledge/faqs/{{faq_id}}"): lambda a: [
        {"answer": "x"},
        {"is_active": False},
    ],
    ("PATCH", f"{API}/knowledge/resources/{{resource_id}}"): lambda a: [{"content": "x"}],
    ("PATCH", f"{API}/ai-agents/{{ai_agent_id}}"): lambda a: [
        {"tone": "x"},
        {"is_default": True},
        {"procedures": []},
    ],
    ("PATCH", f"{API}/scorecards/{{scorecard_id}}"): lambda a: [
        {"name": "x"},
        {"is_active": False},
        {"criteria": [{"key": "x", "label": "x"}]},
    ],
    ("POST", f"{API}/interactions/{{interaction_id}}/scheduled-messages"): lambda a: [
        {"text": "x", "send_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    ],
    ("PATCH", f"{API}/interactions/{{interaction_id}}/scheduled-messages/{{scheduled_id}}"): (
        lambda a: [
            {"text": "x"},
            {"send_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()},
        ]
    ),
    ("PATCH", f"{API}/users/{{user_id}}"): lambda a: [{"role": "agent"}],
    # Multipart: ``call`` sends a MULTIPART body as a form with a small text file.
    ("POST", f"{API}/interactions/{{interaction_id}}/files"): lambda a: [
        {MULTIPART: True, "internal": "true"},
        {MULTIPART: True, "text": "x"},
    ],
}


def b_ids_for(world: World, param: str) -> list[str]:
    """Every id of B's that can fill ``param`` (several interactions: one per lifecycle phase, so
    each command meets B's interaction in a state where it would succeed for B)."""
    b = world.b
    if param == "interaction_id":
        return [i["id"] for i in world.b_interactions]
    if param == "contact_id":
        return [str(b.contact.id)]
    if param == "queue_id":
        return [str(b.queue.id), str(b.queue2.id)]
    if param == "user_id":
        return [str(b.agent.user.id), str(b.admin.user.id)]
    if param == "message_id":
        return [world.b_message_id]
    if param == "flow_id":
        return [world.b_flow_id]
    if param == "channel_id":
        return [world.b_channel_id]
    if param == "webhook_id":
        return [world.b_webhook_id]
    if param == "delivery_id":
        return [world.b_delivery_id]
    if param == "collection_id":
        return [world.b_collection_id]
    if param == "faq_id":
        return [world.b_faq_id]
    if param == "resource_id":
        return [world.b_resource_id]
    if param == "procedure_id":
        return [world.b_procedure_id]
    if param == "ai_agent_id":
        return [world.b_ai_agent_id]
    if param == "secret_id":
        return [world.b_secret_id]
    if param == "scorecard_id":
        return [world.b_scorecard_id]
    if param == "review_id":
        return [world.b_review_id]
    if param == "scheduled_id":
        return [world.b_scheduled_id]
    if param == "api_key_id":
        return [world.b_api_key_id]
    if param == "file_id":
        return [world.b_file_id]
    raise AssertionError(f"no way to fill {{{param}}}")


def fill(path: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], path)


def a_callers(a: Tenant) -> dict[str, httpx.AsyncClient]:
    return {"A api key": a.api, "A admin session": a.admin.client}


async def call(
    client: httpx.AsyncClient, method: str, url: str, body: dict[str, Any] | None
) -> httpx.Response:
    if body is None:
        return await client.request(method, url)
    if body.get(MULTIPART):
        form = {k: v for k, v in body.items() if k != MULTIPART}
        return await client.request(method, url, files={"file": ("a.txt", b"from A")}, data=form)
    return await client.request(method, url, json=body)


def forbidden_for_any_id(response: httpx.Response, nonexistent: httpx.Response) -> bool:
    """An id-independent refusal (e.g. "only a signed-in person can claim") leaks nothing: it is
    the same answer a nonexistent id gets. Anything else must be 404."""
    return (
        response.status_code == 403
        and nonexistent.status_code == 403
        and response.json() == nonexistent.json()
    )


# --- tests --------------------------------------------------------------------------------------


def test_matrix_knows_every_route_with_an_id() -> None:
    endpoints = endpoints_with_ids()
    unknown = {(e.method, e.path, p) for e in endpoints for p in e.params if p not in KNOWN_PARAMS}
    assert not unknown, f"the isolation matrix cannot fill these path parameters: {unknown}"
    missing_bodies = {
        (e.method, e.path) for e in endpoints if e.has_body and (e.method, e.path) not in BODIES
    }
    assert not missing_bodies, f"add a minimal valid body to BODIES for: {missing_bodies}"
    stale = set(BODIES) - {(e.method, e.path) for e in endpoints}
    assert not stale, f"BODIES lists routes the app no longer has: {stale}"
    # The matrix must not be vacuous: the core endpoints are in it.
    seen = {(e.method, e.path) for e in endpoints}
    assert ("GET", f"{API}/interactions/{{interaction_id}}") in seen
    assert ("GET", f"{API}/messages/{{message_id}}") in seen
    assert ("PATCH", f"{API}/queues/{{queue_id}}") in seen


async def test_other_organizations_ids_in_the_path_are_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = tenant, other_tenant
    world = await build_world(a, b)
    before = await snapshot(b, world)

    # Control: with B's own credentials every GET in the matrix finds B's objects, so the 404s
    # below come from the tenant check and not from bad ids.
    for e in endpoints_with_ids():
        if e.method != "GET":
            continue
        values = {p: b_ids_for(world, p)[0] for p in e.params}
        r = await b.api.get(fill(e.path, values))
        assert r.status_code == 200, f"control {e.path} as B: {r.status_code} {r.text}"

    failures: list[str] = []
    calls = 0
    for e in endpoints_with_ids():
        bodies: list[dict[str, Any] | None] = (
            list(BODIES[(e.method, e.path)](a)) if e.has_body else [None]
        )
        combos: list[dict[str, str]] = [{}]
        for p in e.params:
            combos = [{**c, p: v} for c in combos for v in b_ids_for(world, p)]
        for who, client in a_callers(a).items():
            for values in combos:
                for body in bodies:
                    url = fill(e.path, values)
                    nowhere = fill(e.path, {p: str(uuid.uuid4()) for p in e.params})
                    r = await call(client, e.method, url, body)
                    r_none = await call(client, e.method, nowhere, body)
                    calls += 1
                    what = f"{who}: {e.method} {url} body={body}"
                    if forbidden_for_any_id(r, r_none):
                        continue
                    if r.status_code != 404:
                        failures.append(f"{what} -> {r.status_code} {r.text[:300]}")
                        continue
                    try:
                        assert error_of(r)["code"] == "not_found"
                    except AssertionError:
                        failures.append(f"{what} -> 404 in the wrong format: {r.text[:300]}")
                        continue
                    if r.json() != r_none.json():
                        failures.append(
                            f"{what} -> 404 differs from a nonexistent id's answer "
                            f"({r.text[:200]} vs {r_none.status_code} {r_none.text[:200]})"
                        )
                    if b.org.slug in r.text or B_SECRET in r.text:
                        failures.append(f"{what} -> the 404 mentions B's data: {r.text[:300]}")
    assert calls > 100
    assert not failures, "cross-tenant requests not answered 404:\n" + "\n".join(failures)
    assert_unchanged(before, await snapshot(b, world))


async def test_malformed_and_respelled_ids_in_the_path_are_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = tenant, other_tenant
    world = await build_world(a, b)
    before = await snapshot(b, world)
    failures: list[str] = []
    for e in endpoints_with_ids():
        bodies = BODIES[(e.method, e.path)](a) if e.has_body else [None]
        body = bodies[0]
        candidates = ["not-a-uuid", "123", "%20", "'%20OR%201=1--", "x" * 300]
        for p in e.params:
            b_id = uuid.UUID(b_ids_for(world, p)[0])
            # B's id spelled differently must not slip through a string comparison either.
            candidates += [str(b_id).upper(), b_id.hex, f"urn:uuid:{b_id}"]
        for who, client in a_callers(a).items():
            for bad in candidates:
                url = fill(e.path, dict.fromkeys(e.params, bad))
                r = await call(client, e.method, url, body)
                what = f"{who}: {e.method} {url}"
                if r.status_code == 403 and who == "A api key":
                    # id-independent refusal of API keys (claim needs a person): the same
                    # answer as for a well-formed id that exists nowhere.
                    nowhere = fill(e.path, {p: str(uuid.uuid4()) for p in e.params})
                    r_none = await call(client, e.method, nowhere, body)
                    if forbidden_for_any_id(r, r_none):
                        continue
                try:
                    assert_not_found(r, what)
                except AssertionError as exc:
                    failures.append(str(exc)[:400])
    assert not failures, "malformed ids not answered 404:\n" + "\n".join(failures)
    assert_unchanged(before, await snapshot(b, world))


async def test_other_organizations_ids_inside_request_bodies_are_404(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = tenant, other_tenant
    world = await build_world(a, b)
    mine = await a.create_interaction(subject="A's own")
    b_before = await snapshot(b, world)
    a_before = await snapshot(a)
    b_user, b_queue, b_contact = str(b.agent.user.id), str(b.queue.id), str(b.contact.id)

    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{API}/interactions", {"contact_id": b_contact, "queue_id": str(a.queue.id)}),
        ("POST", f"{API}/interactions", {"queue_id": b_queue}),
        ("POST", f"{API}/interactions", {"assignee_id": b_user, "queue_id": str(a.queue.id)}),
        ("POST", f"{API}/interactions", {"direction": "outbound", "assignee_id": b_user}),
        ("POST", f"{API}/interactions/{mine['id']}/assign", {"user_id": b_user}),
        ("POST", f"{API}/interactions/{mine['id']}/transfer", {"queue_id": b_queue}),
        ("POST", f"{API}/interactions/{mine['id']}/transfer", {"user_id": b_user}),
        ("POST", f"{API}/contacts/{a.contact.id}/merge", {"source_id": b_contact}),
        ("POST", f"{API}/queues", {"name": "Leaky", "member_ids": [b_user]}),
        (
            "POST",
            f"{API}/queues",
            {"name": "Leaky2", "member_ids": [str(a.agent.user.id), b_user]},
        ),
        ("PATCH", f"{API}/queues/{a.queue.id}", {"member_ids": [b_user]}),
        (
            "POST",
            f"{API}/reviews",
            {
                "interaction_id": world.b_completed["id"],
                "scorecard_id": world.b_scorecard_id,
                "scores": {"tone": 1},
            },
        ),
        (
            "POST",
            f"{API}/reviews",
            {"interaction_id": mine["id"], "scorecard_id": world.b_scorecard_id, "scores": {}},
        ),
        (
            "PATCH",
            f"{API}/queues/{a.queue.id}",
            {"member_ids": [str(a.agent.user.id), b_user], "name": "Renamed"},
        ),
    ]
    failures: list[str] = []
    for who, client in a_callers(a).items():
        for method, url, body in cases:
            payload = body
            if url == f"{API}/interactions":
                payload = {"communication_type": "chat", **body}
            r = await client.request(method, url, json=payload)
            try:
                assert_not_found(r, f"{who}: {method} {url} {payload}")
            except AssertionError as exc:
                failures.append(str(exc)[:400])
    assert not failures, "ids of organization B inside bodies were not 404:\n" + "\n".join(failures)
    assert_unchanged(b_before, await snapshot(b, world))
    # Nothing half-done on A's side either: no interaction or queue created, no member added.
    assert_unchanged(a_before, await snapshot(a))

    # Control: the same requests with A's own ids succeed, so the bodies above were well formed.
    r = await a.supervisor.client.post(
        f"{API}/interactions/{mine['id']}/transfer", json={"queue_id": str(a.queue2.id)}
    )
    assert r.status_code == 200, r.text
    r = await a.api.post(
        f"{API}/interactions/{mine['id']}/assign", json={"user_id": str(a.agent.user.id)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == str(a.agent.user.id)


async def test_list_endpoints_never_show_another_organizations_data(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = tenant, other_tenant
    world = await build_world(a, b)
    await a.create_interaction(subject="A's own")

    b_queued = world.b_queued["id"]
    filters: list[dict[str, Any]] = [
        {"queue_id": str(b.queue.id)},
        {"contact_id": str(b.contact.id)},
        {"q": B_SECRET},
        {"q": "B customer text"},
        {"assignee_id": str(b.agent.user.id)},
        {"tag": B_TAG},
        {"q": f"#{world.b_queued['number']}", "contact_id": str(b.contact.id)},
    ]
    # Control: as B, each filter finds B's interactions.
    for params in filters:
        r = await b.api.get(f"{API}/interactions", params=params)
        assert r.status_code == 200, r.text
        assert r.json()["items"], f"control: B's own filter {params} found nothing"

    b_ids = {i["id"] for i in world.b_interactions}
    b_user_ids = {str(p.user.id) for p in (b.admin, b.supervisor, b.agent, b.agent2)}
    b_emails = {p.user.email for p in (b.admin, b.supervisor, b.agent, b.agent2)}
    for who, client in a_callers(a).items():
        for params in filters:
            r = await client.get(f"{API}/interactions", params=params)
            assert r.status_code == 200, f"{who} {params}: {r.text}"
            assert r.json()["items"] == [], f"{who} {params} shows B's interactions: {r.text}"
            assert r.json()["next_cursor"] is None

        r = await client.get(f"{API}/interactions", params={"limit": 200})
        assert r.status_code == 200
        shown = {i["id"] for i in r.json()["items"]}
        assert shown and not shown & b_ids, f"{who}: B's interactions in A's list"
        assert b_queued not in r.text and B_SECRET not in r.text

        r = await client.get(f"{API}/users")
        assert r.status_code == 200
        assert {u["id"] for u in r.json()} == {
            str(p.user.id) for p in (a.admin, a.supervisor, a.agent, a.agent2)
        }
        assert not {u["id"] for u in r.json()} & b_user_ids
        assert not {u["email"] for u in r.json()} & b_emails

        for params in ({}, {"q": b.contact.email}, {"q": "Joe"}):
            r = await client.get(f"{API}/contacts", params={"limit": 200, **params})
            assert r.status_code == 200
            ids = {c["id"] for c in r.json()["items"]}
            assert str(b.contact.id) not in ids, f"{who} {params}: B's contact listed"
            assert b.contact.email not in r.text and b.org.slug not in r.text
        r = await client.get(f"{API}/contacts", params={"q": "Joe"})
        assert {c["id"] for c in r.json()["items"]} == {str(a.contact.id)}

        r = await client.get(f"{API}/queues")
        assert r.status_code == 200
        assert {q["id"] for q in r.json()} == {str(a.queue.id), str(a.queue2.id)}
        for q in r.json():
            assert not {str(m) for m in q["member_ids"]} & b_user_ids

        r = await client.get(f"{API}/tags")
        assert r.status_code == 200
        assert B_TAG not in r.json(), f"{who}: B's tag listed: {r.json()}"

        r = await client.get(f"{API}/me")
        assert r.status_code == 200
        assert r.json()["organization_id"] == str(a.org.id)

    # Control: B sees its own tag and contact.
    r = await b.api.get(f"{API}/tags")
    assert B_TAG in r.json()
    r = await b.api.get(f"{API}/contacts", params={"q": b.contact.email})
    assert {c["id"] for c in r.json()["items"]} == {str(b.contact.id)}


async def test_same_named_tags_and_queues_stay_separate(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    """Both organizations use the same tag name: tagging in A neither reuses nor shows B's tag."""
    a, b = tenant, other_tenant
    shared = "shared-tag-name"
    b_item = await b.create_interaction(tags=[shared])
    a_item = await a.create_interaction()
    r = await a.api.post(f"{API}/interactions/{a_item['id']}/tags", json={"add": [shared]})
    assert r.status_code == 200, r.text
    r = await a.api.get(f"{API}/interactions", params={"tag": shared})
    assert [i["id"] for i in r.json()["items"]] == [a_item["id"]]
    r = await b.api.get(f"{API}/interactions", params={"tag": shared})
    assert [i["id"] for i in r.json()["items"]] == [b_item["id"]]
    # Removing the tag in A leaves B's interaction tagged.
    r = await a.api.post(f"{API}/interactions/{a_item['id']}/tags", json={"remove": [shared]})
    assert r.status_code == 200, r.text
    r = await b.api.get(f"{API}/interactions/{b_item['id']}")
    assert r.json()["tags"] == [shared]
