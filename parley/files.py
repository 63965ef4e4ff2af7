"""Storing attachment bytes, scoped to their organization, and deciding what a file is.

What is accepted from a person (a visitor in the widget, an agent in the console) is decided from
the bytes, never from the browser's declared type or the name: PNG, JPEG, GIF, WebP, PDF and UTF-8
text. SVG and HTML are refused (they would run script).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from fastapi import UploadFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.errors import InvalidInput, PayloadTooLarge
from parley.models import StoredFile

MAX_FILE_BYTES = 25 * 1024 * 1024
# Served inline (shown in the page); everything else is a download.
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def sniff(data: bytes) -> str | None:
    """The type of ``data`` by its content, or None when it is not an accepted kind."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<", b"\xef\xbb\xbf<")) or b"\x00" in data:
        return None  # markup (HTML, SVG, XML) or binary
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


async def read_upload(file: UploadFile, limit: int) -> tuple[bytes, str]:
    """An uploaded file's bytes and sniffed type, or a readable refusal (too large, empty, or a
    kind that is not accepted). Reads at most ``limit`` + 1 bytes."""
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"a file is at most {limit} bytes")
    if not data:
        raise InvalidInput("the file is empty", fields={"file": "empty"})
    kind = sniff(data)
    if kind is None:
        raise InvalidInput(
            "this kind of file is not accepted: send an image, a PDF or a text file",
            fields={"file": "unsupported type"},
        )
    return data, kind


def stored_attachments(attachments: Iterable[Any] | None) -> list[dict[str, Any]]:
    """The entries of ``Message.attachments`` whose bytes Parley holds (``storage_key`` set);
    provider media known only by URL are left out."""
    return [a for a in attachments or () if isinstance(a, dict) and a.get("storage_key")]


async def files_named(
    session: AsyncSession, *, organization_id: uuid.UUID, attachments: Iterable[Any] | None
) -> list[StoredFile]:
    """The stored files a message's attachments name, in one query, scoped to the organization
    (a file removed since is simply missing)."""
    keys = [uuid.UUID(str(a["storage_key"])) for a in stored_attachments(attachments)]
    if not keys:
        return []
    rows = await session.execute(
        select(StoredFile).where(
            StoredFile.organization_id == organization_id, StoredFile.id.in_(keys)
        )
    )
    by_id = {f.id: f for f in rows.scalars()}
    return [by_id[k] for k in keys if k in by_id]


def attachment_of(stored: StoredFile) -> dict[str, Any]:
    """How a stored file is named in ``Message.attachments`` (the shape ingest writes too)."""
    return {
        "filename": stored.filename,
        "content_type": stored.content_type,
        "size": stored.size,
        "storage_key": str(stored.id),
    }


async def do_store_file(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    filename: str,
    content_type: str,
    data: bytes,
) -> StoredFile:
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(f"an attachment is at most {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    stored = StoredFile(
        organization_id=organization_id,
        # Keep only the last path component: names come from untrusted mail and forms.
        filename=(filename.replace("\\", "/").rsplit("/", 1)[-1] or "attachment")[:255],
        content_type=content_type[:255] or "application/octet-stream",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        created_at=clock.now(),
    )
    session.add(stored)
    await session.flush()
    return stored
