"""The OpenAI-compatible client, against the sandbox's chat completions API over real HTTP."""

from __future__ import annotations

import secrets
import time
from decimal import Decimal
from typing import Any

import pytest

from parley.automation.llm import (
    ChatMessage,
    LlmError,
    OfflineProvider,
    OpenAiCompatible,
    cost_of,
    provider_from_settings,
)
from parley.config import Settings
from tests.providers import Sandbox
from tests.providers.openai import calls, llm_settings, script, tool_call_answer

MESSAGES = [ChatMessage("system", "Answer briefly."), ChatMessage("user", "Hello there")]


@pytest.fixture
def key() -> str:
    return "sk-test-" + secrets.token_hex(12)


@pytest.fixture
def llm(sandbox: Sandbox, key: str) -> OpenAiCompatible:
    provider = provider_from_settings(llm_settings(Settings(), sandbox, key))
    assert isinstance(provider, OpenAiCompatible)
    return provider


async def ask(llm: OpenAiCompatible, **kwargs: Any) -> Any:
    return await llm.complete(
        MESSAGES, purpose="classify", max_tokens=kwargs.pop("max_tokens", 50), temperature=0.0
    )


async def test_request_shape_and_answer(llm: OpenAiCompatible, sandbox: Sandbox, key: str) -> None:
    script(sandbox, key, 200, "Hi! How can I help?")
    schema = {"type": "object", "properties": {}, "additionalProperties": False}
    completion = await llm.complete(
        MESSAGES, purpose="rank procedures", max_tokens=42, temperature=0.2, json_schema=schema
    )
    [call] = calls(sandbox, key)
    assert (call.method, call.path) == ("POST", "/openai/v1/chat/completions")
    assert call.headers["authorization"] == f"Bearer {key}"
    assert call.json == {
        "model": "gpt-sandbox-mini",
        "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Hello there"},
        ],
        "max_tokens": 42,
        "temperature": 0.2,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "rank_procedures", "strict": True, "schema": schema},
        },
    }
    assert completion.text == "Hi! How can I help?"
    assert (completion.model, completion.finish_reason) == ("gpt-sandbox-mini", "stop")
    # The sandbox counts words: 2 + 2 in the prompt, 5 in the answer.
    assert (completion.tokens_in, completion.tokens_out) == (4, 5)
    assert completion.billable and completion.latency_ms >= 0


async def test_usage_and_cost_are_exact_decimals(
    llm: OpenAiCompatible, sandbox: Sandbox, key: str
) -> None:
    script(
        sandbox, key, 200, "ok", x_sandbox_prompt_tokens="1234", x_sandbox_completion_tokens="567"
    )
    completion = await ask(llm)
    assert (completion.tokens_in, completion.tokens_out) == (1234, 567)
    # 1234 * 0.15 / 1000 + 567 * 0.6 / 1000 = 0.1851 + 0.3402
    assert completion.cost == Decimal("0.525300")
    assert isinstance(completion.cost, Decimal)


def test_cost_rounds_half_up_to_the_micro_unit() -> None:
    price = {"price_in_per_1k": Decimal("0.0005"), "price_out_per_1k": Decimal("0.0015")}
    assert cost_of(7, 0, **price) == Decimal("0.000004")  # 0.0000035
    assert cost_of(1, 1, **price) == Decimal("0.000002")  # 0.000002 exactly
    assert cost_of(0, 0, **price) == Decimal("0.000000")
    assert cost_of(3, 3, **price) == Decimal("0.000006")
    assert sum(cost_of(7, 0, **price) for _ in range(3)) == Decimal("0.000012")


async def test_model_reported_by_the_server_is_kept(
    llm: OpenAiCompatible, sandbox: Sandbox, key: str
) -> None:
    body = tool_call_answer()
    body["model"] = "gpt-sandbox-mini-2026-11-01"
    body["choices"][0]["message"] = {"role": "assistant", "content": "fine"}
    script(sandbox, key, 200, body)
    assert (await ask(llm)).model == "gpt-sandbox-mini-2026-11-01"


async def test_429_with_retry_after_then_success(
    llm: OpenAiCompatible, sandbox: Sandbox, key: str
) -> None:
    script(sandbox, key, 429, {"error": {"message": "Rate limit reached"}}, retry_after="1")
    script(sandbox, key, 200, "second time lucky")
    started = time.monotonic()
    completion = await ask(llm)
    assert time.monotonic() - started >= 0.95
    assert completion.text == "second time lucky" and completion.latency_ms >= 950
    assert len(calls(sandbox, key)) == 2


async def test_retry_after_ms_is_preferred(
    llm: OpenAiCompatible, sandbox: Sandbox, key: str
) -> None:
    script(sandbox, key, 503, {"error": {"message": "busy"}}, retry_after="30", retry_after_ms="50")
    script(sandbox, key, 200, "ok")
    started = time.monotonic()
    assert (await ask(llm)).text == "ok"
    assert time.monotonic() - started < 5


async def test_retry_after_beyond_the_cap_fails_at_once(
    llm: OpenAiCompatible, sandbox: Sandbox, key: str
) -> None:
    script(sandbox, key, 429, {"error": {"message": "quota"}}, retry_after="60")
    with pytest.raises(LlmError) as failed:
        await ask(llm)
    assert (failed.value.reason, failed.value.status, failed.value.retry_after) == (
        "rate_limited",
        429,
        60.0,
    )
    assert "quota" in failed.value.message
    assert len(calls(sandbox, key)) == 1


async def test_500_twice_is_a_clean_failure(
    llm: OpenAiCompatible, sandbox: Sandbox, key: str
) -> None:
    for _ in range(2):
        script(sandbox, key, 500, {"error": {"message": "The server had an error"}})
    with pytest.raises(LlmError) as failed:
        await ask(llm)
    assert (failed.value.reason, failed.value.status) == ("unavailable", 500)
    assert key not in str(failed.value)
    assert len(calls(sandbox, key)) == 2


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "not a JSON object"),
        ({"choices": []}, "no choices"),
        ({"choices": [{"message": {"role": "assistant", "content": None}}]}, "no text content"),
        ({"choices": [{"message": {"content": None, "refusal": "no"}}]}, "the model refused"),
        ({"choices": [{"message": {"role": "assistant", "content": "hi"}}]}, "no token usage"),
        (tool_call_answer(), "asks to call a tool"),
    ],
)
async def test_malformed_answers_fail_without_retry(
    llm: OpenAiCompatible, sandbox: Sandbox, key: str, body: Any, says: str
) -> None:
    script(sandbox, key, 200, body)
    with pytest.raises(LlmError, match=says) as failed:
        await ask(llm)
    assert failed.value.reason == "invalid_response"
    assert len(calls(sandbox, key)) == 1


async def test_a_refused_request_is_not_retried(
    llm: OpenAiCompatible, sandbox: Sandbox, key: str
) -> None:
    with pytest.raises(LlmError, match="max_tokens") as failed:
        await ask(llm, max_tokens=0)  # the sandbox validates like OpenAI: 400
    assert (failed.value.reason, failed.value.status) == ("refused", 400)
    assert len(calls(sandbox, key)) == 1


async def test_answers_past_the_size_limit_are_refused(sandbox: Sandbox, key: str) -> None:
    llm = OpenAiCompatible(
        base_url=f"{sandbox.url}/openai/v1", api_key=key, model="m", max_response_bytes=2_000
    )
    script(sandbox, key, 200, "word " * 1_000)
    with pytest.raises(LlmError) as failed:
        await ask(llm)
    assert failed.value.reason == "too_large"


async def test_a_slow_answer_times_out_without_retry(sandbox: Sandbox, key: str) -> None:
    llm = OpenAiCompatible(
        base_url=f"{sandbox.url}/openai/v1", api_key=key, model="m", timeout_s=0.3
    )
    script(sandbox, key, 200, "late", x_sandbox_delay="1")
    with pytest.raises(LlmError) as failed:
        await ask(llm)
    assert failed.value.reason == "timeout"
    assert len(calls(sandbox, key)) == 1


async def test_an_unreachable_server_is_retried_once_then_fails() -> None:
    llm = OpenAiCompatible(base_url="http://127.0.0.1:9/v1", api_key="k", model="m")
    with pytest.raises(LlmError) as failed:
        await ask(llm)
    assert failed.value.reason == "network"


def test_provider_from_settings(sandbox: Sandbox, key: str) -> None:
    assert isinstance(provider_from_settings(Settings()), OfflineProvider)
    provider = provider_from_settings(llm_settings(Settings(), sandbox, key))
    assert isinstance(provider, OpenAiCompatible)
    assert provider.url == f"{sandbox.url}/openai/v1/chat/completions"
    assert key not in repr(provider)


async def test_an_agent_may_choose_another_model(
    llm: OpenAiCompatible, sandbox: Sandbox, key: str
) -> None:
    assert llm.with_model(None) is llm and llm.with_model(llm.model) is llm
    script(sandbox, key, 200, "ok")
    assert (await ask(llm.with_model("gpt-sandbox-large"))).model == "gpt-sandbox-large"
    assert calls(sandbox, key)[0].json["model"] == "gpt-sandbox-large"
    assert llm.model == "gpt-sandbox-mini"
