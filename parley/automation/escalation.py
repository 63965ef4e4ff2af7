"""When automation must step aside for a person: pure decisions, no I/O.

Reasons, in the order they are checked:

1. the customer asks for a person, in plain words, in any of the languages below;
2. the conversation keeps failing (automation could not understand or help ``MAX_FAILURES`` times);
3. the customer is strongly negative (sentiment score at or below ``ANGRY``);
4. nothing else answered: no procedure matched and the knowledge base had nothing confident.

Outside business hours the hand-off still happens (the work waits in its queue), but the customer
is told honestly when someone will be there instead of being promised an instant answer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_FAILURES = 2
ANGRY = -0.75

_PERSON = (
    # English
    r"(talk|speak|chat|connect|transfer|put) (me )?(to|with) (a |an |some |the )?"
    r"(real |live |actual )?"
    r"(human|person|agent|someone|somebody|representative|rep|operator|advisor)",
    r"\b(real|live|actual) (human|person|agent)\b",
    r"\b(human|person|agent|representative|operator) (please|pls|now)\b",
    r"^(human|agent|operator|representative)\W*$",
    r"\bget me (a |an )?(human|person|agent|manager)\b",
    r"\bnot (a |an )?(bot|robot|machine)\b",
    # Spanish
    r"\bhablar con (una |un |alguien|el |la )?(persona|humano|agente|asesor|operador)",
    r"\b(una |un )?(persona|agente|humano) (real|de verdad)\b",
    # French
    r"\bparler (a|avec) (un |une |quelqu)?(humain|personne|conseiller|agent|operateur)",
    r"\b(un |une )?(vrai|vraie) (personne|humain|conseiller)\b",
    # German
    r"\bmit (einem |einer )?(menschen|mitarbeiter|mitarbeiterin|person|berater|agenten) sprechen\b",
    r"\b(echten|echte|echter) (menschen|mensch|mitarbeiter)\b",
    # Portuguese
    r"\bfalar com (um |uma |alguem|o |a )?(atendente|humano|pessoa|agente|operador)",
    # Italian
    r"\bparlare con (un |una |qualcuno|l )?(operatore|persona|umano|agente|consulente)",
    # Dutch
    r"\b(spreken|praten) met (een )?(medewerker|mens|persoon)\b",
    r"\bmet (een )?(medewerker|mens|persoon) (spreken|praten)\b",
    r"\b(een )?(echte|echt) (mens|medewerker)\b",
)
_PERSON_RE = re.compile("|".join(f"(?:{p})" for p in _PERSON))
# Phrases that contain the words but do not ask for a person.
_NOT_A_REQUEST = re.compile(r"\bhuman resources\b|\bhr department\b|\bagent (number|id|code)\b")


def normalise(text: str) -> str:
    """Lower case, accents stripped, punctuation to spaces, whitespace collapsed."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", plain)).strip()


def asks_for_person(text: str) -> bool:
    said = normalise(text)
    return bool(_PERSON_RE.search(said)) and not _NOT_A_REQUEST.search(said)


class Reason(StrEnum):
    asked_for_person = "asked_for_person"
    repeated_failures = "repeated_failures"
    negative_sentiment = "negative_sentiment"
    no_answer = "no_answer"
    procedure_handoff = "procedure_handoff"


@dataclass(frozen=True)
class Escalation:
    reason: Reason
    detail: str


def check(text: str, *, failures: int, sentiment_score: float | None) -> Escalation | None:
    """Escalate before automation even tries, or None to let it try."""
    if asks_for_person(text):
        return Escalation(Reason.asked_for_person, "the customer asked for a person")
    if failures >= MAX_FAILURES:
        return Escalation(
            Reason.repeated_failures, f"automation could not help {failures} times in a row"
        )
    if sentiment_score is not None and sentiment_score <= ANGRY:
        return Escalation(
            Reason.negative_sentiment,
            f"the customer is very unhappy (sentiment {sentiment_score:.2f})",
        )
    return None


def handoff_message(reason: Reason, *, open_now: bool, opens_at: datetime | None) -> str:
    """What the customer is told when a person takes over: honest about when."""
    if open_now:
        if reason == Reason.asked_for_person:
            return "Of course: I'm passing you to one of our team now. They'll be with you shortly."
        return (
            "I'm passing you to one of our team, who can help with this. "
            "They'll be with you shortly."
        )
    when = (
        f" We're back {opens_at:%A at %H:%M} (UTC),"
        if opens_at is not None
        else " When we're back,"
    )
    return (
        "Our team is away right now, so a person can't answer immediately."
        f"{when} someone will pick up your conversation here; you don't need to wait online."
    )
