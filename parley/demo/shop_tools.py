"""Tool calls to the demo shop, answered in-process (see parley/demo/shop.py for why)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
from fastapi import FastAPI

from parley.automation.procedures.model import Tool
from parley.automation.procedures.tools import ToolError, ToolResult, ToolRunner, render_request
from parley.demo.shop import DEMO_SHOP_URL, api

_app = FastAPI()
_app.include_router(api)


class DemoShopTools:
    """Calls to ``DEMO_SHOP_URL`` go to the demo shop's ASGI app; everything else to ``real``."""

    def __init__(
        self, real: ToolRunner, *, config: Mapping[str, str], secrets: Mapping[str, str]
    ) -> None:
        self.real, self.config, self.secrets = real, dict(config), dict(secrets)

    async def call(self, name: str, tool: Tool, slots: Mapping[str, Any]) -> ToolResult:
        try:
            request = render_request(tool, slots, config=self.config, secrets=self.secrets)
        except ToolError as exc:
            return ToolResult(ok=False, error=str(exc))
        if not request.url.startswith(DEMO_SHOP_URL + "/"):
            return await self.real.call(name, tool, slots)
        transport = httpx.ASGITransport(app=_app)
        async with httpx.AsyncClient(transport=transport, base_url=DEMO_SHOP_URL) as client:
            answer = await client.request(
                request.method,
                request.url,
                headers=request.headers,
                content=json.dumps(request.body).encode() if request.body is not None else None,
            )
        try:
            body = answer.json() if answer.content else None
        except ValueError:
            body = None
        ok = 200 <= answer.status_code < 300
        return ToolResult(
            ok=ok, status=answer.status_code, body=body, error=None if ok else "status"
        )
