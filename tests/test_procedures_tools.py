"""The real tool runner: the SSRF guard, secrets resolved at call time, JSON in and out."""

from __future__ import annotations

import json

import httpx

from parley.automation.procedures import HttpToolRunner
from parley.automation.procedures.model import Tool
from parley.security import ssrf

TOOL = Tool.model_validate(
    {
        "method": "POST",
        "url": "{{config.shop}}/orders/{{order_id}}/refunds?by={{email}}",
        "headers": {"Authorization": "Bearer {{secrets.token}}"},
        "secrets": {"token": "shop_token"},
        "body": {"amount": "{{amount}}"},
        "timeout": 2,
    }
)
SLOTS = {"order_id": "AB/1", "email": "a+b@example.org", "amount": 12.5}


def mock(seen: list[httpx.Request], answer: httpx.Response) -> object:
    def transport_for(target: ssrf.Target) -> httpx.AsyncBaseTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return answer

        return httpx.MockTransport(handle)

    return transport_for


async def test_a_call_resolves_secrets_and_settings_and_reads_json() -> None:
    seen: list[httpx.Request] = []
    runner = HttpToolRunner(
        secrets={"shop_token": "tok-123", "other_org_token": "never"},
        config={"shop": "https://93.184.215.14/api/"},
        transport_for=mock(seen, httpx.Response(201, json={"id": "R1"})),  # type: ignore[arg-type]
    )
    result = await runner.call("refund", TOOL, SLOTS)
    assert (result.ok, result.status, result.body) == (True, 201, {"id": "R1"})
    (request,) = seen
    assert (
        str(request.url) == "https://93.184.215.14/api/orders/AB%2F1/refunds?by=a%2Bb%40example.org"
    )
    assert request.headers["authorization"] == "Bearer tok-123"
    assert json.loads(request.content) == {"amount": 12.5}


async def test_private_and_metadata_addresses_are_refused() -> None:
    seen: list[httpx.Request] = []
    for base in ("http://127.0.0.1:9", "http://169.254.169.254", "https://10.0.0.1"):
        runner = HttpToolRunner(
            secrets={"shop_token": "t"},
            config={"shop": base},
            transport_for=mock(seen, httpx.Response(200)),  # type: ignore[arg-type]
        )
        result = await runner.call("refund", TOOL, SLOTS)
        assert not result.ok and "cannot be called" in (result.error or ""), base
    assert seen == []
    # Tests and self-hosted demos may allow private addresses; metadata stays refused.
    allowed = HttpToolRunner(
        secrets={"shop_token": "t"},
        config={"shop": "http://169.254.169.254"},
        allow_private=True,
        transport_for=mock(seen, httpx.Response(200)),  # type: ignore[arg-type]
    )
    assert not (await allowed.call("refund", TOOL, SLOTS)).ok
    assert seen == []


async def test_missing_secrets_or_settings_fail_without_a_request() -> None:
    seen: list[httpx.Request] = []
    runner = HttpToolRunner(
        secrets={},
        config={"shop": "https://93.184.215.14"},
        transport_for=mock(seen, httpx.Response(200)),  # type: ignore[arg-type]
    )
    result = await runner.call("refund", TOOL, SLOTS)
    assert result.error == "the secret 'shop_token' is not set"
    runner = HttpToolRunner(secrets={"shop_token": "t"}, config={})
    assert (
        await runner.call("refund", TOOL, SLOTS)
    ).error == "the setting 'shop' is not configured"
    assert seen == []


async def test_http_errors_are_results_not_exceptions() -> None:
    seen: list[httpx.Request] = []
    runner = HttpToolRunner(
        secrets={"shop_token": "t"},
        config={"shop": "https://93.184.215.14"},
        transport_for=mock(seen, httpx.Response(404, text="not json")),  # type: ignore[arg-type]
    )
    result = await runner.call("refund", TOOL, SLOTS)
    assert (result.ok, result.status, result.body) == (False, 404, None)
