"""The OpenAI side of the provider sandbox (see __init__.py): ``POST /openai/v1/chat/completions``.

Validates requests the way OpenAI's chat completions API does (bearer key, ``model``, ``messages``
with known roles and string content, ``max_tokens`` >= 1, ``temperature`` in [0, 2], a well-formed
``response_format``) and answers errors in OpenAI's shape (``{"error": {"message", "type",
"param", "code"}}``): 401 ``invalid_api_key``, 400 ``invalid_request_error``.

Answers are scripted, popped first from ``sandbox.script["openai:<api key>"]`` (so one test's
script never reaches another's key), then from ``sandbox.script["openai"]``; without a script the
answer is ``{}``. A scripted body that is a ``str`` becomes the assistant's content, in a full
``chat.completion`` whose ``usage`` counts whitespace-separated words (prompt: every message's
content; completion: the content) unless the script's headers carry ``x-sandbox-prompt-tokens`` /
``x-sandbox-completion-tokens``; a ``dict`` is sent as it is; ``bytes`` are sent raw (malformed
answers). ``x-sandbox-delay: <seconds>`` answers late. Any other header (``Retry-After``,
``retry-after-ms``) is passed on.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from parley.config import Settings

if TYPE_CHECKING:
    from tests.providers import Call, Sandbox

ROLES = {"system", "developer", "user", "assistant", "tool"}
PREFIX = "/openai/v1"


def error(status: int, message: str, *, type: str, code: str | None = None) -> JSONResponse:
    """An error in OpenAI's shape."""
    body = {"error": {"message": message, "type": type, "param": None, "code": code}}
    return JSONResponse(body, status)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _invalid(data: Any) -> str | None:
    """Why OpenAI would refuse this request body, or None."""
    if not isinstance(data, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(data.get("model"), str) or not data["model"]:
        return "you must provide a model parameter"
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            return f"Invalid value for 'messages[{i}].role'"
        if not isinstance(m.get("content"), str):
            return f"Invalid type for 'messages[{i}].content': expected a string"
    max_tokens = data.get("max_tokens", 1)
    if type(max_tokens) is not int or max_tokens < 1:
        return "Invalid 'max_tokens': integer below minimum value 1"
    temperature = data.get("temperature", 1)
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        return "Invalid 'temperature': must be between 0 and 2"
    fmt = data.get("response_format")
    if fmt is not None:
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if kind not in {"text", "json_object", "json_schema"}:
            return "Invalid 'response_format.type'"
        schema = fmt.get("json_schema") if kind == "json_schema" else {"name": "x", "schema": {}}
        if not isinstance(schema, dict) or not isinstance(schema.get("name"), str):
            return "Missing required parameter: 'response_format.json_schema.name'"
    return None


def _words(text: str) -> int:
    return len(text.split())


def completion(
    data: dict[str, Any], content: str, headers: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """A ``chat.completion`` answering ``data`` with ``content``, and the headers left over."""
    headers = dict(headers)
    prompt = sum(_words(m["content"]) for m in data["messages"])
    prompt = int(headers.pop("x-sandbox-prompt-tokens", prompt))
    answer = int(headers.pop("x-sandbox-completion-tokens", _words(content)))
    body = {
        "id": "chatcmpl-" + secrets.token_hex(12),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": data["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": answer,
            "total_tokens": prompt + answer,
        },
    }
    return body, headers


def tool_call_answer() -> dict[str, Any]:
    """A ``chat.completion`` in which the model asks to call a tool (Parley never offers one)."""
    call = {"name": "refund_all", "arguments": '{"org": "B"}'}
    message = {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "function": call}]}
    return {
        "model": "gpt-sandbox-mini",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def routes(sandbox: Sandbox) -> list[Route]:
    async def chat_completions(request: Request) -> Response:
        body = await request.body()
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        sandbox.record("openai", request, body, json=data)
        key = _bearer(request)
        if not key:
            return error(401, "Incorrect API key provided.", type="invalid_request_error",
                         code="invalid_api_key")  # fmt: skip
        reason = _invalid(data)
        if reason is not None:
            return error(400, reason, type="invalid_request_error")
        scripted = sandbox.next_answer(f"openai:{key}") or sandbox.next_answer("openai")
        status, payload, headers = scripted if scripted is not None else (200, "{}", {})
        headers = dict(headers)
        delay = float(headers.pop("x-sandbox-delay", 0))
        if delay:
            await asyncio.sleep(delay)
        if isinstance(payload, bytes):
            return Response(payload, status, headers, media_type="application/json")
        if isinstance(payload, str):
            payload, headers = completion(data, payload, headers)
        return JSONResponse(payload, status, headers)

    return [Route(f"{PREFIX}/chat/completions", chat_completions, methods=["POST"])]


def script(sandbox: Sandbox, api_key: str, status: int, body: Any, **headers: str) -> None:
    """The API's next answer to ``api_key`` (header names use ``_`` for ``-``)."""
    named = {k.replace("_", "-"): v for k, v in headers.items()}
    sandbox.script[f"openai:{api_key}"].append((status, body, named))


def llm_settings(base: Settings, sandbox: Sandbox, api_key: str, **changes: Any) -> Settings:
    """``base`` pointed at the sandbox's OpenAI API (the session's live server is not)."""
    values: dict[str, Any] = {
        "llm_base_url": sandbox.url + PREFIX,
        "llm_api_key": api_key,
        "llm_model": "gpt-sandbox-mini",
        "llm_price_in_per_1k": Decimal("0.15"),
        "llm_price_out_per_1k": Decimal("0.6"),
        "llm_timeout_s": 5,
    }
    values.update(changes)
    return base.with_overrides(**values)


def calls(sandbox: Sandbox, api_key: str) -> list[Call]:
    """What the API received with ``api_key``."""
    wanted = f"Bearer {api_key}"
    return [c for c in sandbox.calls["openai"] if c.headers.get("authorization") == wanted]
