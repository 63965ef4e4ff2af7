"""Local stand-ins for the providers' APIs, speaking their wire formats (the sandbox).

The session's live Parley server is configured to send everything here: Twilio's REST API, Meta's
Graph API, outbound webhooks and SMTP. Each provider module adds its routes to ``ROUTES`` and its
recorded requests to ``Sandbox.calls``; tests assert on what a provider would have received. The
OpenAI-compatible LLM API is served too, but only settings built by ``openai.llm_settings`` use it.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from tests.providers import meta, openai, trustpilot, twilio, webhooks


@dataclass
class Call:
    provider: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, list[str]] = field(default_factory=dict)
    json: Any = None


class Sandbox:
    def __init__(self) -> None:
        self.calls: dict[str, list[Call]] = defaultdict(list)
        self.mail: list[tuple[Envelope, EmailMessage]] = []
        # Scripted answers: provider -> list of (status, body, headers) popped per call.
        self.script: dict[str, list[tuple[int, Any, dict[str, str]]]] = defaultdict(list)
        routes: list[Route] = []
        for module in (twilio, meta, trustpilot, webhooks, openai):
            routes += module.routes(self)
        self.app = Starlette(routes=routes)
        self.url = ""
        self.smtp_port = 0

    def record(self, provider: str, request: Request, body: bytes, **parsed: Any) -> Call:
        call = Call(
            provider, request.method, request.url.path, dict(request.headers), body, **parsed
        )
        self.calls[provider].append(call)
        return call

    def next_answer(self, provider: str) -> tuple[int, Any, dict[str, str]] | None:
        queue = self.script[provider]
        return queue.pop(0) if queue else None

    def reset(self) -> None:
        self.calls.clear()
        self.mail.clear()
        self.script.clear()


class _SmtpSink:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        message = BytesParser(policy=default_policy).parsebytes(
            raw if isinstance(raw, bytes) else raw.encode()
        )
        self.sandbox.mail.append((envelope, message))  # type: ignore[arg-type]
        return "250 OK"


class RunningSandbox:
    """The sandbox's HTTP server (uvicorn in a thread) and SMTP sink (aiosmtpd)."""

    def __init__(self) -> None:
        import socket

        self.sandbox = Sandbox()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        host, port = self.sock.getsockname()
        self.sandbox.url = f"http://{host}:{port}"
        self.server = uvicorn.Server(uvicorn.Config(self.sandbox.app, log_level="warning"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        # aiosmtpd checks readiness by connecting to its port, so it needs a real one, not 0.
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.sandbox.smtp_port = probe.getsockname()[1]
        probe.close()
        self.smtp = Controller(
            _SmtpSink(self.sandbox), hostname="127.0.0.1", port=self.sandbox.smtp_port
        )

    def start(self) -> None:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the provider sandbox did not start")
            time.sleep(0.02)
        self.smtp.start()

    def stop(self) -> None:
        self.smtp.stop()
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()


async def wait_for(predicate: Any, *, within: float = 10.0) -> None:
    """Poll until ``predicate()`` is true (background jobs deliver asynchronously)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 (the state lives in another thread)
            await asyncio.sleep(0.05)
