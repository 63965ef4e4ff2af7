"""A chat as its visitor may see it: found by chat id, owned by the visitor, read without notes.

A chat is a session of the widget. Starting one stores the thread key ``chat:<chat id>`` on the
interaction it joined, so every later request names the chat and finds the interaction through
that key. A visitor may use a chat only if the interaction's contact is the one behind the visitor
id in their signed token; anything else is a 404, exactly like a chat that does not exist.

What a visitor sees of a message is a projection (``visitor_view``): never internal notes, never
system lines, never agent-only fields (the interaction's queue, assignee, notes, custom fields).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.actions.contacts import contact_by_identity
from parley.errors import NotFound
from parley.files import stored_attachments
from parley.models import Channel, Interaction, Message, ThreadKey
from parley.models.enums import IdentityKind, MessageKind, MessageRole
from parley.schemas.interactions import MessageRead

VISIBLE_ROLES = frozenset({MessageRole.customer, MessageRole.agent, MessageRole.assistant})
STREAMED = frozenset({"message.created", "message.status"})
# The interaction's end, as the visitor learns it: the widget then asks for a rating.
ENDED = frozenset({"interaction.wrapped_up", "interaction.completed"})
TRANSCRIPT_LIMIT = 500


def canonical_chat_id(chat_id: str) -> str:
    try:
        return str(uuid.UUID(chat_id))
    except ValueError:
        raise NotFound("chat not found") from None


def chat_key(chat_id: str) -> str:
    return f"chat:{chat_id}"


def marker(chat_id: str, what: str) -> str:
    """The provider id of a chat's lifecycle line (start, end, survey): one of each per chat.

    ``#`` cannot appear in a client_message_id, so these never collide with visitor messages.
    """
    return f"{chat_id}#{what}"


async def access_chat(
    session: AsyncSession, *, channel: Channel, chat_id: str, visitor_id: str
) -> Interaction:
    org = channel.organization_id
    stmt = (
        select(Interaction)
        .join(ThreadKey, ThreadKey.interaction_id == Interaction.id)
        .where(
            ThreadKey.organization_id == org,
            ThreadKey.channel_id == channel.id,
            ThreadKey.key == chat_key(canonical_chat_id(chat_id)),
            Interaction.organization_id == org,
        )
    )
    interaction = (await session.execute(stmt)).scalar_one_or_none()
    contact = await contact_by_identity(
        session, organization_id=org, kind=IdentityKind.visitor, value=visitor_id
    )
    if interaction is None or contact is None or interaction.contact_id != contact.id:
        raise NotFound("chat not found")
    return interaction


async def stored(session: AsyncSession, channel: Channel, provider_id: str) -> Message | None:
    stmt = select(Message).where(
        Message.channel_id == channel.id, Message.provider_message_id == provider_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def transcript(session: AsyncSession, interaction: Interaction) -> list[dict[str, Any]]:
    """The interaction's last messages a visitor may see, oldest first."""
    stmt = (
        select(Message)
        .where(
            Message.interaction_id == interaction.id,
            Message.organization_id == interaction.organization_id,
            Message.kind == MessageKind.message,
            Message.role.in_(VISIBLE_ROLES),
        )
        .order_by(Message.seq.desc())
        .limit(TRANSCRIPT_LIMIT)
    )
    rows = reversed(list((await session.execute(stmt)).scalars()))
    views = (visitor_view(MessageRead.model_validate(m).model_dump(mode="json")) for m in rows)
    return [v for v in views if v is not None]


def visitor_view(message: dict[str, Any]) -> dict[str, Any] | None:
    """A message (as MessageRead JSON) as the visitor sees it, or None if they must not."""
    if message.get("kind") != MessageKind.message or message.get("role") not in VISIBLE_ROLES:
        return None
    provider_id = message.get("provider_message_id") or ""
    client_id = None
    if message["role"] == MessageRole.customer and ":" in provider_id:
        client_id = provider_id.split(":", 1)[1]
    return {
        "id": message["id"],
        "seq": message["seq"],
        "role": message["role"],
        "author_name": message.get("author_name") or "",
        "text": message.get("text") or "",
        "created_at": message["created_at"],
        "delivery_status": message.get("delivery_status"),
        "client_message_id": client_id,
        "attachments": [
            {
                "file_id": str(a["storage_key"]),
                "name": str(a.get("filename") or "attachment"),
                "content_type": str(a.get("content_type") or "application/octet-stream"),
                "size": int(a.get("size") or 0),
            }
            for a in stored_attachments(message.get("attachments"))
        ],
    }


def visitor_event(event: dict[str, Any], interaction_id: uuid.UUID) -> dict[str, Any] | None:
    """An organization event as this chat's visitor sees it, or None if it is not theirs.

    Besides messages: an agent's typing (ephemeral, no id) and the end of the interaction."""
    kind = event.get("type")
    if kind not in STREAMED and kind not in ENDED and kind != "typing":
        return None
    audience = event.get("audience")
    if not isinstance(audience, dict) or audience.get("internal") is not False:
        return None
    if audience.get("interaction_id") != str(interaction_id):
        return None
    if kind == "typing":
        if event.get("role") != "agent":
            return None  # the visitor's own typing, echoed
        return {
            "type": "typing",
            "role": "agent",
            "name": str(event.get("name") or ""),
            "typing": event.get("typing") is True,
        }
    if kind in ENDED:
        return {"id": event["id"], "type": "chat.ended"}
    message = event.get("message")
    view = visitor_view(message) if isinstance(message, dict) else None
    if view is None:
        return None
    return {"id": event["id"], "type": event["type"], "message": view}
