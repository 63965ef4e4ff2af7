"""One interaction's insight: what it says when there is nothing to read, where an integration's
report stands in for the customer, and what keywords leave out."""

from __future__ import annotations

from parley.analytics.insight import analyse_interaction
from parley.analytics.topic import OTHER, TopicDefinition, classifier_for, topics_from_settings
from parley.analytics.transcript import Turn
from parley.models.enums import MessageRole, Outcome

C, A, S = MessageRole.customer, MessageRole.agent, MessageRole.system
TOPICS = (
    TopicDefinition("Payments", ("my payment was declined", "I was charged twice")),
    TopicDefinition("Delivery", ("where is my parcel", "my order has not arrived")),
)


def test_a_foreign_conversation_gets_no_english_sentiment() -> None:
    insight = analyse_interaction(
        [Turn(C, "Hallo, ist der Schlafsack auch für große Personen?"), Turn(A, "Ja, Größe Long.")]
    )
    assert insight.messages == () and insight.sentiment is None
    assert insight.sentiment_note == (
        "Not analysed: the customer wrote in German; sentiment is English only."
    )
    mixed = analyse_interaction([Turn(C, "Danke für die Hilfe!"), Turn(C, "Thanks, great help!")])
    assert [i for i, _ in mixed.messages] == [1]
    assert mixed.sentiment is not None and mixed.sentiment_note is None


def test_an_integrations_report_states_the_request_when_the_customer_said_nothing() -> None:
    turns = [
        Turn(S, "Payment of £249.00 for order NW-1 was declined (insufficient funds)."),
        Turn(A, "I have emailed the customer a link to update the card."),
    ]
    insight = analyse_interaction(turns, topics=classifier_for(TOPICS), outcome=Outcome.unresolved)
    assert insight.sentiment is None
    assert insight.sentiment_note == "No customer messages: nothing to analyse."
    assert insight.summary.text.startswith("System: Payment of £249.00 for order NW-1 was declined")
    assert insight.summary.text.endswith("Outcome: unresolved.")
    assert insight.topic is not None and insight.topic.topic == "Payments"
    assert "insufficient funds" in [k.phrase for k in insight.keywords]
    # With a customer, system lines are not the request.
    spoken = analyse_interaction([Turn(C, "Where is my parcel?"), *turns])
    assert spoken.summary.text.startswith("Customer: Where is my parcel?")


def test_the_subject_helps_and_the_opening_outweighs_a_late_aside() -> None:
    topics = classifier_for(TOPICS)
    assert topics is not None
    late = topics.assign(["I was charged twice for one order", "where is my parcel though"])
    assert late.topic == "Payments"
    followed_up = analyse_interaction(
        [Turn(C, "Yes it's gone now, thanks!")], topics=topics, subject="Charged twice"
    )
    assert followed_up.topic is not None and followed_up.topic.topic == "Payments"
    assert topics.assign(["tell me a joke about cats"]).topic == OTHER


def test_keywords_leave_out_peoples_and_the_organizations_names() -> None:
    turns = [
        Turn(A, "Northwind Outfitters, Tom speaking."),
        Turn(C, "Hi Tom, a pole on my Ridgeline tent snapped on Kinder Scout."),
    ]
    plain = [k.phrase for k in analyse_interaction(turns).keywords]
    assert any("Tom" in k or "Northwind" in k for k in plain)
    named = analyse_interaction(turns, names=["Northwind Outfitters", "Tom Becker"])
    phrases = [k.phrase for k in named.keywords]
    assert phrases and not any("Tom" in k or "Northwind" in k for k in phrases)
    assert "Kinder Scout" in phrases


def test_topics_from_settings_skip_what_is_malformed() -> None:
    settings = {
        "topics": [
            {"name": "Refunds", "examples": ["money back", 3, " "]},
            {"name": "Other", "examples": ["anything"]},  # reserved
            {"name": "", "examples": ["x"]},
            {"name": "Delivery"},  # no examples list
            "Billing",
        ]
    }
    assert topics_from_settings(settings) == (TopicDefinition("Refunds", ("money back",)),)
    assert topics_from_settings({}) == () and topics_from_settings({"topics": "x"}) == ()
    assert classifier_for(()) is None
    assert classifier_for(TOPICS) is classifier_for(TOPICS)  # fitted once
