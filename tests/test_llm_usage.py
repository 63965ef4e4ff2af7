"""LLM calls recorded on the interaction (SQLite and PostgreSQL), for both providers."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.automation.llm import (
    ChatMessage,
    Completion,
    LlmError,
    OfflineProvider,
    Passage,
    ProcedureOption,
    UsageMeter,
    compose_answer,
    provider_from_settings,
    rank_procedures,
    record_failure,
    record_usage,
)
from parley.automation.llm.compose import llm_composer
from parley.config import Settings
from parley.models import Activity, Interaction
from parley.models.enums import ActorType
from tests.factories import Tenant
from tests.providers import Sandbox
from tests.providers.openai import llm_settings, script

PASSAGES = [Passage("kb-1", "Refunds are paid within 5 working days.", "Refunds")]
QUESTION = "When will my refund be paid? My card is 4111 1111 1111 1111."


async def new_interaction(tenant: Tenant) -> uuid.UUID:
    return uuid.UUID((await tenant.create_interaction())["id"])


async def llm_calls(tenant: Tenant, interaction_id: uuid.UUID) -> list[Activity]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Activity)
            .where(Activity.interaction_id == interaction_id, Activity.kind == "llm_call")
            .order_by(Activity.created_at, Activity.id)
        )
        return list(rows.scalars())


async def test_calls_add_up_on_the_interaction(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> None:
    key = "sk-test-" + secrets.token_hex(12)
    meter = UsageMeter(provider_from_settings(llm_settings(settings, sandbox, key)))
    tokens = {"x_sandbox_prompt_tokens": "1000", "x_sandbox_completion_tokens": "100"}
    script(sandbox, key, 200, '{"procedure": "not_a_candidate"}', **tokens)
    script(sandbox, key, 200, '{"answer": "Within 5 working days.", "citations": ["kb-1"]}')
    options = [ProcedureOption("refund", "refunds")]
    assert await rank_procedures(meter, QUESTION, options) is None  # discarded, still paid for
    assert await compose_answer(meter, QUESTION, PASSAGES) is not None
    [(_, first), (_, second)] = meter.calls

    interaction_id = await new_interaction(tenant)
    async with tenant.db.transaction() as s:
        interaction = await s.get_one(Interaction, interaction_id)
        rows = await meter.record(s, interaction)
        assert len(rows) == 2 and meter.calls == []
        assert interaction.billable_messages == 2  # refreshed in place
    async with tenant.db.transaction() as s:
        stored = await s.get_one(Interaction, interaction_id)
        assert stored.llm_model == "gpt-sandbox-mini"
        assert stored.llm_tokens_in == 1000 + second.tokens_in
        assert stored.llm_tokens_out == 100 + second.tokens_out
        assert stored.billable_messages == 2
        # 1000 * 0.15 / 1000 + 100 * 0.6 / 1000 = 0.21, plus the second call's exact cost.
        assert first.cost == Decimal("0.210000")
        assert stored.llm_cost == first.cost + second.cost

    feed = await llm_calls(tenant, interaction_id)
    assert [row.data["purpose"] for row in feed] == ["rank_procedures", "compose_answer"]
    assert feed[0].actor_type == ActorType.automation
    assert feed[0].data == {
        "model": "gpt-sandbox-mini",
        "purpose": "rank_procedures",
        "tokens_in": 1000,
        "tokens_out": 100,
        "cost": "0.210000",
        "latency_ms": first.latency_ms,
        "finish_reason": "stop",
    }
    # Neither the prompt, the customer's words, the answer nor the key reach the feed.
    for row in feed:
        text = str(row.data)
        assert "4111" not in text and "Refunds" not in text and key not in text


async def test_concurrent_recordings_lose_nothing(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> None:
    key = "sk-test-" + secrets.token_hex(12)
    provider = provider_from_settings(llm_settings(settings, sandbox, key))
    for _ in range(4):
        script(
            sandbox, key, 200, "ok", x_sandbox_prompt_tokens="7", x_sandbox_completion_tokens="3"
        )
    completions = [
        await provider.complete(
            [ChatMessage("user", "hi")], purpose="classify", max_tokens=5, temperature=0
        )
        for _ in range(4)
    ]
    interaction_id = await new_interaction(tenant)

    async def record(completion: Completion) -> None:
        async with tenant.db.transaction() as s:
            interaction = await s.get_one(Interaction, interaction_id)
            await record_usage(s, interaction, completion, "classify")

    await asyncio.gather(*(record(c) for c in completions))
    async with tenant.db.transaction() as s:
        stored = await s.get_one(Interaction, interaction_id)
        assert (stored.llm_tokens_in, stored.llm_tokens_out, stored.billable_messages) == (
            28,
            12,
            4,
        )
        # 7 * 0.15 / 1000 + 3 * 0.6 / 1000 = 0.00285 per call
        assert stored.llm_cost == Decimal("0.011400")


async def test_the_offline_provider_records_nothing(tenant: Tenant) -> None:
    meter = UsageMeter(OfflineProvider())
    answer = await compose_answer(meter, "When is my refund paid?", PASSAGES)
    assert answer is not None and answer.citations == ("kb-1",)
    interaction_id = await new_interaction(tenant)
    async with tenant.db.transaction() as s:
        interaction = await s.get_one(Interaction, interaction_id)
        assert await meter.record(s, interaction) == []
    async with tenant.db.transaction() as s:
        stored = await s.get_one(Interaction, interaction_id)
        assert (stored.llm_model, stored.llm_tokens_in, stored.billable_messages) == (None, 0, 0)
        assert stored.llm_cost == Decimal(0)
    assert await llm_calls(tenant, interaction_id) == []


async def test_a_failure_is_recorded_without_details(tenant: Tenant) -> None:
    interaction_id = await new_interaction(tenant)
    error = LlmError("unavailable", "the LLM failed (500): secret detail", status=500)
    async with tenant.db.transaction() as s:
        interaction = await s.get_one(Interaction, interaction_id)
        record_failure(s, interaction, error, "compose_answer")
    async with tenant.db.transaction() as s:
        [row] = (
            await s.execute(
                select(Activity).where(
                    Activity.interaction_id == interaction_id, Activity.kind == "llm_failed"
                )
            )
        ).scalars()
        assert row.data == {"purpose": "compose_answer", "reason": "unavailable", "status": 500}


@dataclass(frozen=True)
class Hit:
    title: str
    answer: str
    source: str | None = None


async def fallback(
    session: AsyncSession, interaction: Interaction, question: str, hits: Sequence[Hit]
) -> str:
    return f"fallback: {hits[0].answer}"


async def test_the_engine_composer_cites_records_and_falls_back(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> None:
    key = "sk-test-" + secrets.token_hex(12)
    compose = llm_composer(provider_from_settings(llm_settings(settings, sandbox, key)), fallback)
    hits = [Hit("Refunds", "Refunds are paid within 5 days.", "kb/refunds"), Hit("Hours", "9-5")]
    script(sandbox, key, 200, '{"answer": "Within 5 days.", "citations": ["1"]}')
    script(sandbox, key, 200, '{"answer": "Org B says hi.", "citations": []}')
    for _ in range(2):
        script(sandbox, key, 500, {"error": {"message": "down"}})
    interaction_id = await new_interaction(tenant)
    async with tenant.db.transaction() as s:
        interaction = await s.get_one(Interaction, interaction_id)
        said = [await compose(s, interaction, "When is my refund paid?", hits) for _ in range(3)]
    assert said == [
        "Within 5 days.\n\nSources: Refunds (kb/refunds)",
        "fallback: Refunds are paid within 5 days.",  # uncited: discarded, still paid for
        "fallback: Refunds are paid within 5 days.",  # the model is down
    ]
    assert len(await llm_calls(tenant, interaction_id)) == 2
    async with tenant.db.transaction() as s:
        stored = await s.get_one(Interaction, interaction_id)
        assert stored.billable_messages == 2
        failed = await s.execute(
            select(Activity.data).where(
                Activity.interaction_id == interaction_id, Activity.kind == "llm_failed"
            )
        )
        assert [row["reason"] for row in failed.scalars()] == ["unavailable"]
