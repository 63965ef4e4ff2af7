"""The trustpilot side of the provider sandbox (see __init__.py).

Trustpilot's public reply endpoint, ``POST /v1/private/reviews/{reviewId}/reply`` with a bearer
token and ``{"message", "authorBusinessUserId"}``, served under ``/trustpilot``: channels point
``config["api_url"]`` at ``f"{sandbox.url}/trustpilot"``. Answers 201 unless a test scripted
another answer in ``sandbox.script["trustpilot"]``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from tests.providers import Sandbox


def routes(sandbox: Sandbox) -> list[Route]:
    async def reply(request: Request) -> Response:
        body = await request.body()
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        sandbox.record("trustpilot", request, body, json=parsed)
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        scripted = sandbox.next_answer("trustpilot")
        if scripted is not None:
            status, answer, headers = scripted
            return JSONResponse(answer, status_code=status, headers=headers)
        if not isinstance(parsed, dict) or not parsed.get("message"):
            return JSONResponse({"message": "message is required"}, status_code=400)
        return Response(status_code=201)

    return [Route("/trustpilot/v1/private/reviews/{review_id}/reply", reply, methods=["POST"])]
