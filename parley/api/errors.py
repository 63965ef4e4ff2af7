"""The one place where errors become responses: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException

from parley.errors import ParleyError, TooManyRequests

log = logging.getLogger("parley.api")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None, **headers: str
) -> JSONResponse:
    return JSONResponse(error_body(code, message, fields), status_code=status, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _parley_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ParleyError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else {}
    return error_response(exc.status, exc.code, exc.message, exc.fields, **headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields: dict[str, str] = {}
    for err in exc.errors():
        name = _field_name(tuple(err.get("loc", ())))
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            message = "this field cannot be set"
        fields.setdefault(name, message)
    return error_response(422, "invalid_input", "the request is not valid", fields)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message, None, **(exc.headers or {}))


UNAVAILABLE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Unavailable · Parley</title><link rel="icon" href="/static/favicon.svg">
<link rel="stylesheet" href="/static/parley.css"></head>
<body class="centered"><main class="card signin"><h1>Parley is unavailable</h1>
<p>Parley cannot reach its database right now. Nothing was lost; please try again in a moment.</p>
</main></body></html>"""


async def _backend_down(request: Request, exc: Exception) -> Response:
    """A database (or other backend) that cannot be reached: fail fast, say so, save nothing."""
    log.warning("backend unavailable: %s: %s", type(exc).__name__, exc)
    headers = {"Retry-After": "5"}
    if not request.url.path.startswith("/api/"):
        return HTMLResponse(UNAVAILABLE_PAGE, status_code=503, headers=headers)
    return error_response(
        503, "unavailable", "the database is unavailable; nothing was saved", None, **headers
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal", "something went wrong on our side")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ParleyError, _parley_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    # Only lost connectivity is "unavailable"; any other driver error is a bug (500), because
    # input that a database cannot store is refused by validation before it gets there.
    app.add_exception_handler(OperationalError, _backend_down)
    app.add_exception_handler(InterfaceError, _backend_down)
    # Connection refused or reset while connecting surfaces as a plain OSError from the driver.
    app.add_exception_handler(OSError, _backend_down)
    app.add_exception_handler(Exception, _unexpected)
