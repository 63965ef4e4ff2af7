"""Channel semantics: which event type an inbound happening is (Gnatta's events). Pure.

*Response Received* is deliberately narrow: only when the message is inherently part of an
interaction in progress. Everything else is a *New Message Received* (or the channel's own event),
and flows decide whether to connect it to earlier work.
"""

from __future__ import annotations

from parley.flows.engine import Candidate
from parley.ingest.event import EventType, Happening
from parley.models.enums import ChannelKind

# Channels where a message is a response only while the contact's interaction is open.
OPEN_THREAD_CHANNELS = frozenset(
    {ChannelKind.sms, ChannelKind.whatsapp, ChannelKind.messenger, ChannelKind.instagram}
)

FIXED = {
    Happening.chat_start: EventType.chat_started,
    Happening.chat_end: EventType.chat_ended,
    Happening.form: EventType.contact_form,
    Happening.survey: EventType.survey_completed,
    Happening.call_start: EventType.call_started,
    Happening.call_end: EventType.call_ended,
    Happening.voicemail: EventType.voicemail,
    Happening.review: EventType.review,
    Happening.review_edit: EventType.response,
    Happening.external: EventType.external_request,
}


def classify(
    happening: Happening,
    channel: ChannelKind,
    *,
    threaded: Candidate | None,
    latest_on_channel: Candidate | None,
) -> EventType:
    """The event type of a happening, given what it is threaded to.

    - chat: Chat Started, then every message of the session is a Response Received;
    - email: a reply in a known thread (or to a signed reply address) is a Response Received,
      whether or not the interaction is still open: the messages are inherently related;
    - SMS, WhatsApp, Messenger, Instagram: a Response Received only while the contact's latest
      interaction on the channel is open; once closed, the next message is a New Message Received;
    - voice never produces a Response Received: Call Started, Call Ended, Voicemail Received;
    - a Trustpilot review is a Review Received, its edit a Response Received.
    """
    if happening in FIXED:
        return FIXED[happening]
    if happening == Happening.status:
        raise ValueError("delivery statuses are not classified; they update a message")
    # A notice is about a message: it belongs where that message would.
    if channel == ChannelKind.voice:
        return EventType.call_started
    if channel == ChannelKind.api:
        return EventType.external_request
    if channel in OPEN_THREAD_CHANNELS:
        candidate = threaded or latest_on_channel
        is_open = candidate is not None and candidate.is_open
        return EventType.response if is_open else EventType.new_message
    if channel == ChannelKind.webchat:
        return EventType.response if threaded is not None else EventType.new_message
    return EventType.response if threaded is not None else EventType.new_message
