"""/api/v1/interactions/{id}/files: an agent attaches a file to a reply or a note, and anyone who
may see the interaction reads its attachments back.

``POST`` (multipart: ``file``, optional ``text``, ``internal``) checks the upload here and hands
it to ``do_attach_file``, which stores the bytes and adds the message in one transaction, through
``do_add_message`` like any reply; the channel's sender then
carries the file (web chat shows it with a signed link, email attaches it). Channels that fetch
media from a public URL (SMS, WhatsApp, Messenger, Instagram) are refused with a clear error
rather than silently sending the text alone. ``GET .../files/{file_id}`` serves a file only if a
message of that interaction names it, with the same sandboxing as the widget's downloads.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from sqlalchemy import select

from parley.access import access_file, access_interaction, parse_id, viewer_of
from parley.actions.messages import do_attach_file
from parley.api.deps import Ctx
from parley.errors import NotFound
from parley.files import INLINE, MAX_FILE_BYTES, read_upload, stored_attachments
from parley.models import Message, StoredFile
from parley.schemas.interactions import MessageRead

router = APIRouter(prefix="/interactions/{interaction_id}/files", tags=["interactions"])


def file_response(found: StoredFile, *, cache: str = "private, max-age=300") -> Response:
    """The bytes, never able to run on our origin: images inline, everything else a download,
    under a sandboxing policy either way."""
    inline = found.content_type in INLINE
    disposition = "inline" if inline else "attachment"
    return Response(
        content=found.data,
        media_type=found.content_type if inline else "application/octet-stream",
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.filename)}",
            "Cache-Control": cache,
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MessageRead)
async def attach(
    ctx: Ctx,
    interaction_id: str,
    file: Annotated[UploadFile, File()],
    text: Annotated[str, Form(max_length=20_000)] = "",
    internal: Annotated[bool, Form()] = False,
) -> MessageRead:
    limit = min(MAX_FILE_BYTES, ctx.svc.settings.max_body_bytes - 4096)
    data, kind = await read_upload(file, limit)
    async with ctx.db.transaction() as session:
        message = await do_attach_file(
            session,
            actor=ctx.actor,
            interaction_id=parse_id(interaction_id, "interaction"),
            filename=file.filename or "attachment",
            content_type=kind,
            data=data,
            text=text,
            internal=internal,
        )
        return MessageRead.model_validate(message)


@router.get("/{file_id}", response_class=Response)
async def read(ctx: Ctx, interaction_id: str, file_id: str) -> Response:
    fid = str(parse_id(file_id, "file"))
    async with ctx.db.transaction() as session:
        interaction = await access_interaction(
            session,
            organization_id=ctx.actor.organization_id,
            interaction_id=interaction_id,
            viewer=viewer_of(ctx.actor),
        )
        rows = await session.execute(
            select(Message.attachments).where(Message.interaction_id == interaction.id)
        )
        named = any(
            str(a["storage_key"]) == fid
            for attachments in rows.scalars()
            for a in stored_attachments(attachments)
        )
        if not named:
            raise NotFound("file not found")
        found = await access_file(session, organization_id=interaction.organization_id, file_id=fid)
    return file_response(found)
