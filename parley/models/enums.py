"""The closed vocabularies of the core model, shared by models, schemas and decision code."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    agent = "agent"


class Presence(StrEnum):
    available = "available"
    away = "away"
    offline = "offline"


class ChannelKind(StrEnum):
    webchat = "webchat"
    email = "email"
    sms = "sms"
    whatsapp = "whatsapp"
    messenger = "messenger"
    instagram = "instagram"
    voice = "voice"
    form = "form"
    review = "review"
    api = "api"


class CommunicationType(StrEnum):
    """How the customer and the agent talk; it may change during one interaction."""

    voice = "voice"
    chat = "chat"
    messaging = "messaging"
    email = "email"
    task = "task"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"


class State(StrEnum):
    automated = "automated"
    queued = "queued"
    assigned = "assigned"
    wrap_up = "wrap_up"
    completed = "completed"


class Owner(StrEnum):
    automation = "automation"
    queue = "queue"
    agent = "agent"
    none = "none"


class Outcome(StrEnum):
    resolved = "resolved"
    unresolved = "unresolved"


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class MessageRole(StrEnum):
    customer = "customer"
    agent = "agent"
    assistant = "assistant"
    system = "system"


class MessageKind(StrEnum):
    message = "message"
    note = "note"
    event = "event"


class MessageDirection(StrEnum):
    inbound = "inbound"
    outbound = "outbound"
    internal = "internal"


class DeliveryStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"
    received = "received"


class ActorType(StrEnum):
    user = "user"
    api_key = "api_key"
    contact = "contact"
    automation = "automation"
    system = "system"


class IdentityKind(StrEnum):
    email = "email"
    phone = "phone"
    whatsapp = "whatsapp"
    messenger = "messenger"
    instagram = "instagram"
    visitor = "visitor"
    external = "external"


class Sentiment(StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"


class HandledBy(StrEnum):
    aop = "aop"
    kb = "kb"
    human = "human"


class RoutingStrategy(StrEnum):
    manual = "manual"
    round_robin = "round_robin"
    least_busy = "least_busy"
    longest_idle = "longest_idle"
    skills = "skills"


class ScheduledStatus(StrEnum):
    """A reply written now to leave later ("send later")."""

    scheduled = "scheduled"
    sent = "sent"
    cancelled = "cancelled"
    failed = "failed"
