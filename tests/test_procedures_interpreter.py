"""The step machine: slots, validators, branches, tools, the knowledge base, and what customer text
can never do."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from parley.automation.procedures import (
    FixtureKnowledge,
    Handoff,
    OfflineToolRunner,
    Resolve,
    SetFields,
    advance,
    new_state,
    parse_procedure,
)
from parley.automation.procedures.model import KbFixture, ToolFixture, Validator
from parley.automation.procedures.templates import render
from parley.automation.procedures.validators import validate

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
REFUND = """\
name: refund
triggers: {examples: [I want a refund]}
tools:
  refund:
    method: POST
    url: "{{config.shop}}/orders/{{order_id}}/refunds"
    headers: {Authorization: "Bearer {{secrets.token}}"}
    secrets: {token: shop_token}
    body: {reason: "{{reason}}", amount: "{{amount}}", note: "order {{order_id}}"}
    map: {refund_id: refund.id, refund_amount: "$.refund.amount"}
steps:
  - ask: {slot: order_id, prompt: "Order number?", validator: {regex: "([A-Z]{2}\\\\d{5})"}}
  - ask:
      slot: reason
      prompt: "Why?"
      validator: {choice: [damaged, wrong size, late]}
      retries: 1
      on_fail: human
  - ask: {slot: amount, prompt: "How much?", validator: {number: {min: 1, max: 500}}}
  - set: {tags: [refund], priority: high, fields: {refund_reason: "{{reason}}"}}
  - call: {tool: refund, on_error: human}
  - branch:
      cases:
        - when: [{slot: refund_amount, gte: 100}]
          goto: big
      default: small
  - id: big
    say: "Refund {{refund_id}} of {{refund_amount}} needs approval."
    goto: human
  - id: small
    resolve: {message: "Refund {{refund_id}} done."}
  - id: human
    handoff: {queue: Billing, note: "refund for {{order_id|?}}: {{reason|?}}"}
"""


async def talk(
    source: str,
    messages: list[str],
    *,
    tools: dict[str, Any] | None = None,
    kb: list[KbFixture] | None = None,
    slots: dict[str, Any] | None = None,
) -> tuple[list[str], list[Any], dict[str, Any], OfflineToolRunner]:
    definition = parse_procedure(source)
    runner = OfflineToolRunner(tools or {})
    knowledge = FixtureKnowledge(kb or [])
    state = new_state(slots=slots)
    replies: list[str] = []
    actions: list[Any] = []
    for message in messages:
        turn = await advance(definition, state, message, runner, knowledge, NOW)
        json.dumps(turn.state)  # the state is stored between messages: always serializable
        json.dumps(turn.trace)
        state = turn.state
        replies += turn.replies
        actions += turn.actions
    return replies, actions, state, runner


async def test_a_refund_conversation_collects_slots_calls_the_tool_and_resolves() -> None:
    answer = ToolFixture(status=201, body={"refund": {"id": "R1", "amount": 40}})
    replies, actions, state, runner = await talk(
        REFUND,
        ["refund for AB12345 please", "it arrived damaged", "40 dollars"],
        tools={"refund": answer},
    )
    assert replies == ["Why?", "How much?", "Refund R1 done."]
    assert actions == [
        SetFields(["refund"], [], "high", {"refund_reason": "damaged"}),
        Resolve("resolved"),
    ]
    assert state["status"] == "done" and state["calls"] == ["refund"]
    ((_name, request),) = runner.calls
    assert request.url == "{config.shop}/orders/AB12345/refunds"
    assert request.headers == {"Authorization": "***"}
    assert request.body == {"reason": "damaged", "amount": 40, "note": "order AB12345"}


async def test_branches_on_tool_results() -> None:
    answer = ToolFixture(status=201, body={"refund": {"id": "R2", "amount": 250}})
    replies, actions, _, _ = await talk(
        REFUND, ["AB12345", "late", "250"], tools={"refund": answer}
    )
    assert replies[-1] == "Refund R2 of 250 needs approval."
    assert actions[-1] == Handoff("Billing", "refund for AB12345: late")


async def test_invalid_answers_are_asked_again_then_fail_over() -> None:
    replies, actions, state, runner = await talk(REFUND, ["AB12345", "no reason", "just because"])
    assert replies == ["Why?", "Sorry, I didn't catch that. Why?"]
    assert actions == [Handoff("Billing", "refund for AB12345: ?")]
    assert state["failures"] == 2 and runner.calls == []


async def test_a_failing_tool_takes_the_error_path() -> None:
    _, actions, state, _ = await talk(
        REFUND, ["AB12345", "wrong size", "12"], tools={"refund": ToolFixture(status=500)}
    )
    assert actions[-1] == Handoff("Billing", "refund for AB12345: wrong size")
    assert state["slots"]["refund.status"] == 500 and state["slots"]["refund.ok"] is False


async def test_customer_text_is_data_in_urls_bodies_and_replies() -> None:
    source = REFUND.replace('validator: {regex: "([A-Z]{2}\\\\d{5})"}', "validator: text")
    hostile = "../../admin?x=1#{{secrets.token}}@evil.example/"
    _, _, state, runner = await talk(
        source,
        ["refund", hostile, "damaged", "10"],
        tools={"refund": ToolFixture(body={"refund": {"id": "{{secrets.token}}", "amount": 1}})},
    )
    ((_, request),) = runner.calls
    assert request.url == (
        "{config.shop}/orders/..%2F..%2Fadmin%3Fx%3D1%23%7B%7Bsecrets.token%7D%7D%40evil.example%2F"
        "/refunds"
    )
    assert request.body["note"] == f"order {hostile}"  # JSON data, never re-rendered
    assert state["slots"]["refund_id"] == "{{secrets.token}}"
    assert render("id {{refund_id}}", state["slots"]) == "id {{secrets.token}}"


async def test_a_dot_segment_from_a_customer_is_refused() -> None:
    source = REFUND.replace('validator: {regex: "([A-Z]{2}\\\\d{5})"}', "validator: text")
    _, actions, state, runner = await talk(
        source, ["refund", "..", "late", "5"], tools={"refund": ToolFixture()}
    )
    assert runner.calls == []  # the request could not be built
    assert state["slots"]["refund.ok"] is False
    assert isinstance(actions[-1], Handoff)


async def test_search_kb_fills_a_slot_and_only_searches_the_named_collection() -> None:
    source = """\
name: faq
triggers: {examples: [question]}
steps:
  - search_kb: {collection: shipping, into: answer, min_score: 0.1}
  - branch:
      cases: [{when: {slot: answer.found, equals: true}, goto: found}]
      default: human
  - id: found
    resolve: {message: "{{answer}} (from {{answer.title}})"}
  - id: human
    handoff: {}
"""
    kb = [
        KbFixture(title="Delivery times", answer="3-5 days.", collection="shipping"),
        KbFixture(title="Delivery secrets", answer="other collection", collection="internal"),
    ]
    replies, _, _, _ = await talk(source, ["how long does delivery take"], kb=kb)
    assert replies == ["3-5 days. (from Delivery times)"]
    _, actions, _, _ = await talk(source, ["what is the meaning of life"], kb=kb)
    assert actions == [Handoff(None, "")]


async def test_known_slots_are_not_asked_and_ended_procedures_stay_ended() -> None:
    definition = parse_procedure(REFUND)
    runner = OfflineToolRunner({"refund": ToolFixture(body={"refund": {"id": "R", "amount": 1}})})
    state = new_state(slots={"order_id": "AB12345", "reason": "late"})
    turn = await advance(definition, state, "hello", runner, FixtureKnowledge([]), NOW)
    assert turn.replies == ["How much?"] and turn.waiting
    turn = await advance(definition, turn.state, "3", runner, FixtureKnowledge([]), NOW)
    assert turn.done and turn.state["outcome"] == "resolved"
    again = await advance(definition, turn.state, "hello?", runner, FixtureKnowledge([]), NOW)
    assert again.replies == [] and again.actions == [] and runner.calls[1:] == []


async def test_a_loop_without_an_answer_is_cut_off() -> None:
    source = """\
name: loop
triggers: {examples: [x]}
steps:
  - id: a
    say: again
    goto: a
  - resolve: {}
"""
    replies, actions, state, _ = await talk(source, ["x"])
    assert len(replies) == 50
    assert state["outcome"] == "handoff" and isinstance(actions[-1], Handoff)


@pytest.mark.parametrize(
    ("validator", "text", "value"),
    [
        ({"kind": "email"}, "it's Jane.Doe@Example.com, thanks", "Jane.Doe@example.com"),
        ({"kind": "email"}, "jane at example dot com", None),
        ({"kind": "phone"}, "call me on +44 20 7946 0958", "+442079460958"),
        ({"kind": "phone"}, "123", None),
        ({"kind": "number", "min": 1, "max": 10}, "maybe 12, no 7", 7),
        ({"kind": "number"}, "about 2,5 kg", 2.5),
        ({"kind": "date"}, "tomorrow please", "2026-03-03"),
        ({"kind": "date"}, "on 31/12/2026", "2026-12-31"),
        ({"kind": "date"}, "2026-02-30", None),
        (
            {"kind": "choice", "options": ["credit card", "gift card"]},
            "A Credit-Card",
            "credit card",
        ),
        ({"kind": "choice", "options": ["credit card", "gift card"]}, "either card", None),
        ({"kind": "choice", "options": ["yes", "no"]}, "2", "no"),
        ({"kind": "choice", "options": ["yes"], "synonyms": {"yes": ["sure"]}}, "sure!", "yes"),
        ({"kind": "regex", "pattern": r"#(\d+)"}, "ticket #42", "42"),
        ({"kind": "text"}, "   ", None),
    ],
)
def test_validators(validator: dict[str, Any], text: str, value: Any) -> None:
    assert validate(Validator.model_validate(validator), text, today=date(2026, 3, 2)) == value


def test_templates_are_one_pass_and_have_defaults() -> None:
    values = {"name": "{{secret}}", "secret": "s3cr3t", "n": 0, "items": [1, 2]}
    assert render("Hi {{ name }}", values) == "Hi {{secret}}"
    assert render("{{missing|there}} {{n}} {{items}} {% x %}", values) == "there 0 1, 2 {% x %}"
