"""What the WhatsApp and Messenger/Instagram parsers share. Pure: no I/O."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from parley.ingest.event import Attachment, InboundEvent
from parley.models.enums import DeliveryStatus

# do_add_message refuses longer text; a provider payload that cannot be stored would be retried
# by Meta for days, so the transcript keeps the first part and the rest is cut.
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Watermark:
    """A Messenger receipt that names no message: everything we sent ``user_id`` up to ``until``
    has been delivered (or read). Resolved against the database by the router."""

    user_id: str
    status: DeliveryStatus
    until: datetime


@dataclass
class Parsed:
    """One webhook body: the events to ingest, receipts to resolve, and what was left out."""

    events: list[InboundEvent] = field(default_factory=list)
    watermarks: list[Watermark] = field(default_factory=list)
    # Why each skipped part was skipped, for the log ("account_update: not a conversation").
    ignored: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Content:
    """The readable part of one message: transcript text, files, facts for flows, references."""

    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    refers_to: tuple[str, ...] = ()


def items(value: Any) -> list[dict[str, Any]]:
    """The dict elements of a JSON list (anything else is treated as missing)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text_of(value: Any) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def timestamp(value: Any) -> datetime | None:
    """Meta's times: epoch seconds (WhatsApp, as a string), epoch milliseconds (Messenger), or
    ISO 8601 in some recorded samples. Anything unreadable is None (the server's clock is used)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 100_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def filename_for(kind: str, ident: str, content_type: str) -> str:
    base = content_type.split(";", 1)[0].strip()
    ext = mimetypes.guess_extension(base) or ""
    safe = "".join(c for c in ident if c.isalnum() or c in "-_.")[:80] or "file"
    return f"{kind}-{safe}{ext}"


def errors_text(errors: list[dict[str, Any]]) -> str | None:
    """Meta's error objects as one line: ``131026 Message undeliverable: details``."""
    lines = []
    for error in errors:
        details = obj(error.get("error_data")).get("details")
        title = error.get("title") or error.get("message") or "error"
        line = f"{error.get('code', '?')} {title}"
        lines.append(f"{line}: {details}" if details and details != title else line)
    return "; ".join(lines) or None
