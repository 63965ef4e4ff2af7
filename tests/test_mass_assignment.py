"""mass-assignment: server-owned fields in any write are rejected (or, for commands without a body,
have no effect), and people cannot pick a role or a power they do not have.

Driven by the route table: the set of write routes covered here must equal the set the application
serves, so a new write endpoint fails this module until it is added.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from parley.app import create_app
from parley.config import Settings
from tests.factories import Tenant, settle

API = "/api/v1"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OLD = "2000-01-01T00:00:00Z"

# Fields the server owns. ``role`` is accepted on exactly one write (a message's role), see below.
SERVER_OWNED = frozenset(
    {
        "organization_id",
        "id",
        "number",
        "state",
        "author_id",
        "author_type",
        "created_at",
        "updated_at",
        "completed_by_id",
        "completed_at",
        "provider_message_id",
        "seq",
        "merged_into_id",
        "role",
    }
)
ROLE_ACCEPTED_ON = frozenset(
    {
        ("POST", f"{API}/interactions/{{interaction_id}}/messages"),
        # The role granted to a new key or person, or changed for one: admins only (a supervisor
        # or an agent gets 403 whatever the role, tests/test_admin_api.py).
        ("POST", f"{API}/api-keys"),
        ("POST", f"{API}/users"),
        ("PATCH", f"{API}/users/{{user_id}}"),
    }
)


def tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


# Multipart uploads declare each form field on its own; any other field is never read, so a
# server-owned one has no effect (test_multipart_server_owned_fields_have_no_effect).
MULTIPART = frozenset({("POST", f"{API}/interactions/{{interaction_id}}/files")})


# --- the route table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteRoute:
    method: str
    path: str
    body_model: type[BaseModel] | None


def write_routes() -> dict[tuple[str, str], WriteRoute]:
    """Every write operation under /api/v1 (FastAPI >= 0.137: flattened by iter_route_contexts)."""
    app = create_app(Settings(database_url="sqlite+aiosqlite://", secret_key="x" * 32))
    found: dict[tuple[str, str], WriteRoute] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path
        if not isinstance(route, APIRoute) or not path or not path.startswith(API + "/"):
            continue
        for method in context.methods or ():
            if method in WRITE_METHODS:
                model = route.body_field.field_info.annotation if route.body_field else None
                found[(method, path)] = WriteRoute(method, path, model)
    assert len(found) >= 15, f"the route table looks empty or unflattened: {sorted(found)}"
    return found


# --- fixtures and helpers -----------------------------------------------------------------------


@dataclass
class Targets:
    a: Tenant
    b: Tenant
    interaction: dict[str, Any]
    other_contact_id: str
    flow_id: str = ""
    channel_id: str = ""
    webhook_id: str = ""
    procedure_id: str = ""
    ai_agent_id: str = ""
    secret_id: str = ""
    collection_id: str = ""
    faq_id: str = ""
    resource_id: str = ""
    scorecard_id: str = ""
    review_id: str = ""
    scheduled_id: str = ""
    api_key_id: str = ""


def fill(path: str, t: Targets) -> str:
    return (
        path.replace("{interaction_id}", t.interaction["id"])
        .replace("{contact_id}", str(t.a.contact.id))
        .replace("{queue_id}", str(t.a.queue.id))
        .replace("{flow_id}", t.flow_id)
        .replace("{channel_id}", t.channel_id)
        .replace("{webhook_id}", t.webhook_id)
        .replace("{collection_id}", t.collection_id)
        .replace("{faq_id}", t.faq_id)
        .replace("{resource_id}", t.resource_id)
        .replace("{procedure_id}", t.procedure_id)
        .replace("{ai_agent_id}", t.ai_agent_id)
        .replace("{secret_id}", t.secret_id)
        .replace("{scorecard_id}", t.scorecard_id)
        .replace("{review_id}", t.review_id)
        .replace("{user_id}", str(t.a.agent.user.id))
        .replace("{scheduled_id}", t.scheduled_id)
        .replace("{api_key_id}", t.api_key_id)
    )


# A valid body for each write route that takes one: with it alone the request would pass
# validation, so the only thing wrong in the requests below is the server-owned field.
BASE_BODIES: dict[tuple[str, str], Callable[[Targets], dict[str, Any]]] = {
    ("POST", f"{API}/interactions"): lambda t: {
        "communication_type": "chat",
        "queue_id": str(t.a.queue.id),
        "subject": "mass",
    },
    ("PATCH", f"{API}/interactions/{{interaction_id}}"): lambda t: {"subject": "changed"},
    ("POST", f"{API}/interactions/{{interaction_id}}/messages"): lambda t: {"text": "hello"},
    ("POST", f"{API}/interactions/{{interaction_id}}/notes"): lambda t: {"text": "note"},
    ("POST", f"{API}/interactions/{{interaction_id}}/assign"): lambda t: {
        "user_id": str(t.a.agent.user.id)
    },
    ("POST", f"{API}/interactions/{{interaction_id}}/transfer"): lambda t: {
        "queue_id": str(t.a.queue2.id)
    },
    ("POST", f"{API}/interactions/{{interaction_id}}/complete"): lambda t: {},
    ("POST", f"{API}/interactions/{{interaction_id}}/reopen"): lambda t: {},
    ("POST", f"{API}/interactions/{{interaction_id}}/tags"): lambda t: {"add": ["mass"]},
    ("POST", f"{API}/contacts"): lambda t: {"name": "Mass Assigned"},
    ("PATCH", f"{API}/contacts/{{contact_id}}"): lambda t: {"name": "Changed"},
    ("POST", f"{API}/contacts/{{contact_id}}/merge"): lambda t: {"source_id": t.other_contact_id},
    ("POST", f"{API}/queues"): lambda t: {"name": "Mass queue"},
    ("PATCH", f"{API}/queues/{{queue_id}}"): lambda t: {"name": "Changed queue"},
    ("POST", f"{API}/flows"): lambda t: {"definition": FLOW},
    ("POST", f"{API}/flows/validate"): lambda t: {"definition": FLOW},
    ("POST", f"{API}/channels"): lambda t: {"kind": "sms", "name": "Mass channel"},
    ("PATCH", f"{API}/channels/{{channel_id}}"): lambda t: {"name": "Changed channel"},
    ("POST", f"{API}/webhooks"): lambda t: {
        "url": "http://127.0.0.1:9/mass",
        "event_types": ["interaction.created"],
    },
    ("PATCH", f"{API}/webhooks/{{webhook_id}}"): lambda t: {"description": "changed"},
    ("POST", f"{API}/interactions/{{interaction_id}}/merge"): lambda t: {
        "source_id": t.interaction["id"]
    },
    ("POST", f"{API}/interactions/{{interaction_id}}/transfer-external"): lambda t: {
        "method": "email",
        "to": "partner@example.org",
    },
    ("PATCH", f"{API}/agents/{{user_id}}"): lambda t: {"capacity": {"chat": 2}},
    ("PUT", f"{API}/agents/{{user_id}}/presence"): lambda t: {"presence": "away"},
    ("PUT", f"{API}/me/presence"): lambda t: {"presence": "away"},
    ("POST", f"{API}/knowledge/collections"): lambda t: {"name": "Mass collection"},
    ("PATCH", f"{API}/knowledge/collections/{{collection_id}}"): lambda t: {"description": "x"},
    ("POST", f"{API}/knowledge/collections/{{collection_id}}/faqs"): lambda t: {
        "question": "Mass?",
        "answer": "Yes.",
    },
    ("POST", f"{API}/knowledge/collections/{{collection_id}}/resources"): lambda t: {
        "title": "Mass",
        "content": "Mass text.",
    },
    ("POST", f"{API}/knowledge/collections/{{collection_id}}/import"): lambda t: {
        "faqs": [{"question": "Mass?", "answer": "Yes."}]
    },
    ("POST", f"{API}/knowledge/collections/{{collection_id}}/import-url"): lambda t: {
        "url": "http://127.0.0.1:9/mass"
    },
    ("PATCH", f"{API}/knowledge/faqs/{{faq_id}}"): lambda t: {"answer": "Changed."},
    ("PATCH", f"{API}/knowledge/resources/{{resource_id}}"): lambda t: {"title": "Changed"},
    ("POST", f"{API}/procedures"): lambda t: {"definition": PROCEDURE},
    ("POST", f"{API}/procedures/validate"): lambda t: {"definition": PROCEDURE},
    ("POST", f"{API}/procedures/test"): lambda t: {"definition": PROCEDURE},
    ("POST", f"{API}/procedures/import"): lambda t: {
        "files": [{"filename": "mass.json", "source": json.dumps(PROCEDURE)}]
    },
    ("POST", f"{API}/ai-agents"): lambda t: {"name": "Mass agent"},
    ("PATCH", f"{API}/ai-agents/{{ai_agent_id}}"): lambda t: {"tone": "changed"},
    ("POST", f"{API}/secrets"): lambda t: {"name": "mass_token", "value": "v"},
    ("POST", f"{API}/scorecards"): lambda t: {
        "name": "Mass card",
        "criteria": [{"key": "tone", "label": "Tone"}],
    },
    ("PATCH", f"{API}/scorecards/{{scorecard_id}}"): lambda t: {"name": "Changed card"},
    ("POST", f"{API}/reviews"): lambda t: {
        "interaction_id": t.interaction["id"],
        "scorecard_id": t.scorecard_id,
        "scores": {"tone": 3},
    },
    ("POST", f"{API}/interactions/{{interaction_id}}/scheduled-messages"): lambda t: {
        "text": "Later",
        "send_at": tomorrow(),
    },
    ("PATCH", f"{API}/interactions/{{interaction_id}}/scheduled-messages/{{scheduled_id}}"): (
        lambda t: {"text": "Changed"}
    ),
    ("POST", f"{API}/api-keys"): lambda t: {"name": "Mass key", "role": "agent"},
    ("POST", f"{API}/users"): lambda t: {
        "email": "mass@example.org",
        "name": "Mass",
        "role": "agent",
    },
    ("PATCH", f"{API}/users/{{user_id}}"): lambda t: {"role": "agent"},
    ("PUT", f"{API}/canned-replies"): lambda t: {"replies": [{"title": "Hi", "text": "Hello"}]},
}
PROCEDURE = {
    "name": "mass_procedure",
    "triggers": {"examples": ["mass question"]},
    "steps": [{"say": "hello"}, {"resolve": {}}],
}
FLOW = {
    "name": "Mass flow",
    "event": "new_message_received",
    "steps": [{"create_interaction": {}}, {"attach_message": True}],
}
# Commands that take no body: whatever is sent is not read, so it must have no effect.
BODYLESS = frozenset(
    {
        ("POST", f"{API}/interactions/{{interaction_id}}/claim"),
        ("POST", f"{API}/interactions/{{interaction_id}}/release"),
        ("POST", f"{API}/interactions/{{interaction_id}}/wrap-up"),
        ("POST", f"{API}/interactions/{{interaction_id}}/clone"),
        ("POST", f"{API}/flows/{{flow_id}}/activate"),
        ("POST", f"{API}/flows/{{flow_id}}/deactivate"),
        ("DELETE", f"{API}/webhooks/{{webhook_id}}"),
        ("POST", f"{API}/webhooks/{{webhook_id}}/rotate-secret"),
        ("POST", f"{API}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/redeliver"),
        ("POST", f"{API}/webhooks/flow-secret/rotate"),
        ("POST", f"{API}/queues/{{queue_id}}/drain"),
        ("DELETE", f"{API}/knowledge/collections/{{collection_id}}"),
        ("DELETE", f"{API}/knowledge/faqs/{{faq_id}}"),
        ("DELETE", f"{API}/knowledge/resources/{{resource_id}}"),
        ("POST", f"{API}/procedures/{{procedure_id}}/activate"),
        ("POST", f"{API}/procedures/{{procedure_id}}/deactivate"),
        ("DELETE", f"{API}/ai-agents/{{ai_agent_id}}"),
        ("DELETE", f"{API}/secrets/{{secret_id}}"),
        ("DELETE", f"{API}/scorecards/{{scorecard_id}}"),
        ("POST", f"{API}/reviews/{{review_id}}/acknowledge"),
        (
            "POST",
            f"{API}/interactions/{{interaction_id}}/scheduled-messages/{{scheduled_id}}/cancel",
        ),
        ("POST", f"{API}/api-keys/{{api_key_id}}/revoke"),
    }
)


def server_owned_values(a: Tenant, b: Tenant) -> dict[str, Any]:
    return {
        "organization_id": str(b.org.id),
        "id": str(uuid.uuid4()),
        "number": 999_999,
        "state": "completed",
        "author_id": str(a.agent2.user.id),
        "author_type": "system",
        "created_at": OLD,
        "updated_at": OLD,
        "completed_by_id": str(a.agent2.user.id),
        "completed_at": OLD,
        "provider_message_id": "SM00000000000000000000000000000000",
        "seq": 999,
        "merged_into_id": str(b.contact.id),
        "role": "admin",
    }


def forbidden_fields(key: tuple[str, str]) -> frozenset[str]:
    return SERVER_OWNED - {"role"} if key in ROLE_ACCEPTED_ON else SERVER_OWNED


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers.get("content-type", "").startswith("application/json"), response.text
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, body
    assert isinstance(error["message"], str) and error["message"], body
    assert isinstance(error["fields"], dict), body
    return dict(error)


async def snapshot(t: Tenant) -> dict[str, Any]:
    """Everything of one organization a write could change, read through its API key."""
    await settle(t)
    out: dict[str, Any] = {}
    r = await t.api.get(f"{API}/interactions", params={"limit": 200})
    assert r.status_code == 200, r.text
    out["interactions"] = r.json()
    for item in r.json()["items"]:
        detail = await t.api.get(f"{API}/interactions/{item['id']}")
        out[f"interaction {item['id']}"] = detail.json()
    r = await t.api.get(f"{API}/contacts", params={"limit": 200})
    out["contacts"] = r.json()
    for item in r.json()["items"]:
        out[f"contact {item['id']}"] = (await t.api.get(f"{API}/contacts/{item['id']}")).json()
    for path in ("/queues", "/users", "/tags"):
        out[path] = (await t.api.get(API + path)).json()
    return out


def assert_unchanged(before: dict[str, Any], after: dict[str, Any]) -> None:
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"data changed: {changed}\n" + "\n".join(
        f"{k}:\n  before={before.get(k)}\n  after={after.get(k)}" for k in changed
    )


async def make_targets(a: Tenant, b: Tenant) -> Targets:
    interaction = await a.create_interaction()
    r = await a.api.post(f"{API}/contacts", json={"name": "Other", "email": "other@example.org"})
    assert r.status_code == 201, r.text
    flow = await a.api.post(f"{API}/flows", json={"definition": FLOW})
    assert flow.status_code == 201, flow.text
    channel = await a.api.post(f"{API}/channels", json={"kind": "sms", "name": "Targets"})
    assert channel.status_code == 201, channel.text
    webhook = await a.api.post(
        f"{API}/webhooks",
        json={"url": "http://127.0.0.1:9/targets", "event_types": ["contact.merged"]},
    )
    assert webhook.status_code == 201, webhook.text
    procedure = await a.api.post(f"{API}/procedures", json={"definition": PROCEDURE})
    assert procedure.status_code == 201, procedure.text
    ai_agent = await a.api.post(f"{API}/ai-agents", json={"name": "Targets agent"})
    assert ai_agent.status_code == 201, ai_agent.text
    secret = await a.api.post(f"{API}/secrets", json={"name": "targets", "value": "v"})
    assert secret.status_code == 200, secret.text
    knowledge = await _knowledge_targets(a)
    coaching = await _coaching_targets(a)
    return Targets(
        a,
        b,
        interaction,
        r.json()["id"],
        flow.json()["id"],
        channel.json()["id"],
        webhook.json()["id"],
        procedure.json()["id"],
        ai_agent.json()["id"],
        secret.json()["id"],
        collection_id=knowledge[0],
        faq_id=knowledge[1],
        resource_id=knowledge[2],
        scorecard_id=coaching[0],
        review_id=coaching[1],
        scheduled_id=await _scheduled_target(a, interaction["id"]),
        api_key_id=await _api_key_target(a),
    )


async def _scheduled_target(a: Tenant, interaction_id: str) -> str:
    """A reply a supervisor scheduled on the target interaction."""
    r = await a.supervisor.client.post(
        f"{API}/interactions/{interaction_id}/scheduled-messages",
        json={"text": "Later", "send_at": tomorrow()},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _api_key_target(a: Tenant) -> str:
    """A key of A's own, so that revoking it never cuts off the key the tests call with."""
    r = await a.api.post(f"{API}/api-keys", json={"name": "Targets key", "role": "agent"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _coaching_targets(a: Tenant) -> tuple[str, str]:
    """A scorecard and a review of a completed interaction the agent handled."""
    card = await a.api.post(
        f"{API}/scorecards", json={"name": "Targets", "criteria": [{"key": "tone", "label": "T"}]}
    )
    assert card.status_code == 201, card.text
    done = await a.create_interaction()
    r = await a.api.post(
        f"{API}/interactions/{done['id']}/assign", json={"user_id": str(a.agent.user.id)}
    )
    assert r.status_code == 200, r.text
    r = await a.api.post(f"{API}/interactions/{done['id']}/complete", json={})
    assert r.status_code == 200, r.text
    review = await a.api.post(
        f"{API}/reviews",
        json={
            "interaction_id": done["id"],
            "scorecard_id": card.json()["id"],
            "scores": {"tone": 2},
        },
    )
    assert review.status_code == 201, review.text
    return card.json()["id"], review.json()["id"]


async def _knowledge_targets(a: Tenant) -> tuple[str, str, str]:
    r = await a.api.post(f"{API}/knowledge/collections", json={"name": "Targets"})
    assert r.status_code == 201, r.text
    collection = r.json()["id"]
    faq = await a.api.post(
        f"{API}/knowledge/collections/{collection}/faqs", json={"question": "Q?", "answer": "A."}
    )
    assert faq.status_code == 201, faq.text
    resource = await a.api.post(
        f"{API}/knowledge/collections/{collection}/resources", json={"title": "R", "content": "R."}
    )
    assert resource.status_code == 201, resource.text
    return collection, faq.json()["id"], resource.json()["id"]


# --- tests --------------------------------------------------------------------------------------


def test_every_write_route_is_covered() -> None:
    routes = write_routes()
    covered = set(BASE_BODIES) | BODYLESS | MULTIPART
    assert set(routes) == covered, (
        f"write routes not covered here: {sorted(set(routes) - covered)}; "
        f"covered but gone: {sorted(covered - set(routes))}"
    )
    assert {k for k, r in routes.items() if r.body_model is None} == BODYLESS
    for key, route in routes.items():
        if route.body_model is None or key in MULTIPART:
            continue
        accepted = set(route.body_model.model_fields)
        # A body model that accepts a server-owned field is itself a mass-assignment hole.
        assert not accepted & forbidden_fields(key), (key, accepted & forbidden_fields(key))
        # Unknown fields must be refused, not silently dropped.
        assert route.body_model.model_config.get("extra") == "forbid", key
    assert set(routes) >= ROLE_ACCEPTED_ON


async def test_server_owned_fields_in_bodies_are_rejected(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = tenant, other_tenant
    t = await make_targets(a, b)
    a_before, b_before = await snapshot(a), await snapshot(b)
    values = server_owned_values(a, b)
    failures: list[str] = []
    callers = {"api key": a.api, "admin session": a.admin.client}
    for key, base in BASE_BODIES.items():
        method, path = key
        url = fill(path, t)
        wanted = forbidden_fields(key)
        for who, client in callers.items():
            body = {**base(t), **{f: values[f] for f in wanted}}
            r = await client.request(method, url, json=body)
            what = f"{who}: {method} {url}"
            if r.status_code != 422:
                failures.append(f"{what} with all server-owned fields -> {r.status_code} {r.text}")
                continue
            error = error_of(r)
            if error["code"] != "invalid_input" or set(error["fields"]) != wanted:
                failures.append(
                    f"{what}: code {error['code']}, fields {sorted(error['fields'])}, "
                    f"expected {sorted(wanted)}"
                )
        # One field at a time (no field is refused only because of its neighbours).
        for field in sorted(wanted):
            r = await a.api.request(method, url, json={**base(t), field: values[field]})
            if r.status_code != 422 or error_of(r)["fields"] != {field: "this field cannot be set"}:
                failures.append(f"api key: {method} {url} +{field} -> {r.status_code} {r.text}")
    assert not failures, "server-owned fields not rejected:\n" + "\n".join(failures)
    assert_unchanged(a_before, await snapshot(a))
    assert_unchanged(b_before, await snapshot(b))


async def test_multipart_server_owned_fields_have_no_effect(tenant: Tenant) -> None:
    created = await tenant.create_interaction()
    person = tenant.agent
    r = await person.client.post(f"{API}/interactions/{created['id']}/claim")
    assert r.status_code == 200, r.text
    values = server_owned_values(tenant, tenant)
    extra = {k: str(v) for k, v in values.items()}
    r = await person.client.post(
        f"{API}/interactions/{created['id']}/files",
        files={"file": ("note.txt", b"plain text")},
        data={"text": "see attached", **extra},
    )
    assert r.status_code == 201, r.text
    message = r.json()
    assert message["role"] == "agent" and message["author_id"] == str(person.user.id)
    assert message["seq"] == 2 and message["created_at"] != OLD
    assert message["provider_message_id"] is None
    found = await tenant.api.get(f"{API}/interactions/{created['id']}")
    assert found.json()["state"] == "assigned" and found.json()["number"] == created["number"]


async def test_server_owned_fields_in_nested_objects_are_rejected(tenant: Tenant) -> None:
    before = await tenant.api.get(f"{API}/contacts", params={"limit": 200})
    r = await tenant.api.post(
        f"{API}/contacts",
        json={
            "name": "Nested",
            "identities": [
                {"kind": "email", "value": "n@example.org", "contact_id": str(tenant.contact.id)},
                {"kind": "phone", "value": "+441234567", "organization_id": str(uuid.uuid4())},
            ],
        },
    )
    assert r.status_code == 422, r.text
    error = error_of(r)
    assert error["code"] == "invalid_input"
    assert set(error["fields"]) == {"identities.0.contact_id", "identities.1.organization_id"}
    after = await tenant.api.get(f"{API}/contacts", params={"limit": 200})
    assert after.json() == before.json()


async def test_server_owned_query_parameters_are_ignored(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    """Query strings are no side door: the new row is the caller's, with server-set values."""
    a, b = tenant, other_tenant
    r = await a.api.post(
        f"{API}/interactions",
        params={
            "organization_id": str(b.org.id),
            "state": "completed",
            "number": "999999",
            "created_at": OLD,
        },
        json={"communication_type": "chat", "queue_id": str(a.queue.id)},
    )
    assert r.status_code in (201, 422), r.text
    if r.status_code == 422:
        assert error_of(r)["code"] == "invalid_input"
        return
    created = r.json()
    assert created["state"] == "queued"
    assert created["number"] != 999_999
    assert not created["created_at"].startswith("2000")
    assert (await a.api.get(f"{API}/interactions/{created['id']}")).status_code == 200
    assert (await b.api.get(f"{API}/interactions/{created['id']}")).status_code == 404


def accepted_without_effect(response: httpx.Response, ok: int) -> dict[str, Any] | None:
    """A body sent to a command that takes none is rejected (422 listing the fields) or ignored.
    Returns the result when it was ignored, for the caller to check nothing in it took effect."""
    if response.status_code == 422:
        error = error_of(response)
        assert error["code"] == "invalid_input", response.text
        assert error["fields"], response.text
        return None
    assert response.status_code == ok, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_commands_without_a_body_ignore_server_owned_fields(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    a, b = tenant, other_tenant
    values = server_owned_values(a, b)
    junk = {
        **values,
        "assignee_id": str(a.agent2.user.id),
        "queue_id": str(a.queue2.id),
        "outcome": "unresolved",
    }
    item = await a.create_interaction()
    admin = a.admin.client

    claimed = accepted_without_effect(
        await admin.post(f"{API}/interactions/{item['id']}/claim", json=junk), 200
    )
    if claimed is None:  # rejected: claim it properly to go on
        r = await admin.post(f"{API}/interactions/{item['id']}/claim")
        assert r.status_code == 200, r.text
        claimed = r.json()
    assert claimed["id"] == item["id"]
    assert claimed["state"] == "assigned"
    assert claimed["assignee_id"] == str(a.admin.user.id)
    assert claimed["queue_id"] == str(a.queue.id)
    assert claimed["number"] == item["number"]
    assert claimed["completed_at"] is None

    wrapped = accepted_without_effect(
        await admin.post(f"{API}/interactions/{item['id']}/wrap-up", json=junk), 200
    )
    if wrapped is None:
        r = await admin.post(f"{API}/interactions/{item['id']}/wrap-up")
        assert r.status_code == 200, r.text
        wrapped = r.json()
    assert wrapped["state"] == "wrap_up"
    assert wrapped["completed_at"] is None and wrapped["completed_by_id"] is None
    assert wrapped["assignee_id"] == str(a.admin.user.id)
    assert wrapped["outcome"] is None

    r = await admin.post(f"{API}/interactions/{item['id']}/complete", json={})
    assert r.status_code == 200, r.text
    clone = accepted_without_effect(
        await admin.post(f"{API}/interactions/{item['id']}/clone", json=junk), 201
    )
    if clone is not None:
        assert clone["id"] not in (values["id"], item["id"])
        assert clone["number"] != values["number"]
        assert clone["state"] == "assigned"
        assert clone["assignee_id"] == str(a.admin.user.id)
        assert clone["cloned_from_id"] == item["id"]
        assert not clone["created_at"].startswith("2000")
        assert (await a.api.get(f"{API}/interactions/{clone['id']}")).status_code == 200
        assert (await b.api.get(f"{API}/interactions/{clone['id']}")).status_code == 404

    other = await a.create_interaction()
    r = await a.api.post(
        f"{API}/interactions/{other['id']}/assign", json={"user_id": str(a.agent.user.id)}
    )
    assert r.status_code == 200, r.text
    released = accepted_without_effect(
        await a.agent.client.post(f"{API}/interactions/{other['id']}/release", json=junk), 200
    )
    if released is not None:
        assert released["state"] == "queued"
        assert released["queue_id"] == str(a.queue.id)
        assert released["assignee_id"] is None
        assert released["number"] == other["number"]
    r = await b.api.get(f"{API}/interactions", params={"limit": 200})
    assert {i["id"] for i in r.json()["items"]}.isdisjoint({item["id"], other["id"]})


@pytest.mark.parametrize("role", ["customer", "assistant", "system"])
async def test_people_only_post_agent_messages(tenant: Tenant, role: str) -> None:
    item = await tenant.create_interaction()
    url = f"{API}/interactions/{item['id']}"
    for person in (tenant.agent, tenant.supervisor, tenant.admin):
        r = await person.client.post(
            f"{url}/messages", json={"text": "I am the customer", "role": role}
        )
        assert r.status_code == 403, f"{person.role} as {role}: {r.status_code} {r.text}"
        assert error_of(r)["code"] == "forbidden"
    after = (await tenant.api.get(url)).json()
    assert after["message_count"] == item["message_count"]
    assert [m["id"] for m in after["messages"]] == [m["id"] for m in item["messages"]]
    assert after["state"] == item["state"]

    # Controls: a person may post as an agent (explicitly or by default); an integration may post
    # for the customer.
    r = await tenant.agent.client.post(f"{url}/messages", json={"text": "hi", "role": "agent"})
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "agent" and r.json()["author_id"] == str(tenant.agent.user.id)
    r = await tenant.agent.client.post(f"{url}/messages", json={"text": "hi again"})
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "agent"
    r = await tenant.api.post(f"{url}/messages", json={"text": "from customer", "role": "customer"})
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "customer"


async def test_an_agent_cannot_assign(tenant: Tenant) -> None:
    item = await tenant.create_interaction()
    url = f"{API}/interactions/{item['id']}"
    for target in (tenant.agent2, tenant.agent):
        r = await tenant.agent.client.post(f"{url}/assign", json={"user_id": str(target.user.id)})
        assert r.status_code == 403, r.text
        error = error_of(r)
        assert error["code"] == "forbidden"
        assert "supervisor" in error["message"]
    after = (await tenant.api.get(url)).json()
    assert after["state"] == "queued" and after["assignee_id"] is None
    assert after["activity"] == item["activity"]

    r = await tenant.supervisor.client.post(
        f"{url}/assign", json={"user_id": str(tenant.agent2.user.id)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == str(tenant.agent2.user.id)
    # ...and an agent cannot take it back from a colleague by assigning it to themselves.
    r = await tenant.agent.client.post(f"{url}/assign", json={"user_id": str(tenant.agent.user.id)})
    assert r.status_code == 403, r.text
    assert (await tenant.api.get(url)).json()["assignee_id"] == str(tenant.agent2.user.id)
