"""Extractive summary: request, action, close; every sentence copied from the transcript."""

from __future__ import annotations

from parley.analytics.summary import summarize
from parley.analytics.transcript import Turn, sentences
from parley.models.enums import MessageRole, Outcome

C, A, B = MessageRole.customer, MessageRole.agent, MessageRole.assistant
TRANSCRIPT = [
    Turn(C, "Hi there."),
    Turn(C, "I ordered a blue TV last week and it still has not arrived. It is with DHL."),
    Turn(A, "Sorry to hear that! Let me check with DHL for you."),
    Turn(A, "Your TV delivery was delayed at the depot. I have requested a priority delivery."),
    Turn(C, "OK thanks, that is great!"),
]


def test_summary_is_request_action_close() -> None:
    summary = summarize(TRANSCRIPT, outcome=Outcome.resolved)
    assert [p.kind for p in summary.parts] == ["request", "action", "close"]
    assert summary.text == (
        "Customer: I ordered a blue TV last week and it still has not arrived. "
        "Agent: I have requested a priority delivery. "
        "Customer: OK thanks, that is great! Outcome: resolved."
    )


def test_every_sentence_comes_from_the_transcript_with_its_role() -> None:
    for turns in (TRANSCRIPT, TRANSCRIPT[:2], TRANSCRIPT[2:], [*TRANSCRIPT, Turn(B, "Bye.")]):
        summary = summarize(turns)
        assert 1 <= len(summary.parts) <= 3
        for part in summary.parts:
            assert part.role is turns[part.turn].role
            assert part.sentence in sentences(turns[part.turn].text)
            assert part.sentence in summary.text


def test_nothing_to_summarize() -> None:
    assert summarize([]).text == ""
    assert summarize([Turn(C, "Hi!"), Turn(MessageRole.system, "Chat started.")]).parts == ()
    assert summarize([], outcome=Outcome.resolved).text == ""


def test_neutral_last_message_is_not_quoted_as_the_close() -> None:
    turns = [*TRANSCRIPT[:4], Turn(C, "My order number is 5512.")]
    assert [p.kind for p in summarize(turns).parts] == ["request", "action"]
