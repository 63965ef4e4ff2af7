"""Bad input always gets a 4xx in the error format ``{"error": {"code", "message", "fields"}}``,
never a 5xx: malformed bodies, wrong types, out-of-range values, oversized payloads, bad query
parameters, missing or wrong credentials, illegal lifecycle commands. Plus a little fuzzing.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from parley.app import create_app
from parley.config import Settings
from parley.security.auth import SESSION_COOKIE
from tests.factories import Tenant

API = "/api/v1"
MAX_BODY = 65_536  # tests/conftest.py settings_for(max_body_bytes=...)


def no_5xx(response: httpx.Response, context: str = "") -> None:
    """Fail on a server error without formatting a Python traceback.

    (On CPython 3.11, pytest parsing source for a traceback while the server thread formats its
    own traceback of the same 500 can race in the AST constructor and crash the run with
    "SystemError: AST constructor recursion depth mismatch"; the message below says it all.)
    """
    if response.status_code >= 500:
        request = response.request
        pytest.fail(
            f"{context}{request.method} {request.url} -> {response.status_code} "
            f"{response.text[:500]}",
            pytrace=False,
        )


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``{"error": {...}}`` body, checked for shape."""
    no_5xx(response)
    assert response.headers.get("content-type", "").startswith("application/json"), (
        response.status_code,
        response.headers.get("content-type"),
        response.text[:300],
    )
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, body
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body
    assert isinstance(error["fields"], dict), body
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in error["fields"].items()), body
    return dict(error)


def assert_error(response: httpx.Response, status: int, code: str, *fields: str) -> dict[str, Any]:
    no_5xx(response)
    assert response.status_code == status, f"{response.status_code} {response.text[:500]}"
    error = error_of(response)
    assert error["code"] == code, error
    for name in fields:
        assert name in error["fields"], f"{name} not in {error['fields']}"
    return error


def assert_client_error(response: httpx.Response) -> dict[str, Any]:
    """Any 4xx, in the error format; above all not a 5xx."""
    no_5xx(response)
    assert 400 <= response.status_code < 500, f"{response.status_code} {response.text[:500]}"
    return error_of(response)


def nested(depth: int) -> dict[str, Any]:
    """A dict nested ``depth`` levels deep (``{"k": 1}`` is depth 1)."""
    value: Any = 1
    for _ in range(depth):
        value = {"k": value}
    return value  # type: ignore[no-any-return]


def b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def count_interactions(tenant: Tenant) -> int:
    r = await tenant.api.get(f"{API}/interactions", params={"limit": 200})
    assert r.status_code == 200, r.text
    return len(r.json()["items"])


# --- malformed bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"subject": ',
        b"{subject: 'x'}",
        b'{"subject": "x",}',
        b"\xff\xfe\x00garbage",
        b"",
        b"null",
        b'"just a string"',
        b"42",
    ],
)
async def test_malformed_json_body(tenant: Tenant, raw: bytes) -> None:
    before = await count_interactions(tenant)
    r = await tenant.api.post(
        f"{API}/interactions", content=raw, headers={"Content-Type": "application/json"}
    )
    error = assert_client_error(r)
    assert r.status_code in (400, 422)
    assert error["code"] in ("bad_request", "invalid_input")
    assert await count_interactions(tenant) == before


async def test_json_array_instead_of_object(tenant: Tenant) -> None:
    for url in (f"{API}/interactions", f"{API}/contacts", f"{API}/queues"):
        r = await tenant.api.post(url, json=[{"subject": "x"}])
        assert_error(r, 422, "invalid_input")
    item = await tenant.create_interaction()
    r = await tenant.api.post(f"{API}/interactions/{item['id']}/messages", json=["hello"])
    assert_error(r, 422, "invalid_input")
    r = await tenant.api.patch(f"{API}/interactions/{item['id']}", json=[])
    assert_error(r, 422, "invalid_input")


async def test_deeply_nested_json_body_is_refused_not_crashed(tenant: Tenant) -> None:
    """A body nested thousands of levels deep (under the size limit) must not blow the parser's
    stack into a 500."""
    before = await count_interactions(tenant)
    depth = 20_000
    raw = '{"custom_fields": {"a": ' + "[" * depth + "]" * depth + "}}"
    assert len(raw) < MAX_BODY
    r = await tenant.api.post(
        f"{API}/interactions", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_client_error(r)
    assert await count_interactions(tenant) == before


async def test_not_json_content_type(tenant: Tenant) -> None:
    r = await tenant.api.post(
        f"{API}/interactions",
        content=b"subject=x&communication_type=chat",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_client_error(r)
    r = await tenant.api.post(
        f"{API}/contacts", content=b'{"name": "x"}', headers={"Content-Type": "text/plain"}
    )
    assert_client_error(r)


# --- wrong types, unknown enum values, bounds ---------------------------------------------------


WRONG_TYPES: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "/interactions", {"subject": 123}, "subject"),
    ("POST", "/interactions", {"subject": {"a": 1}}, "subject"),
    ("POST", "/interactions", {"tags": "vip"}, "tags"),
    ("POST", "/interactions", {"tags": [1, 2]}, "tags.0"),
    ("POST", "/interactions", {"contact_id": "nope"}, "contact_id"),
    ("POST", "/interactions", {"queue_id": 42}, "queue_id"),
    ("POST", "/interactions", {"custom_fields": []}, "custom_fields"),
    ("POST", "/interactions", {"client": "browser"}, "client"),
    ("POST", "/interactions", {"text": ["hi"]}, "text"),
    ("POST", "/contacts", {"name": ["x"]}, "name"),
    ("POST", "/contacts", {"email": "not an email"}, "email"),
    ("POST", "/contacts", {"phone": "call me"}, "phone"),
    ("POST", "/contacts", {"attributes": "x"}, "attributes"),
    ("POST", "/contacts", {"identities": {"kind": "email"}}, "identities"),
    ("POST", "/contacts", {"identities": [{"kind": "email"}]}, "identities.0.value"),
    ("POST", "/queues", {"name": 5}, "name"),
    ("POST", "/queues", {"name": ""}, "name"),
    ("POST", "/queues", {"name": "q", "wrap_up_timeout_s": "soon"}, "wrap_up_timeout_s"),
    ("POST", "/queues", {"name": "q", "wrap_up_timeout_s": -1}, "wrap_up_timeout_s"),
    ("POST", "/queues", {"name": "q", "wrap_up_timeout_s": 10**30}, "wrap_up_timeout_s"),
    ("POST", "/queues", {"name": "q", "member_ids": ["me"]}, "member_ids.0"),
    ("POST", "/queues", {"name": "q", "sla_policy": {"first_response": "fast"}}, "sla_policy"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), WRONG_TYPES)
async def test_wrong_types(
    tenant: Tenant, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    r = await tenant.api.request(method, API + path, json=body)
    error = assert_error(r, 422, "invalid_input")
    assert any(name == field or name.startswith(field + ".") for name in error["fields"]), error


async def test_wrong_types_on_interaction_commands(tenant: Tenant) -> None:
    item = await tenant.create_interaction()
    url = f"{API}/interactions/{item['id']}"
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/messages", {"text": None}, "text"),
        ("POST", "/messages", {"text": ""}, "text"),
        ("POST", "/messages", {"text": "hi", "internal": "maybe"}, "internal"),
        ("POST", "/messages", {"text": "hi", "role": "robot"}, "role"),
        ("POST", "/notes", {}, "text"),
        ("POST", "/assign", {"user_id": "bob"}, "user_id"),
        ("POST", "/assign", {}, "user_id"),
        ("POST", "/transfer", {"queue_id": "billing"}, "queue_id"),
        ("POST", "/complete", {"outcome": "maybe"}, "outcome"),
        ("POST", "/tags", {"add": "x"}, "add"),
        ("PATCH", "", {"priority": "asap"}, "priority"),
        ("PATCH", "", {"custom_fields": "x"}, "custom_fields"),
    ]
    for method, suffix, body, field in cases:
        r = await tenant.api.request(method, url + suffix, json=body)
        error = assert_error(r, 422, "invalid_input")
        assert any(n == field or n.startswith(field + ".") for n in error["fields"]), (
            suffix,
            body,
            error,
        )
    after = (await tenant.api.get(url)).json()
    assert after["message_count"] == item["message_count"]
    assert after["state"] == item["state"] and after["priority"] == item["priority"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"communication_type": "fax"}, "communication_type"),
        ({"direction": "sideways"}, "direction"),
        ({"priority": "asap"}, "priority"),
        ({"communication_type": "CHAT"}, "communication_type"),
    ],
)
async def test_unknown_enum_values(tenant: Tenant, body: dict[str, Any], field: str) -> None:
    before = await count_interactions(tenant)
    r = await tenant.api.post(
        f"{API}/interactions", json={"queue_id": str(tenant.queue.id), **body}
    )
    assert_error(r, 422, "invalid_input", field)
    assert await count_interactions(tenant) == before


async def test_unknown_enum_values_in_queries_and_nested_bodies(tenant: Tenant) -> None:
    for params, field in (
        ({"communication_type": "fax"}, "communication_type"),
        ({"direction": "up"}, "direction"),
        ({"state": "closed_forever"}, "state"),
        ({"status": "maybe"}, "status"),
        ({"state": ["queued"] * 6}, "state"),
    ):
        r = await tenant.api.get(f"{API}/interactions", params=params)
        assert_error(r, 422, "invalid_input")
        assert any(n.startswith(field) for n in r.json()["error"]["fields"]), r.text
    r = await tenant.api.post(
        f"{API}/contacts", json={"identities": [{"kind": "carrier-pigeon", "value": "x"}]}
    )
    assert_error(r, 422, "invalid_input", "identities.0.kind")
    r = await tenant.api.post(f"{API}/queues", json={"name": "q", "routing_strategy": "random"})
    assert_error(r, 422, "invalid_input", "routing_strategy")


async def test_over_long_strings(tenant: Tenant) -> None:
    body = {"communication_type": "chat", "queue_id": str(tenant.queue.id)}
    before = await count_interactions(tenant)
    r = await tenant.api.post(f"{API}/interactions", json={**body, "subject": "s" * 501})
    assert_error(r, 422, "invalid_input", "subject")
    r = await tenant.api.post(f"{API}/interactions", json={**body, "text": "t" * 20_001})
    assert_error(r, 422, "invalid_input", "text")
    assert await count_interactions(tenant) == before
    # The limits themselves are accepted.
    r = await tenant.api.post(f"{API}/interactions", json={**body, "subject": "s" * 500})
    assert r.status_code == 201, r.text
    assert len(r.json()["subject"]) == 500

    item = r.json()
    url = f"{API}/interactions/{item['id']}"
    r = await tenant.api.post(f"{url}/messages", json={"text": "m" * 20_001})
    assert_error(r, 422, "invalid_input", "text")
    r = await tenant.agent.client.post(f"{url}/notes", json={"text": "n" * 20_001})
    assert_error(r, 422, "invalid_input", "text")
    r = await tenant.api.patch(url, json={"subject": "s" * 501})
    assert_error(r, 422, "invalid_input", "subject")
    r = await tenant.api.patch(url, json={"notes": "n" * 20_001})
    assert_error(r, 422, "invalid_input", "notes")
    r = await tenant.api.post(f"{url}/tags", json={"add": ["t" * 65]})
    assert_error(r, 422, "invalid_input")
    r = await tenant.api.post(f"{url}/tags", json={"add": [f"t{i}" for i in range(51)]})
    assert_error(r, 422, "invalid_input", "add")
    after = (await tenant.api.get(url)).json()
    assert after["message_count"] == 0 and after["tags"] == [] and after["subject"] == "s" * 500
    r = await tenant.api.post(f"{url}/messages", json={"text": "m" * 20_000})
    assert r.status_code == 201, r.text

    r = await tenant.api.post(f"{API}/contacts", json={"name": "n" * 201})
    assert_error(r, 422, "invalid_input", "name")
    r = await tenant.api.post(f"{API}/queues", json={"name": "q" * 121})
    assert_error(r, 422, "invalid_input", "name")


async def test_custom_fields_depth_and_size_are_bounded(tenant: Tenant) -> None:
    base = {"communication_type": "chat", "queue_id": str(tenant.queue.id)}
    before = await count_interactions(tenant)
    for custom in (
        nested(6),
        nested(50),
        {"list": [[[[[[1]]]]]]},
        {f"k{i}": "x" * 100 for i in range(200)},  # about 22 KB: over 16 KB, under the body limit
    ):
        for field in ("custom_fields", "client"):
            r = await tenant.api.post(f"{API}/interactions", json={**base, field: custom})
            assert_error(r, 422, "invalid_input", field)
    assert await count_interactions(tenant) == before
    r = await tenant.api.post(f"{API}/interactions", json={**base, "custom_fields": nested(5)})
    assert r.status_code == 201, r.text
    assert r.json()["custom_fields"] == nested(5)

    url = f"{API}/interactions/{r.json()['id']}"
    r = await tenant.api.patch(url, json={"custom_fields": nested(6)})
    assert_error(r, 422, "invalid_input", "custom_fields")
    r = await tenant.api.patch(
        url, json={"custom_fields": {f"k{i}": "x" * 100 for i in range(200)}}
    )
    assert_error(r, 422, "invalid_input", "custom_fields")
    assert (await tenant.api.get(url)).json()["custom_fields"] == nested(5)


async def test_contact_attributes_depth_and_size_are_bounded(tenant: Tenant) -> None:
    """Contact attributes are free-form JSON like custom fields: the same bounds apply."""
    before = (await tenant.api.get(f"{API}/contacts", params={"limit": 200})).json()
    for attributes in (nested(6), {f"k{i}": "x" * 200 for i in range(90)}):
        r = await tenant.api.post(f"{API}/contacts", json={"name": "A", "attributes": attributes})
        assert_error(r, 422, "invalid_input", "attributes")
        r = await tenant.api.patch(
            f"{API}/contacts/{tenant.contact.id}", json={"attributes": attributes}
        )
        assert_error(r, 422, "invalid_input", "attributes")
    assert (await tenant.api.get(f"{API}/contacts", params={"limit": 200})).json() == before


async def test_body_larger_than_the_limit_is_413(tenant: Tenant) -> None:
    before = await count_interactions(tenant)
    big = json.dumps({"subject": "x", "text": "y" * MAX_BODY}).encode()
    assert len(big) > MAX_BODY
    # Declared with Content-Length...
    r = await tenant.api.post(
        f"{API}/interactions", content=big, headers={"Content-Type": "application/json"}
    )
    assert_error(r, 413, "payload_too_large")

    # ...and streamed without one (chunked), so it cannot be checked up front.
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    r = await tenant.api.post(
        f"{API}/interactions", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(r, 413, "payload_too_large")
    assert await count_interactions(tenant) == before
    # The server is still serving.
    assert (await tenant.api.get(f"{API}/me")).status_code == 200


# --- query parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/interactions", "/contacts"])
@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "abc",
        "%%%",
        b64(["x"]),
        b64([1, 2]),
        b64({"a": 1, "b": 2}),
        b64(["2020-01-01T00:00:00+00:00", "not-a-uuid"]),
        b64(["not a date", str(uuid.uuid4())]),
        b64("ab"),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    ],
)
async def test_invalid_cursor(tenant: Tenant, path: str, cursor: str) -> None:
    r = await tenant.api.get(API + path, params={"cursor": cursor})
    assert_error(r, 422, "invalid_input", "cursor")


@pytest.mark.parametrize("path", ["/interactions", "/contacts"])
@pytest.mark.parametrize(
    "stamp",
    [
        "2020-01-01T00:00:00",  # no time zone
        "9999-12-31T23:59:59-14:00",  # beyond year 9999 in UTC
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
    ],
)
async def test_well_formed_cursor_with_odd_timestamps_is_not_a_5xx(
    tenant: Tenant, path: str, stamp: str
) -> None:
    """A cursor is opaque, but clients can still forge one: odd contents are a 4xx or an empty
    page, never a crash."""
    r = await tenant.api.get(API + path, params={"cursor": b64([stamp, str(uuid.uuid4())])})
    no_5xx(r)
    assert r.status_code in (200, 422), f"{r.status_code} {r.text}"
    if r.status_code == 422:
        assert_error(r, 422, "invalid_input", "cursor")


@pytest.mark.parametrize("path", ["/interactions", "/contacts"])
@pytest.mark.parametrize("limit", ["0", "1000", "-1", "201", "ten", "1.5"])
async def test_limit_out_of_range(tenant: Tenant, path: str, limit: str) -> None:
    r = await tenant.api.get(API + path, params={"limit": limit})
    assert_error(r, 422, "invalid_input", "limit")


async def test_limit_bounds_are_accepted(tenant: Tenant) -> None:
    for path in ("/interactions", "/contacts"):
        for limit in ("1", "200"):
            r = await tenant.api.get(API + path, params={"limit": limit})
            assert r.status_code == 200, r.text


async def test_dates_need_a_time_zone(tenant: Tenant) -> None:
    url = f"{API}/interactions"
    for name in ("created_after", "created_before"):
        r = await tenant.api.get(url, params={name: "2024-01-01T00:00:00"})
        assert_error(r, 422, "invalid_input", name)
        r = await tenant.api.get(url, params={name: "yesterday"})
        assert_error(r, 422, "invalid_input", name)
        r = await tenant.api.get(url, params={name: "2024-01-01T00:00:00Z"})
        assert r.status_code == 200, r.text
        r = await tenant.api.get(url, params={name: "2024-01-01T00:00:00+05:30"})
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("name", ["created_after", "created_before"])
@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
async def test_extreme_dates_are_not_a_5xx(tenant: Tenant, name: str, stamp: str) -> None:
    r = await tenant.api.get(f"{API}/interactions", params={name: stamp})
    no_5xx(r, f"{name}={stamp}: ")
    assert r.status_code in (200, 422), f"{name}={stamp}: {r.status_code} {r.text}"
    if r.status_code == 422:
        assert_error(r, 422, "invalid_input", name)


async def test_bad_id_filters_are_422(tenant: Tenant) -> None:
    for params, field in (
        ({"queue_id": "support"}, "queue_id"),
        ({"contact_id": "42"}, "contact_id"),
        ({"channel_id": "x"}, "channel_id"),
        ({"assignee_id": "bob"}, "assignee_id"),
    ):
        r = await tenant.api.get(f"{API}/interactions", params=params)
        assert_error(r, 422, "invalid_input", field)
    r = await tenant.api.get(f"{API}/interactions", params={"assignee_id": "me"})
    assert_error(r, 422, "invalid_input", "assignee_id")  # an API key is not a person
    r = await tenant.agent.client.get(f"{API}/interactions", params={"assignee_id": "me"})
    assert r.status_code == 200, r.text


# --- text that some databases cannot store --------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "nul \x00 byte"},
        {"text": "nul \x00 byte"},
        {"custom_fields": {"note": "nul \x00 byte"}},
        {"custom_fields": {"nul \x00 key": 1}},
        {"tags": ["nul\x00tag"]},
    ],
)
async def test_nul_characters_are_not_a_5xx(tenant: Tenant, body: dict[str, Any]) -> None:
    """JSON allows \\u0000 in strings; PostgreSQL text and jsonb do not. Either store it (SQLite) or
    refuse it with a 4xx, never a 5xx (and never the misleading 503 'database unavailable')."""
    before = await count_interactions(tenant)
    r = await tenant.api.post(f"{API}/interactions", json={"communication_type": "chat", **body})
    no_5xx(r)
    assert r.status_code == 201 or 400 <= r.status_code < 500, f"{r.status_code} {r.text}"
    if r.status_code != 201:
        error_of(r)
        assert await count_interactions(tenant) == before


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/interactions/{id}/messages", {"json": {"text": "a\x00b"}}),
        ("POST", "/interactions/{id}/notes", {"json": {"text": "a\x00b"}}),
        ("PATCH", "/interactions/{id}", {"json": {"subject": "a\x00b"}}),
        ("POST", "/contacts", {"json": {"name": "a\x00b"}}),
        ("POST", "/contacts", {"json": {"attributes": {"k": "a\x00b"}}}),
        ("POST", "/queues", {"json": {"name": "a\x00b"}}),
        ("GET", "/interactions", {"params": {"q": "a\x00b"}}),
        ("GET", "/contacts", {"params": {"q": "a\x00b"}}),
        ("GET", "/interactions", {"params": {"tag": "a\x00b"}}),
    ],
)
async def test_nul_characters_elsewhere_are_not_a_5xx(
    tenant: Tenant, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    item = await tenant.create_interaction()
    r = await tenant.api.request(method, API + path.replace("{id}", item["id"]), **kwargs)
    no_5xx(r)
    if r.status_code >= 400:
        assert_client_error(r)
    if method != "GET" and r.status_code >= 400:
        after = (await tenant.api.get(f"{API}/interactions/{item['id']}")).json()
        assert after["message_count"] == item["message_count"]
        assert after["subject"] == item["subject"]


@pytest.mark.parametrize(
    "raw",
    [
        '{"subject": "\\ud800"}',  # a lone surrogate: valid JSON, not encodable as UTF-8
        '{"custom_fields": {"x": NaN}}',  # Python's json accepts these; JSON does not
        '{"custom_fields": {"x": Infinity}}',
        '{"custom_fields": {"x": -Infinity}}',
    ],
)
async def test_json_python_accepts_but_json_does_not_is_not_a_5xx(tenant: Tenant, raw: str) -> None:
    before = await count_interactions(tenant)
    r = await tenant.api.post(
        f"{API}/interactions",
        content=raw.replace("{", '{"communication_type": "chat", ', 1).encode(),
        headers={"Content-Type": "application/json"},
    )
    no_5xx(r)
    assert 400 <= r.status_code < 500, f"{r.status_code} {r.text}"
    error_of(r)
    assert await count_interactions(tenant) == before


# --- authentication -----------------------------------------------------------------------------


async def test_no_credentials_is_401(http: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/interactions"),
        ("POST", "/interactions"),
        ("GET", "/me"),
        ("GET", f"/interactions/{uuid.uuid4()}"),
        ("PATCH", f"/queues/{uuid.uuid4()}"),
    ):
        r = await http.request(method, API + path, json={} if method != "GET" else None)
        assert_error(r, 401, "unauthenticated")


async def test_wrong_or_malformed_api_keys_are_401(tenant: Tenant, http: httpx.AsyncClient) -> None:
    key = tenant.api_key
    for header in (
        "Bearer pk_this_is_not_a_key",
        f"Bearer {key}x",
        f"Bearer {key[:-1]}",
        f"Bearer {'k' * 10_000}",
        "Bearer",
        f"Basic {base64.b64encode(b'user:pass').decode()}",
        f"Token {key}",
        key,
        "garbage",
        f"Bearer {key} extra",
    ):
        for method in ("GET", "POST"):
            r = await http.request(
                method,
                f"{API}/interactions",
                headers={"Authorization": header},
                json=None if method == "GET" else {},
            )
            assert_error(r, 401, "unauthenticated")
    # Control: the real key works, with any case of the scheme.
    for scheme in ("Bearer", "bearer"):
        r = await http.get(f"{API}/me", headers={"Authorization": f"{scheme} {key}"})
        assert r.status_code == 200, r.text


async def test_bad_session_cookie_is_401(http: httpx.AsyncClient) -> None:
    for token in ("nope", "x" * 5000, ""):
        http.cookies.set(SESSION_COOKIE, token)
        r = await http.get(f"{API}/me")
        assert_error(r, 401, "unauthenticated")
    http.cookies.clear()


async def test_session_cookie_without_csrf_token_cannot_write(
    tenant: Tenant, live_server: Any
) -> None:
    cookie = tenant.admin.client.cookies.get(SESSION_COOKIE)
    assert cookie
    other_token = tenant.agent.client.headers["X-CSRF-Token"]
    before = await count_interactions(tenant)
    item = await tenant.create_interaction()
    body = {"communication_type": "chat", "queue_id": str(tenant.queue.id)}
    async with httpx.AsyncClient(base_url=live_server.url, cookies={SESSION_COOKIE: cookie}) as c:
        r = await c.get(f"{API}/me")
        assert r.status_code == 200, r.text  # reading needs no token
        for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": other_token}):
            r = await c.post(f"{API}/interactions", json=body, headers=headers)
            assert_error(r, 403, "forbidden")
            r = await c.patch(
                f"{API}/interactions/{item['id']}", json={"subject": "csrf"}, headers=headers
            )
            assert_error(r, 403, "forbidden")
            r = await c.post(f"{API}/interactions/{item['id']}/claim", headers=headers)
            assert_error(r, 403, "forbidden")
    assert await count_interactions(tenant) == before + 1
    after = (await tenant.api.get(f"{API}/interactions/{item['id']}")).json()
    assert after["subject"] == item["subject"] and after["state"] == "queued"


# --- routing ------------------------------------------------------------------------------------


async def test_unknown_route_is_404_in_the_error_format(tenant: Tenant) -> None:
    for path in (f"{API}/nope", f"{API}/interactions/{uuid.uuid4()}/nope", "/api/v2/interactions"):
        r = await tenant.api.get(path)
        assert_error(r, 404, "not_found")
        r = await tenant.api.post(path, json={})
        assert_error(r, 404, "not_found")


async def test_wrong_method_is_405_in_the_error_format(tenant: Tenant) -> None:
    item = await tenant.create_interaction()
    for method, path in (
        ("DELETE", f"{API}/interactions"),
        ("PUT", f"{API}/interactions/{item['id']}"),
        ("DELETE", f"{API}/interactions/{item['id']}"),
        ("GET", f"{API}/interactions/{item['id']}/claim"),
        ("PATCH", f"{API}/contacts"),
    ):
        r = await tenant.api.request(method, path)
        assert_error(r, 405, "method_not_allowed")
        assert r.headers.get("allow"), r.headers
    r = await tenant.api.delete(f"{API}/interactions")
    assert "GET" in {m.strip() for m in r.headers["allow"].split(",")}
    assert (await tenant.api.get(f"{API}/interactions/{item['id']}")).status_code == 200


# --- lifecycle ----------------------------------------------------------------------------------


async def test_illegal_transitions_are_409_and_say_what_is_allowed(tenant: Tenant) -> None:
    item = await tenant.create_interaction()
    url = f"{API}/interactions/{item['id']}"
    admin, supervisor = tenant.admin.client, tenant.supervisor.client

    # queued: no wrap-up, release, reopen or clone
    for command in ("wrap-up", "release", "clone"):
        r = await admin.post(f"{url}/{command}")
        error = assert_error(r, 409, "illegal_transition")
        assert "queued" in error["message"] and "allowed" in error["message"], error
        assert "claim" in error["message"] and "complete" in error["message"], error
    r = await admin.post(f"{url}/reopen", json={})
    assert_error(r, 409, "illegal_transition")
    assert (await tenant.api.get(url)).json()["state"] == "queued"

    # claim twice (by the same person and by someone else)
    r = await admin.post(f"{url}/claim")
    assert r.status_code == 200, r.text
    for client in (admin, supervisor):
        r = await client.post(f"{url}/claim")
        error = assert_error(r, 409, "illegal_transition")
        assert "assigned" in error["message"] and "allowed" in error["message"], error
        allowed = error["message"].split("allowed")[-1]
        assert "release" in allowed and "wrap_up" in allowed and "claim" not in allowed, error
    state = (await tenant.api.get(url)).json()
    assert state["state"] == "assigned" and state["assignee_id"] == str(tenant.admin.user.id)

    # complete, then complete again / wrap up / claim
    r = await admin.post(f"{url}/complete", json={})
    assert r.status_code == 200, r.text
    for command, body in (("complete", {}), ("wrap-up", None), ("claim", None)):
        r = await admin.post(f"{url}/{command}", json=body)
        error = assert_error(r, 409, "illegal_transition")
        assert "completed" in error["message"] and "reopen" in error["message"], error
    r = await admin.post(f"{url}/assign", json={"user_id": str(tenant.agent.user.id)})
    assert_error(r, 409, "illegal_transition")
    r = await admin.post(f"{url}/transfer", json={"queue_id": str(tenant.queue2.id)})
    assert_error(r, 409, "illegal_transition")
    final = (await tenant.api.get(url)).json()
    assert final["state"] == "completed" and final["queue_id"] == str(tenant.queue.id)


async def test_a_completed_interaction_is_read_only(tenant: Tenant) -> None:
    item = await tenant.create_interaction()
    url = f"{API}/interactions/{item['id']}"
    r = await tenant.api.post(f"{url}/complete", json={})
    assert r.status_code == 200, r.text
    count = r.json()["message_count"]
    r = await tenant.api.post(f"{url}/messages", json={"text": "too late"})
    assert_error(r, 409, "read_only")
    r = await tenant.admin.client.post(f"{url}/messages", json={"text": "too late"})
    assert_error(r, 409, "read_only")
    r = await tenant.admin.client.post(f"{url}/notes", json={"text": "too late"})
    assert_error(r, 409, "read_only")
    r = await tenant.api.patch(url, json={"communication_type": "email"})
    error = assert_error(r, 409, "read_only", "communication_type")
    assert "subject" in error["message"]
    after = (await tenant.api.get(url)).json()
    assert after["message_count"] == count and after["communication_type"] == "chat"
    # Classification stays editable.
    r = await tenant.api.patch(url, json={"subject": "still editable"})
    assert r.status_code == 200, r.text


async def test_conflicting_or_empty_commands_are_4xx(tenant: Tenant) -> None:
    item = await tenant.create_interaction()
    url = f"{API}/interactions/{item['id']}"
    r = await tenant.api.post(
        f"{url}/transfer",
        json={"queue_id": str(tenant.queue2.id), "user_id": str(tenant.agent.user.id)},
    )
    assert_error(r, 422, "invalid_input", "queue_id", "user_id")
    r = await tenant.api.post(f"{url}/transfer", json={})
    assert_error(r, 422, "invalid_input")
    r = await tenant.api.patch(url, json={})
    assert_error(r, 422, "invalid_input")
    r = await tenant.api.post(f"{url}/messages", json={"text": "   "})
    assert_error(r, 422, "invalid_input", "text")
    r = await tenant.api.post(
        f"{API}/contacts/{tenant.contact.id}/merge", json={"source_id": str(tenant.contact.id)}
    )
    assert_error(r, 422, "invalid_input")
    r = await tenant.api.post(f"{API}/queues", json={"name": "Support"})
    assert_error(r, 409, "conflict", "name")
    r = await tenant.api.post(f"{API}/interactions", json={"direction": "outbound"})
    assert_error(r, 422, "invalid_input", "assignee_id")
    assert (await tenant.api.get(url)).json()["message_count"] == item["message_count"]


# --- health and schema --------------------------------------------------------------------------


async def test_healthz(http: httpx.AsyncClient) -> None:
    r = await http.get("/healthz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok" and body["database"] == "ok", body
    assert isinstance(body.get("version"), str)


async def test_openapi_lists_the_routes(http: httpx.AsyncClient) -> None:
    r = await http.get(f"{API}/openapi.json")
    assert r.status_code == 200
    schema = json.loads(r.text)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    app = create_app(Settings(database_url="sqlite+aiosqlite://", secret_key="x" * 32))
    expected: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        if (
            isinstance(route, APIRoute)
            and path
            and path.startswith(API + "/")
            and route.include_in_schema
        ):
            expected |= {(m.lower(), path) for m in context.methods or () if m != "HEAD"}
    listed = {
        (m, p)
        for p, ops in paths.items()
        for m in ops
        if m in {"get", "post", "patch", "put", "delete"}
    }
    assert len(expected) >= 25
    assert expected == listed, (sorted(expected - listed), sorted(listed - expected))
    # Every body-taking operation documents its body, and errors document 422.
    for path, ops in paths.items():
        for method, op in ops.items():
            if method in ("post", "patch") and path.endswith(
                ("interactions", "contacts", "queues")
            ):
                assert "requestBody" in op, (method, path)


# --- fuzzing ------------------------------------------------------------------------------------

# NUL characters are left to test_nul_characters_*: here they would hide every other finding.
# Lone surrogates cannot be encoded as UTF-8 by the client at all; the escaped
# form a hostile client could still send is covered by test_lone_surrogate_escape.
TEXT = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(TEXT, max_size=30)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(TEXT, max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)
INTERACTION_VALUES = st.one_of(
    JSON_VALUES,
    st.sampled_from(
        ["chat", "email", "voice", "task", "inbound", "outbound", "high", "low", "fax", ""]
    ),
    st.uuids().map(str),
)
CONTACT_VALUES = st.one_of(
    JSON_VALUES,
    st.sampled_from(["a@example.org", "+44 20 7946 0000", "email", "phone"]),
    st.lists(
        st.fixed_dictionaries(
            {
                "kind": st.sampled_from(["email", "phone", "external", "fax"]),
                "value": st.text(TEXT, max_size=20),
            }
        ),
        max_size=3,
    ),
)
INTERACTION_BODIES = st.dictionaries(
    st.sampled_from(
        ["direction", "communication_type", "subtype", "contact_id", "queue_id", "assignee_id",
         "subject", "priority", "client", "custom_fields", "tags", "text", "channel_id"]
    )
    | st.text(TEXT, max_size=12),
    INTERACTION_VALUES,
    max_size=6,
)  # fmt: skip
CONTACT_BODIES = st.dictionaries(
    st.sampled_from(["name", "email", "phone", "attributes", "identities"])
    | st.text(TEXT, max_size=12),
    CONTACT_VALUES,
    max_size=5,
)
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)


def check_fuzz_answer(r: httpx.Response, body: dict[str, Any]) -> None:
    no_5xx(r, f"{body!r}: ")
    assert r.status_code < 500, f"{body!r} -> {r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        error_of(r)
    else:
        assert r.status_code == 201, r.text


@FUZZ
@given(body=INTERACTION_BODIES)
@example(body={"custom_fields": {"": {"": {"": {"": {"": {}}}}}}})
@example(body={"tags": ["", "   ", "A", "a"]})
async def test_fuzz_create_interaction(tenant: Tenant, body: dict[str, Any]) -> None:
    r = await tenant.api.post(f"{API}/interactions", json=body)
    check_fuzz_answer(r, body)


@FUZZ
@given(body=CONTACT_BODIES)
@example(body={"identities": [{"kind": "phone", "value": "+"}]})
async def test_fuzz_create_contact(tenant: Tenant, body: dict[str, Any]) -> None:
    r = await tenant.api.post(f"{API}/contacts", json=body)
    check_fuzz_answer(r, body)


async def test_lone_surrogate_escape(tenant: Tenant) -> None:
    # Valid JSON, but "\\ud800" decodes to a string no database can store.
    for path, raw in [
        ("/interactions", b'{"subject": "\\ud800 hi"}'),
        ("/contacts", b'{"name": "x\\udfff"}'),
        ("/interactions", b'{"custom_fields": {"\\ud800": 1}}'),
    ]:
        r = await tenant.api.post(
            f"{API}{path}", content=raw, headers={"content-type": "application/json"}
        )
        assert r.status_code == 422, r.text
        error_of(r)
