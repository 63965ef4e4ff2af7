"""A client for any server speaking OpenAI's chat completions wire format.

``POST {base_url}/chat/completions`` with ``Authorization: Bearer <key>``. Parley never offers the
model tools: the request carries no ``tools`` and an answer holding a tool call is rejected. The
base URL is operator configuration (not customer input), so it is not passed through the SSRF
guard; what bounds a call is the per-attempt time limit and the response size limit.

Retries: one, after 429 or 5xx (waiting ``retry-after-ms`` / ``Retry-After`` when given, else a
short pause; a requested wait longer than ``retry_cap_s`` fails at once instead) and after a
connection that could not be made or broke. A timeout is not retried: its time is already spent.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, TypeGuard

import httpx

from parley.automation.llm.provider import ChatMessage, Completion, LlmError, cost_of

DEFAULT_BACKOFF_S = 0.5
MAX_RESPONSE_BYTES = 1_048_576


class OpenAiCompatible:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        price_in_per_1k: Decimal = Decimal(0),
        price_out_per_1k: Decimal = Decimal(0),
        timeout_s: float = 30.0,
        retry_cap_s: float = 10.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.price_in_per_1k = price_in_per_1k
        self.price_out_per_1k = price_out_per_1k
        self.timeout_s = timeout_s
        self.retry_cap_s = retry_cap_s
        self.max_response_bytes = max_response_bytes
        self._api_key = api_key
        self._transport = transport

    def with_model(self, model: str | None) -> OpenAiCompatible:
        """The same endpoint, key and prices with another model (an AI agent's own choice)."""
        if not model or model == self.model:
            return self
        other = copy.copy(self)
        other.model = model
        return other

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        return f"OpenAiCompatible(url={self.url!r}, model={self.model!r})"

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        purpose: str,
        max_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": _schema_name(purpose),
                    "strict": True,
                    "schema": json_schema,
                },
            }
        started = time.monotonic()
        raw = await self._post_with_retry(body)
        text, model, tokens_in, tokens_out, finish = _parse(raw, self.model)
        return Completion(
            text=text,
            model=model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=cost_of(
                tokens_in,
                tokens_out,
                price_in_per_1k=self.price_in_per_1k,
                price_out_per_1k=self.price_out_per_1k,
            ),
            latency_ms=round((time.monotonic() - started) * 1000),
            finish_reason=finish,
        )

    async def _post_with_retry(self, body: dict[str, Any]) -> bytes:
        for attempt in (1, 2):
            try:
                status, headers, raw = await self._post(body)
            except LlmError as exc:
                if exc.reason == "network" and attempt == 1:
                    await asyncio.sleep(DEFAULT_BACKOFF_S)
                    continue
                raise
            if status == 200:
                return raw
            error = _http_error(status, headers, raw)
            if error.reason in {"rate_limited", "unavailable"} and attempt == 1:
                wait = error.retry_after
                if wait is None or wait <= self.retry_cap_s:
                    await asyncio.sleep(DEFAULT_BACKOFF_S if wait is None else wait)
                    continue
            raise error
        raise AssertionError("unreachable")  # pragma: no cover (the loop returns or raises)

    async def _post(self, body: dict[str, Any]) -> tuple[int, httpx.Headers, bytes]:
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        timeout = httpx.Timeout(self.timeout_s, connect=min(5.0, self.timeout_s))
        try:
            async with (
                asyncio.timeout(self.timeout_s),
                httpx.AsyncClient(timeout=timeout, transport=self._transport) as client,
                client.stream("POST", self.url, json=body, headers=headers) as response,
            ):
                return response.status_code, response.headers, await self._read(response)
        except (TimeoutError, httpx.TimeoutException):
            raise LlmError("timeout", f"no answer within {self.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise LlmError("network", f"could not reach the LLM: {type(exc).__name__}") from None

    async def _read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise _too_large(self.max_response_bytes)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise _too_large(self.max_response_bytes)
            chunks.append(chunk)
        return b"".join(chunks)


def _too_large(limit: int) -> LlmError:
    return LlmError("too_large", f"the LLM's answer is larger than {limit} bytes")


def _schema_name(purpose: str) -> str:
    """OpenAI wants ``^[a-zA-Z0-9_-]{1,64}$`` here."""
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in purpose)[:64]
    return cleaned or "answer"


def _http_error(status: int, headers: httpx.Headers, raw: bytes) -> LlmError:
    detail = _error_detail(raw)
    if status == 429:
        return LlmError(
            "rate_limited",
            f"the LLM is rate limiting (429){detail}",
            status=status,
            retry_after=retry_after(headers),
        )
    if status >= 500:
        return LlmError(
            "unavailable",
            f"the LLM failed ({status}){detail}",
            status=status,
            retry_after=retry_after(headers),
        )
    return LlmError("refused", f"the LLM refused the request ({status}){detail}", status=status)


def _error_detail(raw: bytes) -> str:
    """``: <message>`` from an OpenAI error body, shortened; empty when there is none."""
    try:
        error = json.loads(raw).get("error")
    except (ValueError, AttributeError):
        return ""
    message = error.get("message") if isinstance(error, dict) else None
    return f": {message[:200]}" if isinstance(message, str) and message else ""


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait: OpenAI's ``retry-after-ms``, else ``Retry-After`` (seconds or a date)."""
    millis = headers.get("retry-after-ms", "").strip()
    try:
        if millis:
            return max(0.0, float(millis) / 1000)
    except ValueError:
        pass
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _invalid(why: str) -> LlmError:
    return LlmError("invalid_response", f"the LLM's answer is unusable: {why}", status=200)


def _parse(raw: bytes, requested_model: str) -> tuple[str, str, int, int, str]:
    """(text, model, tokens_in, tokens_out, finish_reason) from a chat.completion body."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise _invalid("not JSON") from None
    if not isinstance(data, dict):
        raise _invalid("not a JSON object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _invalid("no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise _invalid("no message")
    if message.get("tool_calls") or message.get("function_call"):
        # Parley offers no tools, so a tool call is never honoured (docs/llm.md).
        raise _invalid("it asks to call a tool, and Parley offers none")
    content = message.get("content")
    if not isinstance(content, str):
        raise _invalid("the model refused" if message.get("refusal") else "no text content")
    usage = data.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    tokens_in, tokens_out = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if not (_is_count(tokens_in) and _is_count(tokens_out)):
        # Cost is recorded on every call, so an answer we cannot account for is not used.
        raise _invalid("no token usage")
    model = data.get("model")
    finish = choices[0].get("finish_reason")
    return (
        content,
        model if isinstance(model, str) and model else requested_model,
        tokens_in,
        tokens_out,
        finish if isinstance(finish, str) else "unknown",
    )


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
