"""Calling a procedure's HTTP tools: the ToolRunner Protocol, the real runner (through the SSRF
guard) and an offline one answered by fixtures (tests and ``parley procedures test``).

A request is rendered in one pass from the tool as the procedure declares it and the slots:
values in the URL are percent-encoded (``/``, ``?``, ``#``, ``@`` included), so customer text can
add neither a path segment nor a query parameter nor a host; ``{{config.NAME}}`` (the operator's
settings) may only open the URL; ``{{secrets.NAME}}`` only goes into headers and the body, is
resolved from the organization's secret store at call time and is masked in every trace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from parley.automation.procedures.model import Tool, ToolFixture
from parley.automation.procedures.templates import lookup, render, render_json
from parley.security import ssrf

MASK = "***"
RESERVED = ("config", "secrets")
_CONFIG_PREFIX = re.compile(r"^\{\{\s*config\.([A-Za-z0-9_]+)\s*\}\}")


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    status: int | None = None
    body: Any = None
    error: str | None = None


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: Any = None


class ToolRunner(Protocol):
    async def call(self, name: str, tool: Tool, slots: Mapping[str, Any]) -> ToolResult:
        """Make the call ``tool`` describes, with ``slots`` as the template values."""
        ...


class ToolError(Exception):
    """A request that cannot be built (a missing secret or setting, a dot-only path value)."""


def _url_value(value: str) -> str:
    if value and value.strip(".") == "":
        raise ToolError("a value in a URL cannot be '.' or '..'")
    return quote(value, safe="")


def render_request(
    tool: Tool,
    slots: Mapping[str, Any],
    *,
    config: Mapping[str, str],
    secrets: Mapping[str, str],
    redact: bool = False,
) -> HttpRequest:
    """The request ``tool`` makes with these slots. ``secrets`` are the organization's (by the
    names the store uses); ``redact`` masks them and shows settings by name (for traces)."""
    data = {k: v for k, v in slots.items() if k.split(".", 1)[0] not in RESERVED}
    url = tool.url
    prefix = ""
    match = _CONFIG_PREFIX.match(url)
    if match is not None:
        key = match.group(1)
        if redact:
            prefix = f"{{config.{key}}}"
        elif key in config:
            prefix = config[key].rstrip("/")
        else:
            raise ToolError(f"the setting {key!r} is not configured")
        url = url[match.end() :]
    url = prefix + render(url, data, encode=_url_value)
    resolved: dict[str, str] = {}
    for local, ref in tool.secrets.items():
        if redact:
            resolved[local] = MASK
        elif ref in secrets:
            resolved[local] = secrets[ref]
        else:
            raise ToolError(f"the secret {ref!r} is not set")
    context = {**data, "secrets": resolved, "config": dict(config)}
    headers = {h: render(v, context) for h, v in tool.headers.items()}
    if redact:
        headers = {h: MASK if "secrets." in tool.headers[h] else v for h, v in headers.items()}
    body = render_json(tool.body, context) if tool.body is not None else None
    return HttpRequest(tool.method, url, headers, body)


def extract(body: Any, path: str) -> Any:
    """A value from a JSON answer by path: ``status``, ``$.order.eta``, ``items[0].sku``."""
    normal = re.sub(r"\[(\d+)\]", r".\1", path.strip()).removeprefix("$").lstrip(".")
    if normal == "":
        return body
    return lookup({"": body}, "." + normal) if not isinstance(body, dict) else lookup(body, normal)


class HttpToolRunner:
    """The real runner: one organization's secrets and the operator's settings, every request
    through ``parley.security.ssrf.fetch`` (vetted address, vetted redirects, one deadline)."""

    def __init__(
        self,
        *,
        secrets: Mapping[str, str],
        config: Mapping[str, str],
        allow_private: bool = False,
        resolver: ssrf.Resolver | None = None,
        transport_for: Callable[[ssrf.Target], httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self._secrets = dict(secrets)
        self._config = dict(config)
        self._allow_private = allow_private
        self._resolver = resolver
        self._transport_for = transport_for

    async def call(self, name: str, tool: Tool, slots: Mapping[str, Any]) -> ToolResult:
        try:
            request = render_request(tool, slots, config=self._config, secrets=self._secrets)
        except ToolError as exc:
            return ToolResult(ok=False, error=str(exc))
        headers = {"accept": "application/json", **request.headers}
        content = b""
        if request.body is not None:
            content = json.dumps(request.body).encode()
            headers.setdefault("content-type", "application/json")
        try:
            answer = await ssrf.fetch(
                request.method,
                request.url,
                content=content,
                headers=headers,
                allow_private=self._allow_private,
                resolver=self._resolver,
                timeout_s=tool.timeout,
                transport_for=self._transport_for,
            )
        except ssrf.UnsafeUrl as exc:
            return ToolResult(ok=False, error=exc.message)
        except ssrf.FetchError as exc:
            return ToolResult(ok=False, error=str(exc))
        try:
            body = json.loads(answer.body) if answer.body else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        ok = 200 <= answer.status < 300
        return ToolResult(ok=ok, status=answer.status, body=body, error=None if ok else "status")


@dataclass
class OfflineToolRunner:
    """Answers each tool from fixtures (a list answers successive calls; the last repeats) and
    records the requests it was asked to make, rendered as a trace shows them."""

    fixtures: Mapping[str, ToolFixture | list[ToolFixture]]
    calls: list[tuple[str, HttpRequest]] = field(default_factory=list)

    async def call(self, name: str, tool: Tool, slots: Mapping[str, Any]) -> ToolResult:
        try:
            request = render_request(tool, slots, config={}, secrets={}, redact=True)
        except ToolError as exc:
            return ToolResult(ok=False, error=str(exc))
        made = sum(1 for n, _ in self.calls if n == name)
        self.calls.append((name, request))
        given = self.fixtures.get(name)
        if given is None:
            return ToolResult(ok=False, error=f"no fixture answers the tool {name!r}")
        answers = given if isinstance(given, list) else [given]
        fixture = answers[min(made, len(answers) - 1)]
        if fixture.error is not None:
            return ToolResult(ok=False, error=fixture.error)
        ok = 200 <= fixture.status < 300
        return ToolResult(ok, fixture.status, fixture.body, None if ok else "status")
