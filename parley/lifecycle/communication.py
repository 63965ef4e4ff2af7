"""Communication types and their subtypes, and what each channel kind starts as. Pure."""

from __future__ import annotations

from parley.errors import InvalidInput
from parley.models.enums import ChannelKind, CommunicationType

SUBTYPES: dict[CommunicationType, tuple[str, ...]] = {
    CommunicationType.voice: ("inbound_call", "outbound_call", "voicemail", "callback"),
    CommunicationType.chat: ("webchat",),
    CommunicationType.messaging: ("sms", "whatsapp", "messenger", "instagram"),
    CommunicationType.email: ("email",),
    CommunicationType.task: ("form", "review", "api", "task"),
}

OF_CHANNEL: dict[ChannelKind, tuple[CommunicationType, str]] = {
    ChannelKind.webchat: (CommunicationType.chat, "webchat"),
    ChannelKind.email: (CommunicationType.email, "email"),
    ChannelKind.sms: (CommunicationType.messaging, "sms"),
    ChannelKind.whatsapp: (CommunicationType.messaging, "whatsapp"),
    ChannelKind.messenger: (CommunicationType.messaging, "messenger"),
    ChannelKind.instagram: (CommunicationType.messaging, "instagram"),
    ChannelKind.voice: (CommunicationType.voice, "inbound_call"),
    ChannelKind.form: (CommunicationType.task, "form"),
    ChannelKind.review: (CommunicationType.task, "review"),
    ChannelKind.api: (CommunicationType.task, "api"),
}


def resolve_subtype(kind: CommunicationType, subtype: str | None) -> str:
    """The subtype to store: the given one if it belongs to ``kind``, else the type's first."""
    allowed = SUBTYPES[kind]
    if subtype is None:
        return allowed[0]
    if subtype not in allowed:
        raise InvalidInput(
            f"subtype {subtype!r} does not belong to communication type {kind.value}",
            fields={"subtype": f"one of: {', '.join(allowed)}"},
        )
    return subtype
