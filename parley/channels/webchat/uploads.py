"""Files in a web chat: the visitor's uploads, and signed expiring URLs to read attachments back.

``POST /widget/v1/{channel_id}/chats/{chat_id}/files`` (multipart: ``file``, ``client_message_id``,
optional ``text``) stores the bytes as a ``StoredFile`` of the channel's organization and ingests a
customer message carrying it, in one transaction. It is idempotent like a text message: a retry
with the same ``client_message_id`` answers with the stored message (and keeps no second copy).

What is accepted is decided from the bytes (``parley.files.sniff``): images, PDF and UTF-8 text.
The size limit is ``config["max_upload_bytes"]`` (see ``fileurls.max_upload_bytes``), and every
request is also bounded by ``PARLEY_MAX_BODY_BYTES``.

``GET /widget/v1/{channel_id}/files/{file_id}?expires=&sig=`` serves an attachment. The signature
(HMAC-SHA256 under the app's secret key) covers the organization, the channel, the file and the
expiry, and the file is loaded scoped to the channel's organization, so a URL works only for its
own tenant, only until it expires, and cannot be edited into another file's. Images are served
inline, everything else as a download, always with ``nosniff`` and a sandboxing policy.
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status

from parley.access import access_file
from parley.api.deps import services
from parley.api.files import file_response
from parley.channels.webchat import chats
from parley.channels.webchat.api import VisitorId, WidgetChannel, _event, _message_view
from parley.channels.webchat.cors import WidgetRoute
from parley.channels.webchat.fileurls import max_upload_bytes, signature, with_urls
from parley.channels.webchat.schemas import VisitorMessage
from parley.errors import Conflict, NotFound
from parley.files import do_store_file, read_upload
from parley.ingest.event import Attachment, Happening
from parley.ingest.pipeline import do_ingest
from parley.models import StoredFile

router = APIRouter(
    prefix="/widget/v1/{channel_id}", route_class=WidgetRoute, include_in_schema=False
)
CLIENT_ID = r"^[A-Za-z0-9_.:-]+$"


@router.post(
    "/chats/{chat_id}/files", status_code=status.HTTP_201_CREATED, response_model=VisitorMessage
)
async def upload(
    request: Request,
    response: Response,
    channel: WidgetChannel,
    visitor: VisitorId,
    chat_id: str,
    file: Annotated[UploadFile, File()],
    client_message_id: Annotated[str, Form(min_length=1, max_length=100, pattern=CLIENT_ID)],
    text: Annotated[str, Form(max_length=2000)] = "",
) -> dict[str, Any]:
    svc = services(request)
    limit = max_upload_bytes(channel, svc.settings)
    data, kind = await read_upload(file, limit)
    chat_id = chats.canonical_chat_id(chat_id)
    provider_id = f"{chat_id}:{client_message_id}"
    async with svc.db.transaction() as session:
        await chats.access_chat(session, channel=channel, chat_id=chat_id, visitor_id=visitor)
        existing = await chats.stored(session, channel, provider_id)
        if existing is None and await chats.stored(session, channel, chats.marker(chat_id, "end")):
            raise Conflict("this chat has ended; start a new chat")
        stored: StoredFile | None = None
        if existing is None:
            stored = await do_store_file(
                session,
                organization_id=channel.organization_id,
                filename=file.filename or "attachment",
                content_type=kind,
                data=data,
            )
        attachments = (
            (Attachment(stored.filename, kind, stored.size, storage_key=str(stored.id)),)
            if stored is not None
            else ()
        )
        event = _event(
            channel,
            visitor,
            chat_id,
            Happening.message,
            provider_id,
            text=text or (stored.filename if stored is not None else ""),
            attachments=attachments,
        )
        result = await do_ingest(session, event=event)
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    if result.duplicate or not text:
        assert result.message is not None
        text = result.message.text  # a retry: the first upload's message stands
    return with_urls(svc.settings, channel, _message_view(result, text))


@router.get("/files/{file_id}")
async def download(
    request: Request, channel: WidgetChannel, file_id: str, expires: int = 0, sig: str = ""
) -> Response:
    svc = services(request)
    expected = signature(svc.settings, channel, file_id, expires)
    if not hmac.compare_digest(expected, sig) or expires < time.time():
        raise NotFound("file not found")  # expired and forged look alike
    async with svc.db.transaction() as session:
        found = await access_file(session, organization_id=channel.organization_id, file_id=file_id)
    return file_response(found)
