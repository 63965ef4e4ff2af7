"""The interaction lifecycle, as data: which command may run in which state, and where it leads.

    automated -> queued -> assigned -> wrap_up -> completed
                   ^          |
                   +----------+   (release, transfer to a queue)

Completion is allowed from every open state; a completed interaction is never reopened in place
except through ``reopen`` (used by find-or-create policies), and ``clone`` leaves it untouched while
a new outbound interaction is created. Pure: no I/O, no clock.
"""

from __future__ import annotations

from enum import StrEnum

from parley.errors import IllegalTransition
from parley.models.enums import State


class Command(StrEnum):
    route = "route"  # automation hands over to a queue
    claim = "claim"  # an agent takes it for themselves
    assign = "assign"  # someone gives it to an agent
    release = "release"  # the agent puts it back in the queue
    transfer_to_queue = "transfer_to_queue"
    transfer_to_agent = "transfer_to_agent"
    wrap_up = "wrap_up"
    complete = "complete"
    reopen = "reopen"
    clone = "clone"
    # Commands that do not move the state but are allowed only in some states.
    message = "message"  # customer, agent or automation message
    note = "note"  # internal note


OPEN_STATES = frozenset({State.automated, State.queued, State.assigned, State.wrap_up})

# (state, command) -> next state. Anything absent is illegal.
TRANSITIONS: dict[tuple[State, Command], State] = {
    (State.automated, Command.route): State.queued,
    (State.automated, Command.claim): State.assigned,
    (State.automated, Command.assign): State.assigned,
    (State.automated, Command.transfer_to_queue): State.queued,
    (State.automated, Command.transfer_to_agent): State.assigned,
    (State.queued, Command.route): State.queued,
    (State.queued, Command.claim): State.assigned,
    (State.queued, Command.assign): State.assigned,
    (State.queued, Command.transfer_to_queue): State.queued,
    (State.queued, Command.transfer_to_agent): State.assigned,
    (State.assigned, Command.assign): State.assigned,
    (State.assigned, Command.release): State.queued,
    (State.assigned, Command.transfer_to_queue): State.queued,
    (State.assigned, Command.transfer_to_agent): State.assigned,
    (State.assigned, Command.wrap_up): State.wrap_up,
    (State.completed, Command.reopen): State.queued,
    (State.completed, Command.clone): State.completed,
}
for _open in OPEN_STATES:
    TRANSITIONS[(_open, Command.complete)] = State.completed
    TRANSITIONS[(_open, Command.message)] = _open
    TRANSITIONS[(_open, Command.note)] = _open

# Fields a user may edit, by lifecycle phase. After completion the transcript, the people involved
# and who completed it are history; the classification of the work stays editable (Edify).
EDITABLE_OPEN = frozenset(
    {
        "subject",
        "priority",
        "disposition",
        "notes",
        "custom_fields",
        "communication_type",
        "subtype",
        "outcome",
    }
)
EDITABLE_COMPLETED = frozenset({"subject", "disposition", "notes", "custom_fields", "outcome"})


def next_state(state: State, command: Command) -> State:
    """The state after ``command``; raises IllegalTransition with a message a person can act on."""
    try:
        return TRANSITIONS[(state, command)]
    except KeyError:
        allowed = sorted(c.value for (s, c) in TRANSITIONS if s == state)
        raise IllegalTransition(
            f"cannot {command.value.replace('_', ' ')} an interaction that is {state.value}; "
            f"allowed now: {', '.join(allowed)}"
        ) from None


def can(state: State, command: Command) -> bool:
    return (state, command) in TRANSITIONS


def editable_fields(state: State) -> frozenset[str]:
    return EDITABLE_OPEN if state in OPEN_STATES else EDITABLE_COMPLETED
