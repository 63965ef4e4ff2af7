"""The webhooks side of the provider sandbox (see __init__.py): customers' receivers.

``/webhooks/<name>`` records every request (any method) under ``sandbox.calls["webhooks:<name>"]``
and answers 200 ``ok`` unless a test scripted answers for that name, popped one per request:
``answer(sandbox, name, 500)``, ``answer(sandbox, name, 410)``,
``answer(sandbox, name, 429, headers={"retry-after": "3600"})``,
``answer(sandbox, name, 302, headers={"location": "http://169.254.169.254/"})``.
``/webhooks/<name>/slow?s=3`` waits before answering. A name per test keeps the scripts and calls
of tests apart, even from another test's late retries.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if TYPE_CHECKING:
    from tests.providers import Call, Sandbox


def receiver_url(sandbox: Sandbox, name: str) -> str:
    return f"{sandbox.url}/webhooks/{name}"


def calls(sandbox: Sandbox, name: str) -> list[Call]:
    return sandbox.calls[f"webhooks:{name}"]


def answer(
    sandbox: Sandbox,
    name: str,
    status: int,
    body: str = "",
    headers: dict[str, str] | None = None,
) -> None:
    sandbox.script[f"webhooks:{name}"].append((status, body, headers or {}))


def routes(sandbox: Sandbox) -> list[Route]:
    async def receive(request: Request) -> Response:
        name = request.path_params["name"]
        body = await request.body()
        parsed: Any = None
        if request.headers.get("content-type", "").startswith("application/json"):
            parsed = await request.json()
        sandbox.record(f"webhooks:{name}", request, body, json=parsed)
        scripted = sandbox.next_answer(f"webhooks:{name}")
        if scripted is None:
            return Response("ok", media_type="text/plain")
        status, text, headers = scripted
        return Response(str(text or ""), status_code=status, headers=headers)

    async def slow(request: Request) -> Response:
        await asyncio.sleep(float(request.query_params.get("s", "3")))
        return await receive(request)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return [
        Route("/webhooks/{name}/slow", slow, methods=methods),
        Route("/webhooks/{name}", receive, methods=methods),
    ]
