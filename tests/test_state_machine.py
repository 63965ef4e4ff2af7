"""The lifecycle table, every state x every command, written out from the product pages.

The expected table is spelled out here by hand (not derived from the module under test), so a
change to the state machine has to be made twice, on purpose.
"""

from __future__ import annotations

import pytest

from parley.errors import IllegalTransition
from parley.lifecycle.state_machine import (
    EDITABLE_COMPLETED,
    EDITABLE_OPEN,
    Command,
    can,
    editable_fields,
    next_state,
)
from parley.models.enums import State

A, Q, S, W, C = State.automated, State.queued, State.assigned, State.wrap_up, State.completed
X = None  # illegal

# columns:      route claim assign release to_queue to_agent wrap_up complete reopen clone msg note
EXPECTED: dict[State, tuple[State | None, ...]] = {
    A: (Q, S, S, X, Q, S, X, C, X, X, A, A),
    Q: (Q, S, S, X, Q, S, X, C, X, X, Q, Q),
    S: (X, X, S, Q, Q, S, W, C, X, X, S, S),
    W: (X, X, X, X, X, X, X, C, X, X, W, W),
    C: (X, X, X, X, X, X, X, X, Q, C, X, X),
}
COMMANDS = (
    Command.route,
    Command.claim,
    Command.assign,
    Command.release,
    Command.transfer_to_queue,
    Command.transfer_to_agent,
    Command.wrap_up,
    Command.complete,
    Command.reopen,
    Command.clone,
    Command.message,
    Command.note,
)
CASES = [(state, cmd, EXPECTED[state][i]) for state in State for i, cmd in enumerate(COMMANDS)]


def test_table_covers_every_state_and_command() -> None:
    assert set(EXPECTED) == set(State)
    assert set(COMMANDS) == set(Command)
    assert len(CASES) == len(State) * len(Command)


@pytest.mark.parametrize(("state", "command", "expected"), CASES)
def test_transition(state: State, command: Command, expected: State | None) -> None:
    if expected is None:
        assert not can(state, command)
        with pytest.raises(IllegalTransition) as err:
            next_state(state, command)
        # The message says what was refused and what is possible now.
        assert state.value in err.value.message
        assert "allowed now:" in err.value.message
        assert err.value.status == 409
    else:
        assert can(state, command)
        assert next_state(state, command) == expected


@pytest.mark.parametrize("state", [A, Q, S, W])
def test_completion_is_reachable_from_every_open_state(state: State) -> None:
    assert next_state(state, Command.complete) == C


def test_completed_is_read_only_for_messaging_but_clonable() -> None:
    assert not can(C, Command.message)
    assert not can(C, Command.note)
    assert next_state(C, Command.clone) == C


def test_fields_editable_after_completion_are_a_subset() -> None:
    assert editable_fields(C) == EDITABLE_COMPLETED
    assert EDITABLE_COMPLETED < EDITABLE_OPEN
    # Who completed it, the people involved and the transcript are history (Edify).
    for frozen in ("completed_by_id", "assignee_id", "queue_id", "state", "communication_type"):
        assert frozen not in EDITABLE_COMPLETED
    for state in (A, Q, S, W):
        assert editable_fields(state) == EDITABLE_OPEN
