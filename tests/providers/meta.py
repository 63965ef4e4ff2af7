"""The Meta side of the provider sandbox (see __init__.py), and what Meta sends to Parley.

Graph API stand-in: ``POST /meta/v21.0/{node}/messages`` answers like the WhatsApp Cloud API when
the body says ``"messaging_product": "whatsapp"`` (``{"messaging_product", "contacts",
"messages": [{"id": "wamid...."}]}``), and like the Messenger Send API otherwise
(``{"recipient_id", "message_id": "m_..."}``, for ``me`` or a page id). Requests without a bearer
token get Meta's 190 error; malformed ones Meta's 100. Scripted answers are popped first from
``sandbox.script["meta:<access token>"]`` (so one test's script never reaches another test's
channel), then from ``sandbox.script["meta"]``; a script's headers may carry
``x-sandbox-delay: <seconds>`` to answer late.

Webhooks: ``payloads()`` reads the recorded real bodies in ``shared/data/webhooks`` and
``MetaChannel.deliver`` posts one to a channel signed the way Meta signs (an HMAC written here, not
Parley's).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from parley.models import Message, ThreadKey

if TYPE_CHECKING:
    from tests.factories import Tenant
    from tests.providers import Sandbox

T = TypeVar("T")

DATA = (
    Path(os.environ.get("PARLEY_TEST_DATA") or Path(__file__).resolve().parents[3] / "shared/data")
    / "webhooks"
)


def graph_error(
    code: int, message: str, *, subcode: int | None = None, type: str = "OAuthException"
) -> dict[str, Any]:
    """An error body in the Graph API's shape."""
    error: dict[str, Any] = {
        "message": message,
        "type": type,
        "code": code,
        "fbtrace_id": "A" + secrets.token_hex(8),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def routes(sandbox: Sandbox) -> list[Route]:
    async def messages(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        sandbox.record("meta", request, body, json=data)
        token = _bearer(request)
        scripted = sandbox.next_answer(f"meta:{token}") or sandbox.next_answer("meta")
        if scripted is not None:
            status, payload, headers = scripted
            headers = dict(headers)
            delay = float(headers.pop("x-sandbox-delay", 0))
            if delay:
                await asyncio.sleep(delay)
            return JSONResponse(payload, status, headers)
        if not token:
            return JSONResponse(graph_error(190, "Invalid OAuth access token."), 401)
        if not isinstance(data, dict):
            return JSONResponse(
                graph_error(100, "Invalid parameter", type="GraphMethodException"), 400
            )
        if data.get("messaging_product") == "whatsapp":
            return _whatsapp(request.path_params["node"], data)
        return _messenger(data)

    return [Route("/meta/v21.0/{node}/messages", messages, methods=["POST"])]


def _whatsapp(node: str, data: dict[str, Any]) -> JSONResponse:
    to = str(data.get("to") or "")
    text = (data.get("text") or {}).get("body") if data.get("type") == "text" else None
    if not node.isdigit() or not to.isdigit() or not text:
        return JSONResponse(graph_error(100, "Invalid parameter"), 400)
    wamid = "wamid." + secrets.token_urlsafe(24)
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }
    )


def _messenger(data: dict[str, Any]) -> JSONResponse:
    recipient = (data.get("recipient") or {}).get("id")
    text = (data.get("message") or {}).get("text")
    if not recipient or not text:
        return JSONResponse(graph_error(100, "(#100) The parameter recipient is required"), 400)
    return JSONResponse({"recipient_id": recipient, "message_id": "m_" + secrets.token_hex(16)})


# --- what Meta sends ------------------------------------------------------------------------------


def payloads(path: str) -> dict[str, Any]:
    """``{variant: body}`` from one recorded file (``whatsapp_cloud/message.json``...)."""
    loaded: dict[str, Any] = json.loads((DATA / path).read_text())
    if "payload" in loaded:
        return {Path(path).stem: loaded["payload"]}
    if "events" in loaded:
        events: dict[str, Any] = loaded["events"]
        return events
    return loaded


def signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def raw_of(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


@dataclass
class MetaChannel:
    """A WhatsApp, Messenger or Instagram channel created through the API, with its secrets."""

    id: str
    kind: str
    app_secret: str
    verify_token: str
    access_token: str
    base_url: str

    @property
    def hook(self) -> str:
        return f"/hooks/meta/{self.id}"

    async def deliver(self, body: Any, *, sign_with: str | None = None) -> httpx.Response:
        """POST ``body`` (bytes are sent as they are) signed with the channel's app secret."""
        raw = raw_of(body)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature(sign_with or self.app_secret, raw),
        }
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60) as client:
            return await client.post(self.hook, content=raw, headers=headers)

    def script(self, sandbox: Sandbox, status: int, payload: Any, **headers: str) -> None:
        """The Graph API's next answer to this channel's token."""
        sandbox.script[f"meta:{self.access_token}"].append((status, payload, headers))

    def calls(self, sandbox: Sandbox) -> list[Any]:
        """What the Graph API received with this channel's token."""
        wanted = f"Bearer {self.access_token}"
        return [c for c in sandbox.calls["meta"] if c.headers.get("authorization") == wanted]


async def make_channel(
    tenant: Tenant,
    kind: str,
    *,
    app_secret: str | None = None,
    config: dict[str, Any] | None = None,
) -> MetaChannel:
    app_secret = app_secret or secrets.token_hex(16)
    verify_token = secrets.token_urlsafe(16)
    access_token = "EAAG" + secrets.token_hex(16)
    default = {"whatsapp": {"phone_number_id": "1122334455667"}, "messenger": {"page_id": "111111"}}
    response = await tenant.api.post(
        "/api/v1/channels",
        json={
            "kind": kind,
            "name": f"{kind} {uuid.uuid4().hex[:6]}",
            "config": default.get(kind, {}) if config is None else config,
            "secrets": {
                "app_secret": app_secret,
                "verify_token": verify_token,
                "access_token": access_token,
            },
            "default_queue_id": str(tenant.queue.id),
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    return MetaChannel(
        created["id"], kind, app_secret, verify_token, access_token, str(tenant.api.base_url)
    )


# --- what Parley stored ---------------------------------------------------------------------------


async def stored(tenant: Tenant, channel: MetaChannel) -> list[Message]:
    """Every message on the channel in transcript order (from the database, meta included)."""
    async with tenant.db.transaction() as session:
        rows = await session.execute(
            select(Message)
            .where(Message.channel_id == uuid.UUID(channel.id))
            .order_by(Message.seq, Message.created_at)
        )
        return list(rows.scalars())


async def thread_keys(tenant: Tenant, channel: MetaChannel) -> set[str]:
    async with tenant.db.transaction() as session:
        rows = await session.execute(
            select(ThreadKey.key).where(ThreadKey.channel_id == uuid.UUID(channel.id))
        )
        return set(rows.scalars())


async def eventually(check: Callable[[], Awaitable[T | None]], *, within: float = 20) -> T:
    """Poll ``check`` until it returns something (background jobs deliver asynchronously)."""
    async with asyncio.timeout(within):
        while True:
            found = await check()
            if found is not None:
                return found
            await asyncio.sleep(0.1)


async def reply_as_agent(tenant: Tenant, interaction_id: Any, text: str) -> dict[str, Any]:
    """The agent claims the interaction (if nobody has) and replies through the REST API."""
    client = tenant.agent.client
    await client.post(f"/api/v1/interactions/{interaction_id}/claim")
    response = await client.post(
        f"/api/v1/interactions/{interaction_id}/messages", json={"text": text}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def message_when(
    tenant: Tenant, interaction_id: Any, message_id: str, status: str, *, within: float = 20
) -> dict[str, Any]:
    """The message as the API shows it, once its delivery status is ``status``."""

    async def check() -> dict[str, Any] | None:
        response = await tenant.api.get(f"/api/v1/interactions/{interaction_id}/messages")
        for message in response.json():
            if message["id"] == message_id and message["delivery_status"] == status:
                found: dict[str, Any] = message
                return found
        return None

    return await eventually(check, within=within)


def wa_answer(wamid: str, to: str = "972544401243") -> dict[str, Any]:
    """The Cloud API's answer to a send, with a chosen wamid."""
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}],
        "messages": [{"id": wamid}],
    }
