"""When automation steps aside: a person asked for (in several languages), repeated failures,
strong negativity; and honest expectations outside business hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parley.automation.escalation import Reason, asks_for_person, check, handoff_message


@pytest.mark.parametrize(
    "text",
    [
        "Can I talk to a human please?",
        "I want to speak with a real person",
        "AGENT",
        "agent please!!",
        "Just connect me to someone",
        "get me a manager",
        "I'm done with this bot, transfer me to an operator",
        "Quiero hablar con una persona",
        "¿Puedo hablar con un agente?",
        "Je veux parler à un conseiller",
        "parler avec une vraie personne svp",
        "Ich möchte mit einem Mitarbeiter sprechen",
        "Quero falar com um atendente",
        "Vorrei parlare con un operatore",
        "Ik wil met een medewerker spreken",
    ],
)
def test_asking_for_a_person_is_understood(text: str) -> None:
    assert asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "Where is my order?",
        "Is this a human resources question?",
        "My agent number is 4411",
        "The person at the door took the parcel",
        "I'd like to change my address",
        "humanity is great",
    ],
)
def test_ordinary_messages_are_not_requests_for_a_person(text: str) -> None:
    assert not asks_for_person(text)


def test_reasons_in_order() -> None:
    assert check("talk to a human", failures=5, sentiment_score=-1).reason == (  # type: ignore[union-attr]
        Reason.asked_for_person
    )
    found = check("hmm", failures=2, sentiment_score=-1)
    assert found is not None and found.reason == Reason.repeated_failures
    found = check("this is useless and you are useless", failures=0, sentiment_score=-0.8)
    assert found is not None and found.reason == Reason.negative_sentiment
    assert check("where is my parcel", failures=1, sentiment_score=-0.2) is None


def test_outside_hours_the_customer_is_told_the_truth() -> None:
    opens = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    text = handoff_message(Reason.asked_for_person, open_now=False, opens_at=opens)
    assert "away right now" in text and "Monday at 09:00" in text
    assert "shortly" in handoff_message(Reason.no_answer, open_now=True, opens_at=None)
