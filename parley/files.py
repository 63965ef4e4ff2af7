"""Storing attachment bytes, scoped to their organization."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.errors import PayloadTooLarge
from parley.models import StoredFile

MAX_FILE_BYTES = 25 * 1024 * 1024


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
