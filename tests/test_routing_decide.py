"""The routing decision alone: who gets this work now? No database, no clock.

Read like TaskRouter's and Edify's examples: a few agents with names, one piece of work, one
answer. Agent ids are small integers so "Ana < Ben < Cleo" is also their stable rotation order.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parley.errors import InvalidInput
from parley.models.enums import Priority, RoutingStrategy
from parley.routing.decide import DEFAULT_CAPACITY, AgentState, QueueRules, Work, choose
from parley.routing.policy import (
    Overflow,
    OverflowAction,
    SkillRule,
    Widen,
    parse_overflow,
    parse_skill_rule,
)
from parley.routing.tags import accepts, compile_tags

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SUPPORT = uuid.UUID(int=1000)
BILLING = uuid.UUID(int=2000)
ANA, BEN, CLEO = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
NAMES = {ANA: "ana", BEN: "ben", CLEO: "cleo"}


def agent(
    user_id: uuid.UUID,
    *,
    available: bool = True,
    capacity: dict[str, int] | None = None,
    load: dict[str, int] | None = None,
    skills: dict[str, int] | None = None,
    idle_since: datetime | None = T0,
    queues: Collection[uuid.UUID] = (SUPPORT,),
) -> AgentState:
    return AgentState(
        user_id=user_id,
        available=available,
        capacity=dict(capacity or {}),
        load=dict(load or {}),
        skills=dict(skills or {}),
        idle_since=idle_since,
        queue_ids=frozenset(queues),
    )


def work(kind: str = "chat", *, tags: Collection[str] = (), queue: uuid.UUID = SUPPORT) -> Work:
    return Work(
        interaction_id=uuid.uuid4(),
        queue_id=queue,
        communication_type=kind,
        priority=Priority.normal,
        queued_at=T0,
        tags=frozenset(tags),
    )


def rules(
    strategy: RoutingStrategy,
    *,
    skills: dict[str, Any] | None = None,
    last: uuid.UUID | None = None,
) -> QueueRules:
    return QueueRules(
        queue_id=SUPPORT,
        strategy=strategy,
        skills=parse_skill_rule(skills or {}),
        last_routed_user_id=last,
    )


def who(
    rule: QueueRules, item: Work, agents: list[AgentState], *, waited_s: float = 0
) -> str | None:
    chosen = choose(rule, item, agents, waited_s=waited_s)
    return NAMES[chosen.user_id] if chosen is not None else None


# --- round robin ------------------------------------------------------------------------------


def test_round_robin_starts_with_the_first_member_in_stable_order() -> None:
    team = [agent(CLEO), agent(ANA), agent(BEN)]
    assert who(rules(RoutingStrategy.round_robin), work(), team) == "ana"


def test_round_robin_takes_the_member_after_the_cursor_and_wraps_around() -> None:
    team = [agent(ANA), agent(BEN), agent(CLEO)]
    assert who(rules(RoutingStrategy.round_robin, last=ANA), work(), team) == "ben"
    assert who(rules(RoutingStrategy.round_robin, last=BEN), work(), team) == "cleo"
    assert who(rules(RoutingStrategy.round_robin, last=CLEO), work(), team) == "ana"


def test_round_robin_rotates_through_everyone_as_the_cursor_moves() -> None:
    team = [agent(ANA, capacity={"chat": 10}), agent(BEN, capacity={"chat": 10}), agent(CLEO)]
    cursor: uuid.UUID | None = None
    got = []
    for _ in range(6):
        chosen = choose(rules(RoutingStrategy.round_robin, last=cursor), work(), team, waited_s=0)
        assert chosen is not None
        chosen.took("chat", T0)
        cursor = chosen.user_id
        got.append(NAMES[chosen.user_id])
    assert got == ["ana", "ben", "cleo", "ana", "ben", "cleo"]


def test_round_robin_skips_a_member_who_is_full_or_away() -> None:
    team = [agent(ANA), agent(BEN, load={"chat": 3}), agent(CLEO)]
    assert who(rules(RoutingStrategy.round_robin, last=ANA), work(), team) == "cleo"
    team = [agent(ANA), agent(BEN, available=False), agent(CLEO, available=False)]
    assert who(rules(RoutingStrategy.round_robin, last=ANA), work(), team) == "ana"


# --- least busy -------------------------------------------------------------------------------


def test_least_busy_goes_to_the_lowest_load_for_the_work_type() -> None:
    team = [
        agent(ANA, load={"chat": 2}),
        agent(BEN, load={"chat": 1}),
        agent(CLEO, load={"chat": 2}),
    ]
    assert who(rules(RoutingStrategy.least_busy), work("chat"), team) == "ben"


def test_least_busy_compares_load_to_capacity_not_raw_counts() -> None:
    # Ana has 3 chats of 10 (30 % busy); Ben has 1 of 2 (50 % busy).
    team = [
        agent(ANA, capacity={"chat": 10}, load={"chat": 3}),
        agent(BEN, capacity={"chat": 2}, load={"chat": 1}),
    ]
    assert who(rules(RoutingStrategy.least_busy), work("chat"), team) == "ana"


def test_least_busy_counts_only_the_work_types_own_load() -> None:
    # Ana is buried in email but has no chats: for a chat she is the least busy.
    team = [agent(ANA, load={"email": 4}), agent(BEN, load={"chat": 1})]
    assert who(rules(RoutingStrategy.least_busy), work("chat"), team) == "ana"
    assert who(rules(RoutingStrategy.least_busy), work("email"), team) == "ben"


def test_least_busy_ties_go_to_the_longest_idle() -> None:
    team = [
        agent(ANA, load={"chat": 1}, idle_since=T0),
        agent(BEN, load={"chat": 1}, idle_since=T0 - timedelta(minutes=5)),
    ]
    assert who(rules(RoutingStrategy.least_busy), work(), team) == "ben"


# --- longest idle -----------------------------------------------------------------------------


def test_longest_idle_goes_to_whoever_waited_longest_for_work() -> None:
    team = [
        agent(ANA, idle_since=T0 - timedelta(minutes=1)),
        agent(BEN, idle_since=T0 - timedelta(minutes=9)),
        agent(CLEO, idle_since=T0 - timedelta(minutes=3)),
    ]
    assert who(rules(RoutingStrategy.longest_idle), work(), team) == "ben"


def test_longest_idle_puts_someone_who_never_had_work_first() -> None:
    team = [agent(ANA, idle_since=T0 - timedelta(hours=1)), agent(BEN, idle_since=None)]
    assert who(rules(RoutingStrategy.longest_idle), work(), team) == "ben"


def test_taking_work_makes_an_agent_the_most_recently_busy() -> None:
    ana, ben = agent(ANA, idle_since=T0 - timedelta(minutes=9)), agent(BEN)
    ana.took("chat", T0 + timedelta(seconds=1))
    assert (ana.load, ana.idle_since) == ({"chat": 1}, T0 + timedelta(seconds=1))
    assert who(rules(RoutingStrategy.longest_idle), work(), [ana, ben]) == "ben"


# --- skills -----------------------------------------------------------------------------------


def test_skills_best_match_wins() -> None:
    rule = rules(RoutingStrategy.skills, skills={"skills": {"billing": 2, "spanish": 1}})
    team = [
        agent(ANA, skills={"billing": 3, "spanish": 2}),
        agent(BEN, skills={"billing": 7, "spanish": 4}),
        agent(CLEO, skills={"billing": 9}),  # no Spanish at all: never qualifies
    ]
    assert who(rule, work(), team) == "ben"


def test_skills_ties_go_to_the_least_busy_then_the_longest_idle() -> None:
    rule = rules(RoutingStrategy.skills, skills={"skills": {"billing": 2}})
    team = [
        agent(ANA, skills={"billing": 5}, load={"chat": 2}),
        agent(BEN, skills={"billing": 5}, load={"chat": 1}),
    ]
    assert who(rule, work(), team) == "ben"
    team = [
        agent(ANA, skills={"billing": 5}, idle_since=T0),
        agent(BEN, skills={"billing": 5}, idle_since=T0 - timedelta(minutes=1)),
    ]
    assert who(rule, work(), team) == "ben"


def test_skills_below_the_required_level_never_qualify() -> None:
    rule = rules(RoutingStrategy.skills, skills={"skills": {"billing": 5}})
    assert who(rule, work(), [agent(ANA, skills={"billing": 4})]) is None


def test_every_strategy_respects_required_skills() -> None:
    for strategy in (
        RoutingStrategy.round_robin,
        RoutingStrategy.least_busy,
        RoutingStrategy.longest_idle,
    ):
        rule = rules(strategy, skills={"skills": {"german": 3}})
        team = [agent(ANA), agent(BEN, skills={"german": 3}), agent(CLEO, skills={"german": 1})]
        assert who(rule, work(), team) == "ben", strategy


def test_skills_from_tags_add_requirements_for_tagged_work() -> None:
    rule = rules(
        RoutingStrategy.skills,
        skills={"from_tags": {"lang:es": {"spanish": 3}, "vip": {"seniority": 2}}},
    )
    team = [agent(ANA, load={}), agent(BEN, skills={"spanish": 4}, load={"chat": 2})]
    assert who(rule, work(), team) == "ana"  # untagged work needs nothing: the least busy wins
    assert who(rule, work(tags={"lang:es"}), team) == "ben"
    assert who(rule, work(tags={"LANG:ES"}), team) == "ben"  # tags match case-insensitively
    assert who(rule, work(tags={"lang:es", "vip"}), team) is None


def test_skills_from_tags_keep_the_higher_of_two_levels() -> None:
    rule = parse_skill_rule({"skills": {"spanish": 2}, "from_tags": {"lang:es": {"spanish": 5}}})
    assert rule.required({"lang:es"}, 0) == {"spanish": 5}
    assert rule.required(set(), 0) == {"spanish": 2}


# --- skills widening --------------------------------------------------------------------------

WIDENING = {
    "skills": {"spanish": 5},
    "widen": [{"after_s": 60, "lower_by": 2}, {"after_s": 300, "drop_all": True}],
}


def test_widening_lowers_the_level_after_the_wait() -> None:
    rule = rules(RoutingStrategy.skills, skills=WIDENING)
    team = [agent(ANA, skills={"spanish": 3}), agent(BEN)]
    assert who(rule, work(), team, waited_s=0) is None
    assert who(rule, work(), team, waited_s=59.9) is None
    assert who(rule, work(), team, waited_s=60) == "ana"


def test_widening_drop_all_lets_anyone_take_the_work() -> None:
    rule = rules(RoutingStrategy.skills, skills=WIDENING)
    assert who(rule, work(), [agent(BEN)], waited_s=299) is None
    assert who(rule, work(), [agent(BEN)], waited_s=300) == "ben"


def test_widening_can_drop_a_requirement_entirely_by_lowering_it() -> None:
    rule = parse_skill_rule(
        {"skills": {"spanish": 2, "billing": 6}, "widen": [{"after_s": 10, "lower_by": 4}]}
    )
    assert rule.required(set(), 10) == {"billing": 2}


def test_widening_applies_to_requirements_from_tags_too() -> None:
    rule = parse_skill_rule(
        {"from_tags": {"lang:es": {"spanish": 4}}, "widen": [{"after_s": 30, "lower_by": 3}]}
    )
    assert rule.required({"lang:es"}, 0) == {"spanish": 4}
    assert rule.required({"lang:es"}, 30) == {"spanish": 1}


def test_next_widening_tells_the_timer_when_to_wake() -> None:
    rule = parse_skill_rule(WIDENING)
    assert [rule.next_widening_after(w) for w in (0, 60, 120, 300)] == [60, 300, 300, None]
    assert SkillRule().next_widening_after(0) is None


# --- capacity per communication type ----------------------------------------------------------


def test_an_agent_full_on_chat_still_gets_email() -> None:
    ana = agent(ANA, capacity={"chat": 2, "email": 5}, load={"chat": 2, "email": 1})
    assert who(rules(RoutingStrategy.least_busy), work("chat"), [ana]) is None
    assert who(rules(RoutingStrategy.least_busy), work("email"), [ana]) == "ana"


def test_default_capacity_applies_when_an_agent_has_none_set() -> None:
    ana = agent(ANA)
    assert ana.limit("chat") == DEFAULT_CAPACITY["chat"] == 3
    assert ana.limit("voice") == 1
    ana.load = {"voice": 1, "chat": 2}
    assert who(rules(RoutingStrategy.least_busy), work("voice"), [ana]) is None
    assert who(rules(RoutingStrategy.least_busy), work("chat"), [ana]) == "ana"


def test_zero_capacity_means_never_that_type() -> None:
    ana = agent(ANA, capacity={"voice": 0})
    assert who(rules(RoutingStrategy.round_robin), work("voice"), [ana]) is None
    assert ana.busy_ratio("voice") == float("inf")


# --- presence, membership, manual -------------------------------------------------------------


def test_away_and_offline_agents_are_never_chosen() -> None:
    for strategy in RoutingStrategy:
        team = [
            agent(ANA, available=False, idle_since=None),
            agent(BEN, available=False, skills={"billing": 10}),
        ]
        assert who(rules(strategy), work(), team) is None, strategy


def test_only_members_of_the_queue_are_chosen() -> None:
    team = [agent(ANA, queues=[BILLING], idle_since=None), agent(BEN)]
    assert who(rules(RoutingStrategy.longest_idle), work(), team) == "ben"


def test_manual_queues_never_auto_assign() -> None:
    team = [agent(ANA), agent(BEN)]
    assert who(rules(RoutingStrategy.manual), work(), team) is None


def test_nobody_free_means_no_decision() -> None:
    assert who(rules(RoutingStrategy.least_busy), work(), []) is None


# --- queue settings are validated at save time ------------------------------------------------


def test_skill_rules_with_unordered_widening_are_refused_with_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_skill_rule({"widen": [{"after_s": 300, "drop_all": True}, {"after_s": 60}]})
    assert list(caught.value.fields) == ["required_skills"]


def test_skill_levels_out_of_range_name_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_skill_rule({"skills": {"billing": 11}})
    assert list(caught.value.fields) == ["required_skills.skills.billing"]
    with pytest.raises(InvalidInput) as caught:
        parse_skill_rule({"skils": {"billing": 1}})
    assert list(caught.value.fields) == ["required_skills.skils"]


def test_overflow_to_a_queue_needs_a_queue() -> None:
    with pytest.raises(InvalidInput):
        parse_overflow({"after_s": 120})
    assert parse_overflow({"after_s": 120, "action": "callback"}).enabled
    assert parse_overflow({"when_no_agents": True, "queue_id": str(BILLING)}).queue_id == BILLING
    assert not Overflow().enabled  # an empty setting does nothing
    assert Widen(after_s=0).lower_by == 0 and OverflowAction("email") == OverflowAction.email


# --- tag expressions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "tags", "expected"),
    [
        ("billing", {"billing"}, True),
        ("billing", {"refund"}, False),
        ("billing and vip", {"billing", "vip"}, True),
        ("billing and vip", {"billing"}, False),
        ("billing or refund", {"refund"}, True),
        ("billing and not vip", {"billing"}, True),
        ("billing and not vip", {"billing", "vip"}, False),
        ("not not vip", {"vip"}, True),
        # "and" binds tighter than "or": a or (b and c)
        ("a or b and c", {"a"}, True),
        ("a or b and c", {"b"}, False),
        ("(a or b) and c", {"a"}, False),
        ("(a or b) and c", {"b", "c"}, True),
        ("((lang:es))", {"lang:es"}, True),
        ("*", set(), True),
        ("* and not spam", {"spam"}, False),
        ("Billing AND NOT Vip", {"billing"}, True),  # keywords and tags ignore case
        ("billing", {"BILLING"}, True),
        ("", {"billing"}, False),  # the empty expression accepts nothing
        ("   ", set(), False),
    ],
)
def test_tag_expressions(expression: str, tags: set[str], expected: bool) -> None:
    assert accepts(expression, tags) is expected


@pytest.mark.parametrize(
    "expression",
    ["billing and", "and billing", "(billing", "billing)", "billing vip", "not", "()", "a or or b"],
)
def test_bad_tag_expressions_are_refused_with_the_field(expression: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        compile_tags(expression)
    assert list(caught.value.fields) == ["accept_tags"]
    assert repr(expression) in caught.value.message
