"""The analytics view of a conversation: turns with a role, a text and a time. No database."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from parley.models.enums import MessageRole

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Turn:
    """One message: a customer's, an agent's, an AI assistant's or a system line."""

    role: MessageRole
    text: str
    at: datetime | None = None

    @property
    def is_customer(self) -> bool:
        return self.role is MessageRole.customer

    @property
    def is_reply(self) -> bool:
        """Said to the customer by the organization (a person or an AI assistant)."""
        return self.role in (MessageRole.agent, MessageRole.assistant)


def customer_texts(turns: Sequence[Turn]) -> list[str]:
    return [t.text for t in turns if t.is_customer and t.text.strip()]


def request_role(turns: Sequence[Turn]) -> MessageRole:
    """Who states what the conversation is about: the customer; when the customer said nothing
    (an integration opened it: "payment declined for order ..."), the system's report."""
    if any(t.is_customer and t.text.strip() for t in turns):
        return MessageRole.customer
    return MessageRole.system


def sentences(text: str) -> list[str]:
    """The text's sentences, verbatim (split after . ! ? and at line breaks), stripped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
