"""Cross-origin access for the widget routes only: the widget runs on customers' own sites.

Allowed origins are the channel's ``config["allowed_origins"]`` (a list of ``scheme://host[:port]``
or ``"*"``, the default). Credentials are never allowed: the widget authenticates with its visitor
token in a header, not cookies, so ``*`` cannot be turned into cross-site request forgery.

Parley's own origin is always allowed (the demo shop page). A request whose ``Origin`` is not
allowed is refused outright (403), not only left unreadable by the browser: the WebSocket
handshake, which browsers do not subject to CORS, needs the same check.
Responses on these routes always carry the CORS headers, errors included (a widget must be able to
read a 429 and its Retry-After), which is why the routes use ``WidgetRoute``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from parley.models import Channel

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Content-Type, X-Visitor-Token"
EXPOSE_HEADERS = "Retry-After"
MAX_AGE = "600"


def _norm(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def allowed_origins(channel: Channel) -> frozenset[str] | None:
    """The channel's allowed origins; None means any."""
    raw = channel.config.get("allowed_origins", "*")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return frozenset()
    origins = frozenset(_norm(o) for o in raw if isinstance(o, str))
    return None if "*" in origins else origins


def origin_allowed(channel: Channel, origin: str | None, host: str | None = None) -> bool:
    """Requests without an Origin (servers, native apps) are not browsers: CORS does not apply.

    Parley's own pages (``host``, the request's Host, equals the Origin's), such as the demo shop,
    are always allowed: they are served under Parley's own strict policy."""
    if origin is None:
        return True
    if host and origin.split("://", 1)[-1].rstrip("/").lower() == host.lower():
        return True
    allowed = allowed_origins(channel)
    return allowed is None or _norm(origin) in allowed


def cors_headers(channel: Channel | None, origin: str | None, *, preflight: bool) -> dict[str, str]:
    allowed = allowed_origins(channel) if channel is not None else None
    if allowed is None:
        headers = {"Access-Control-Allow-Origin": "*"}
    elif origin is not None and _norm(origin) in allowed:
        headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    else:
        return {"Vary": "Origin"}
    if preflight:
        headers.update(
            {
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": MAX_AGE,
            }
        )
    else:
        headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return headers


class WidgetRoute(APIRoute):
    """An APIRoute whose responses, errors included, carry the widget's CORS headers.

    Errors are turned into responses here by the app's own exception handlers (the same ones the
    rest of the API uses), so that the headers can be added to them.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                response = await _handled(request, exc)
            channel = getattr(request.state, "widget_channel", None)
            response.headers.update(
                cors_headers(
                    channel if isinstance(channel, Channel) else None,
                    request.headers.get("origin"),
                    preflight=request.method == "OPTIONS",
                )
            )
            return response

        return route


async def _handled(request: Request, exc: Exception) -> Response:
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            response: Response = await handler(request, exc)
            return response
    raise exc
