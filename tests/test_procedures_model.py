"""The procedure format: what is accepted, and errors that say where (path and line) and why."""

from __future__ import annotations

import json

import pytest

from parley.automation.procedures import entry_allows, parse_procedure
from parley.errors import InvalidInput

GOOD = """\
name: order_status
triggers:
  examples: [where is my order]
tools:
  get_order:
    url: "https://shop.example/orders/{{order_id}}"
    headers: {Authorization: "Bearer {{secrets.token}}"}
    secrets: {token: shop_token}
    map: {order_status: status}
steps:
  - ask: {slot: order_id, prompt: "Order number?", validator: {regex: "[A-Z]{2}\\\\d{5}"}}
  - call: get_order
  - branch:
      cases:
        - when: {slot: order_status, equals: shipped}
          goto: shipped
      default: human
  - id: shipped
    say: "On its way: {{order_id}}"
    goto: done
  - id: done
    resolve: {}
  - id: human
    handoff: {queue: Orders, note: "{{order_id|no order}}"}
"""


def errors_of(source: str | dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_procedure(source)
    return caught.value.fields


def test_a_complete_procedure_parses_with_shorthands() -> None:
    d = parse_procedure(GOOD)
    assert d.name == "order_status"
    assert d.steps[0].ask is not None and d.steps[0].ask.validator.kind == "regex"
    assert d.steps[1].call is not None and d.steps[1].call.tool == "get_order"
    assert d.steps[3].say is not None and d.steps[3].say.text == "On its way: {{order_id}}"
    assert list(d.step_index())[:3] == ["step_1", "step_2", "step_3"]
    # JSON and an already-decoded object give the same definition.
    as_json = d.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert parse_procedure(json.dumps(as_json)) == d
    assert parse_procedure(as_json) == d


def test_model_errors_name_the_path_and_the_line() -> None:
    source = GOOD.replace("validator: {regex:", "validator: {colour:").replace(
        "equals: shipped", "equals: shipped, wat: 1"
    )
    fields = errors_of(source)
    assert fields["steps.0.ask.validator.kind"].startswith("line 11: ")
    wat = fields["steps.2.branch.cases.0.when.0.wat"]
    assert wat.startswith("line 15: ") and "Extra inputs" in wat


def test_cross_checks_name_the_path_and_the_line() -> None:
    source = (
        GOOD.replace("goto: shipped", "goto: nowhere")
        .replace("- call: get_order", "- call: delete_everything")
        .replace('say: "On its way: {{order_id}}"', 'say: "On its way: {{order_idd}}"')
    )
    fields = errors_of(source)
    assert fields["steps.2.branch.cases.0.goto"] == "line 16: no step has the id 'nowhere'"
    assert fields["steps.1.call.tool"].startswith("line 12: the procedure declares no tool")
    assert fields["steps.3.say.text"] == "line 19: unknown name {{order_idd}} in a template"


def test_syntax_errors_give_the_line() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_procedure("name: x\nsteps: [\n")
    assert "line" in caught.value.message


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://{{host}}/orders", "host of a tool URL"),
        ("{{order_id}}/orders", "starts with https://"),
        ("https://shop.example/{{secrets.token}}", "secrets cannot go in a URL"),
        ("https://shop.example/{{config.base}}", "only at the start"),
        ("{{config.shop}}{{order_id}}", "host of a tool URL"),
        ("ftp://shop.example/x", "starts with https://"),
    ],
)
def test_customer_values_cannot_choose_a_tool_host(url: str, why: str) -> None:
    fields = errors_of(GOOD.replace("https://shop.example/orders/{{order_id}}", url))
    assert why in fields["tools.get_order.url"]


def test_undeclared_secrets_and_unending_procedures_are_refused() -> None:
    fields = errors_of(
        GOOD.replace("secrets: {token: shop_token}", "secrets: {}").replace(
            '    handoff: {queue: Orders, note: "{{order_id|no order}}"}', "    say: bye"
        )
    )
    assert "declare it under this tool's secrets" in fields["tools.get_order.headers.Authorization"]
    assert "must be handoff or resolve" in fields["steps.5"]


def test_duplicate_ids_and_bad_regexes() -> None:
    assert "used twice" in errors_of(GOOD.replace("id: done", "id: shipped"))["steps.4.id"]
    fields = errors_of(GOOD.replace("[A-Z]{2}", "[A-Z"))
    assert "regular expression" in fields["steps.0.ask.validator.pattern"]


def test_yaml_aliases_are_refused() -> None:
    source = "name: &n x\ndescription: *n\ntriggers: {examples: [a]}\nsteps: [{resolve: {}}]\n"
    with pytest.raises(InvalidInput, match="aliases"):
        parse_procedure(source)


def test_tests_may_only_stub_declared_tools() -> None:
    source = GOOD + "tests:\n  - name: t\n    tools: {other: {status: 200}}\n"
    source += "    conversation: [{user: hi}]\n"
    assert "declares no tool" in errors_of(source)["tests.0.tools.other"]


def test_entry_conditions() -> None:
    d = parse_procedure(
        GOOD.replace(
            "tools:",
            "when: {channel: [webchat], has_tags: [vip], contact_attributes: {tier: gold}}\ntools:",
        )
    )
    facts = {"tags": ["vip", "x"], "contact_attributes": {"tier": "gold"}}
    assert entry_allows(d, channel="webchat", **facts)  # type: ignore[arg-type]
    assert not entry_allows(d, channel="email", **facts)  # type: ignore[arg-type]
    assert not entry_allows(d, channel="webchat", tags=["x"], contact_attributes={"tier": "gold"})
    assert not entry_allows(d, channel="webchat", tags=["vip"], contact_attributes={})
