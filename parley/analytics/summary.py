"""An extractive summary of a transcript: at most three sentences copied verbatim from it.

1. **Request**: the customer's sentence that best states what they want (a question or a
   request, early, sharing the conversation's keywords; greetings skipped).
2. **Action**: the agent's or assistant's sentence that best says what was done (an action in
   the first person, late rather than early, sharing the keywords).
3. **Close**: the customer's last sentence, when it carries clear sentiment (thanks, or that it
   still does not work): how it ended, in the customer's words.

Nothing is paraphrased or invented: each part is one sentence of one message, labelled with its
role. The recorded outcome (resolved / unresolved) is appended only when the caller gives it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from parley.analytics.keywords import STOP_WORDS, extract_keywords
from parley.analytics.lexicon import load_lexicon
from parley.analytics.sentiment import lexicon_score
from parley.analytics.transcript import Turn, request_role, sentences
from parley.automation.matching.text import stem, words
from parley.models.enums import MessageRole, Outcome

_REQUEST = re.compile(
    r"\b(can|could|would|will|how|why|what|when|where|which|is there|do you|does|need|want|"
    r"like to|help|please|problem|issue|not|never|cannot|can't|unable|still|wrong|missing)\b",
    re.IGNORECASE,
)
# "I have requested ..." / "we'll send ..." say what was done; "I checked ..." less so.
_ACTION = re.compile(
    r"\b(i|we)(?:'ve| have|'ll| will| just)\s+\w+|"
    r"\b(refunded|sent|resent|updated|changed|cancelled|canceled|booked|rebooked|reset|processed|"
    r"escalated|issued|credited|fixed|resolved|arranged|replaced|added|removed|unlocked|"
    r"reactivated|confirmed|scheduled|raised|logged|applied|transferred)\b",
    re.IGNORECASE,
)
_WEAK_ACTION = re.compile(r"\b(i|we)\s+\w+ed\b", re.IGNORECASE)
_ROLE_NAME = {
    MessageRole.customer: "Customer",
    MessageRole.agent: "Agent",
    MessageRole.assistant: "Assistant",
    MessageRole.system: "System",
}
_REPLIES = {MessageRole.agent, MessageRole.assistant}
CLOSE_STRENGTH = 0.3  # |lexicon score| a closing sentence needs to be worth quoting


@dataclass(frozen=True)
class SummaryPart:
    kind: str
    """"request", "action" or "close"."""
    role: MessageRole
    turn: int
    """Index of the turn the sentence was taken from."""
    sentence: str
    """Verbatim from that turn's text."""


@dataclass(frozen=True)
class Summary:
    parts: tuple[SummaryPart, ...]
    outcome: Outcome | None

    @property
    def text(self) -> str:
        """'Customer: ... Agent: ... Outcome: resolved.'; empty when there was nothing to take."""
        rendered = [f"{_ROLE_NAME[p.role]}: {_end(p.sentence)}" for p in self.parts]
        if self.outcome is not None and rendered:
            rendered.append(f"Outcome: {self.outcome.value}.")
        return " ".join(rendered)


def _end(sentence: str) -> str:
    return sentence if sentence[-1] in ".!?" else sentence + "."


def _content(sentence: str) -> set[str]:
    return {stem(w) for w in words(sentence) if w not in STOP_WORDS and not w.isdigit()}


def _candidates(turns: Sequence[Turn], roles: set[MessageRole]) -> list[tuple[int, int, str]]:
    """(turn index, position among these roles' sentences, sentence) for the given roles."""
    out: list[tuple[int, int, str]] = []
    for index, turn in enumerate(turns):
        if turn.role in roles:
            out.extend((index, len(out), s) for s in sentences(turn.text))
    return out


def _cue(sentence: str, cues: Sequence[tuple[re.Pattern[str], float]]) -> float:
    return max((weight for cue, weight in cues if cue.search(sentence)), default=0.0)


def _pick(
    candidates: list[tuple[int, int, str]],
    cues: Sequence[tuple[re.Pattern[str], float]],
    key: set[str],
    *,
    late: bool,
) -> tuple[int, str] | None:
    best: tuple[float, int, str] | None = None
    n = len(candidates)
    for turn, position, sentence in candidates:
        content = _content(sentence)
        if not content:
            continue  # greetings and fillers only
        place = position / max(n - 1, 1)
        score = (
            _cue(sentence, cues)
            + len(content & key) / max(len(key), 1)
            + 0.5 * (place if late else 1.0 - place)
            + min(len(content), 8) / 16  # a bare "Why?" says less than a full question
        )
        if best is None or score > best[0]:
            best = (score, turn, sentence)
    return (best[1], best[2]) if best else None


def summarize(turns: Sequence[Turn], *, outcome: Outcome | None = None) -> Summary:
    """1-3 verbatim sentences: the request, what was done, how the customer closed.

    When the customer said nothing, the request is taken from the system's report (an
    integration that opened the interaction), labelled "System"; there is then no close.
    """
    asker = request_role(turns)
    customer = _candidates(turns, {asker})
    replies = _candidates(turns, _REPLIES)
    texts = [t.text for t in turns if t.role is asker or t.role in _REPLIES]
    key = {stem(w) for k in extract_keywords(texts, limit=10) for w in words(k.phrase)}
    parts: list[SummaryPart] = []
    request = _pick(customer, [(_REQUEST, 1.0)], key, late=False)
    if request:
        parts.append(SummaryPart("request", asker, *request))
    action = _pick(replies, [(_ACTION, 1.0), (_WEAK_ACTION, 0.5)], key, late=True)
    if action:
        parts.append(SummaryPart("action", turns[action[0]].role, *action))
    closing = asker is MessageRole.customer and customer
    if closing and customer[-1][0] > max((p.turn for p in parts), default=-1):
        turn, _, sentence = customer[-1]
        strength, _ = lexicon_score(sentence, load_lexicon())
        if abs(strength) >= CLOSE_STRENGTH and sentence not in {p.sentence for p in parts}:
            parts.append(SummaryPart("close", MessageRole.customer, turn, sentence))
    return Summary(parts=tuple(parts), outcome=outcome)
