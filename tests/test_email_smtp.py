"""Email end to end: a real SMTP conversation with Parley's listener, real files from
../shared/data/email, the stored interaction and message, the realtime event, and the threaded
reply the relay (the sandbox's SMTP sink) receives."""

from __future__ import annotations

import json
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
from sqlalchemy import select
from websockets.asyncio.client import connect

from parley.channels.email import threading
from parley.config import Settings
from parley.models import Contact, Message, StoredFile
from tests.conftest import LiveServer
from tests.factories import Tenant
from tests.providers import Sandbox, wait_for
from tests.test_forms_api import wait_for_status
from tests.test_twilio_messaging import event_types, next_event
from tests.test_webchat_api import API, make_channel

DATA = Path(__file__).resolve().parents[2] / "shared/data/email"
RFC = DATA / "imap_tools/rfc2822"


async def smtp_send(
    port: int, raw: bytes, rcpt: list[str], *, mail_from: str = "sender@example.org"
) -> tuple[list[int], int | None]:
    """One SMTP transaction: the code of each RCPT, then of DATA (None when no RCPT passed)."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=30)
    async with client:
        await client.ehlo()
        await client.mail(mail_from)
        codes: list[int] = []
        for address in rcpt:
            try:
                codes.append((await client.rcpt(address)).code)
            except aiosmtplib.SMTPRecipientRefused as exc:
                codes.append(exc.code)
        if not any(200 <= c < 300 for c in codes):
            await client.rset()
            return codes, None
        try:
            data = (await client.data(raw)).code
        except aiosmtplib.SMTPDataError as exc:
            data = exc.code
    return codes, data


async def email_channel(tenant: Tenant, **config: Any) -> dict[str, Any]:
    address = f"support-{uuid.uuid4().hex[:8]}@acme.test"
    return await make_channel(tenant, "email", address=address, from_name="Acme Support", **config)


async def stored(tenant: Tenant, channel: dict[str, Any]) -> list[Message]:
    async with tenant.db.transaction() as s:
        rows = await s.execute(
            select(Message)
            .where(Message.channel_id == uuid.UUID(channel["id"]))
            .order_by(Message.created_at, Message.id)
        )
        return list(rows.scalars())


async def test_rfc5322_thread_end_to_end(
    tenant: Tenant, live_server: LiveServer, settings: Settings, sandbox: Sandbox
) -> None:
    channel = await email_channel(tenant)
    inbox = channel["config"]["address"]
    ws_url = live_server.url.replace("http://", "ws://") + "/api/v1/events"
    async with connect(
        ws_url, additional_headers={"Authorization": f"Bearer {tenant.api_key}"}
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        # The first message of the RFC 5322 Appendix A.1.3 thread: a new interaction.
        codes, data = await smtp_send(
            settings.smtp_port, (RFC / "example05.eml").read_bytes(), [inbox]
        )
        assert (codes, data) == ([250], 250)
        created = await next_event(ws, lambda e: e["type"] == "message.created")
    assert created["message"]["text"] == 'This is a message just to say hello.\nSo, "Hello".'
    assert created["message"]["provider_message_id"] == "<1234@local.machine.example>"
    interaction_id = created["interaction"]["id"]

    # The reply and the reply to the reply thread by In-Reply-To / References.
    for name in ("example06.eml", "example07.eml"):
        assert await smtp_send(settings.smtp_port, (RFC / name).read_bytes(), [inbox]) == (
            [250],
            250,
        )
    messages = await stored(tenant, channel)
    assert [m.provider_message_id for m in messages] == [
        "<1234@local.machine.example>",
        "<3456@example.net>",
        "<abcd.1234@local.machine.tld>",
    ]
    assert {str(m.interaction_id) for m in messages} == {interaction_id}
    assert all(m.role == "customer" and m.delivery_status == "received" for m in messages)
    assert await event_types(tenant, uuid.UUID(interaction_id)) == [
        "new_message_received",
        "response_received",
        "response_received",
    ]
    interaction = (await tenant.api.get(f"{API}/interactions/{interaction_id}")).json()
    assert interaction["subject"] == "Saying Hello"
    assert interaction["communication_type"] == "email"
    async with tenant.db.transaction() as s:
        contact = await s.get(Contact, uuid.UUID(interaction["contact_id"]))
        assert contact is not None and contact.name == "John Doe"

    # An agent replies: the relay receives a threaded email with the signed reply address.
    client = tenant.agent.client
    assert (await client.post(f"{API}/interactions/{interaction_id}/claim")).status_code == 200
    sent = await client.post(
        f"{API}/interactions/{interaction_id}/messages",
        json={"text": "Hello John, how can we help?"},
    )
    assert sent.status_code == 201, sent.text

    def mailed() -> list[Any]:
        return [m for env, m in sandbox.mail if inbox in str(m["From"])]

    await wait_for(lambda: bool(mailed()))
    [reply] = mailed()
    assert reply["To"] == "jdoe@machine.example"
    assert reply["From"] == f"Acme Support <{inbox}>"
    assert reply["Subject"] == "Re: Saying Hello"
    assert reply["In-Reply-To"] == "<abcd.1234@local.machine.tld>"
    assert reply["References"].split() == [
        "<1234@local.machine.example>",
        "<3456@example.net>",
        "<abcd.1234@local.machine.tld>",
    ]
    reply_id = sent.json()["id"]
    assert reply["Message-ID"] == f"<{uuid.UUID(reply_id).hex}@parley.test>"
    assert reply["Auto-Submitted"] is None  # a person wrote it
    token = threading.read_reply_address(str(reply["Reply-To"]), "parley.test")
    assert token is not None and str(token.interaction_id) == interaction_id
    assert threading.verify(settings.secret_key, tenant.org.id, token)
    assert reply.get_content().strip() == "Hello John, how can we help?"
    await wait_for_status(tenant, reply_id, "sent")
    api_reply = (await tenant.api.get(f"{API}/messages/{reply_id}")).json()
    assert api_reply["provider_message_id"] == reply["Message-ID"]

    # The customer answers from a client that drops every threading header: the reply address
    # alone threads it. Their answer naming only our Message-ID threads too.
    for headers in ({}, {"In-Reply-To": str(reply["Message-ID"])}):
        answer = _mail("jdoe@machine.example", "Thanks!", "Still waiting for my parcel.", **headers)
        to = str(reply["Reply-To"]) if not headers else inbox
        assert await smtp_send(settings.smtp_port, answer, [to]) == ([250], 250)
    messages = await stored(tenant, channel)
    customer = [m for m in messages if m.role == "customer"]
    assert len(customer) == 5
    assert {str(m.interaction_id) for m in messages} == {interaction_id}


def _mail(sender: str, subject: str, text: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@acme.test"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@client.example>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


async def test_unknown_and_forged_recipients_are_refused_and_change_nothing(
    tenant: Tenant, other_tenant: Tenant, settings: Settings
) -> None:
    channel = await email_channel(tenant)
    inbox = channel["config"]["address"]
    interaction = await tenant.create_interaction(communication_type="email")
    real = threading.reply_address(
        settings.secret_key, "parley.test", tenant.org.id, uuid.UUID(interaction["id"])
    )
    # Same interaction id, tag made with another organization's key: a forgery.
    forged = threading.reply_address(
        settings.secret_key, "parley.test", other_tenant.org.id, uuid.UUID(interaction["id"])
    )
    wrong_case = real.upper()
    raw = _mail("mallory@example.com", "Hi", "Let me in")
    port = settings.smtp_port
    assert await smtp_send(port, raw, ["nobody@acme.test"]) == ([550], None)
    assert await smtp_send(port, raw, [forged]) == ([550], None)
    assert await smtp_send(port, raw, [f"reply+garbage@{settings.email_domain}"]) == ([550], None)
    assert await stored(tenant, channel) == []
    # Mixed: the unknown recipient is refused, the real one still gets the mail, once.
    codes, data = await smtp_send(port, raw, ["nobody@acme.test", forged, inbox, wrong_case])
    assert (codes, data) == ([550, 550, 250, 250], 250)
    [message] = await stored(tenant, channel)
    assert str(message.interaction_id) == interaction["id"]  # the (case-folded) token threads


async def test_attachments_html_and_charsets_are_stored(
    tenant: Tenant, settings: Settings, http: httpx.AsyncClient
) -> None:
    channel = await email_channel(tenant)
    inbox = channel["config"]["address"]
    files = {
        "imap_tools/attachment_emails/attachment_pdf.eml": "broken.pdf",
        "imap_tools/multi_charset/japanese_iso_2022.eml": None,
        "imap_tools/multi_charset/ks_c_5601-1987.eml": None,
        "imap_tools/base.eml": "collector.jpg",
    }
    for name in files:
        assert await smtp_send(settings.smtp_port, (DATA / name).read_bytes(), [inbox]) == (
            [250],
            250,
        )
    by_subject = {m.meta["data"]["subject"]: m for m in await stored(tenant, channel)}
    pdf = by_subject["Another PDF with \U0001f389 Unicode chars in it \U0001f37f"]
    [attachment] = pdf.attachments
    assert (attachment["filename"], attachment["content_type"], attachment["size"]) == (
        "broken.pdf",
        "application/pdf",
        1026,
    )
    async with tenant.db.transaction() as s:
        blob = await s.get(StoredFile, uuid.UUID(attachment["storage_key"]))
        assert blob is not None and blob.organization_id == tenant.org.id
        assert blob.data.startswith(b"%PDF")
    assert by_subject["まみむめも"].text == "すみません。"
    assert by_subject["test"].text == "스티해"
    html = by_subject["Соберите всю почту в этот ящик"].html
    assert html is not None and "<script" not in html and "Яндекс" in html
