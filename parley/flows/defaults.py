"""The flows every organization starts with, so that nothing needs configuring to work.

An organization that saves flows of its own for an event type replaces these for that event type.
"""

from __future__ import annotations

from functools import cache

from parley.flows.model import FlowDefinition, parse_flow
from parley.ingest.event import EventType

_SOURCE: list[dict[str, object]] = [
    {
        # Gnatta's example: "Hi" / "Please can you help me" / "My name is..." sent around an agent
        # closing the interaction stay one conversation.
        "name": "Group quick messages on messaging channels",
        "event": EventType.new_message,
        "priority": 10,
        "when": {"channel": ["sms", "whatsapp", "messenger", "instagram"]},
        "steps": [
            {"find_interaction": {"group_within_minutes": 5}},
            {"create_interaction": {}},
            {"attach_message": True},
        ],
    },
    {
        "name": "Start a new interaction",
        "event": EventType.new_message,
        "priority": 100,
        "steps": [{"create_interaction": {}}, {"attach_message": True}],
    },
    {
        # Gnatta's example: reconnect if the thread's interaction closed within the last 7 days.
        "name": "Continue the conversation",
        "event": EventType.response,
        "priority": 100,
        "steps": [
            {"find_interaction": {"reconnect_closed_within_days": 7}},
            {"create_interaction": {}},
            {"attach_message": True},
        ],
    },
    # Events that belong to the interaction already in progress (the chat session, the call).
    *(
        {
            "name": f"Record {event.value.replace('_', ' ')}",
            "event": event,
            "priority": 100,
            "steps": [
                {"find_interaction": {}},
                {"create_interaction": {}},
                {"attach_message": True},
            ],
        }
        for event in (
            EventType.chat_started,
            EventType.chat_ended,
            EventType.survey_completed,
            EventType.call_ended,
            EventType.voicemail,
        )
    ),
    # Events that are new work by nature.
    *(
        {
            "name": f"New interaction for {event.value.replace('_', ' ')}",
            "event": event,
            "priority": 100,
            "steps": [{"create_interaction": {}}, {"attach_message": True}],
        }
        for event in (
            EventType.contact_form,
            EventType.external_request,
            EventType.call_started,
            EventType.review,
        )
    ),
]


@cache
def default_flows() -> tuple[FlowDefinition, ...]:
    return tuple(parse_flow(dict(source)) for source in _SOURCE)
