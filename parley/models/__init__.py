"""The core model. Importing this package registers every table on ``Base.metadata``."""

from parley.models.automation import AiAgent, OrganizationSecret, Procedure
from parley.models.automation_session import AutomationSession
from parley.models.channel import Channel
from parley.models.coaching import Review, Scorecard
from parley.models.contact import Contact, ContactIdentity
from parley.models.delivery import (
    IdempotencyKey,
    StoredFile,
    WebhookDelivery,
    WebhookSubscription,
)
from parley.models.ingest import Flow, FlowRun, Job, ThreadKey
from parley.models.interaction import Interaction, InteractionTag, Tag
from parley.models.knowledge import Faq, KbChunk, KnowledgeCollection, Resource
from parley.models.message import Activity, Message, OutboxEvent
from parley.models.organization import (
    AgentProfile,
    ApiKey,
    LoginAttempt,
    Membership,
    Organization,
    User,
    WebSession,
)
from parley.models.queue import Queue, QueueMember
from parley.models.scheduled import ScheduledMessage

__all__ = [
    "Activity",
    "AgentProfile",
    "AiAgent",
    "ApiKey",
    "AutomationSession",
    "Channel",
    "Contact",
    "ContactIdentity",
    "Faq",
    "Flow",
    "FlowRun",
    "IdempotencyKey",
    "Interaction",
    "InteractionTag",
    "Job",
    "KbChunk",
    "KnowledgeCollection",
    "LoginAttempt",
    "Membership",
    "Message",
    "Organization",
    "OrganizationSecret",
    "OutboxEvent",
    "Procedure",
    "Queue",
    "QueueMember",
    "Resource",
    "Review",
    "ScheduledMessage",
    "Scorecard",
    "StoredFile",
    "Tag",
    "ThreadKey",
    "User",
    "WebSession",
    "WebhookDelivery",
    "WebhookSubscription",
]
