"""Email durability and automation: replays stored once, every real file accepted, auto-replies
and bounces recorded but never answered, and no 250 without a commit."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from parley.channels.email.inbound import provider_id
from parley.channels.email.parse import parse
from parley.config import Settings
from parley.models import FlowRun, Message
from tests.conftest import LiveServer, settings_for
from tests.factories import Tenant
from tests.providers import Sandbox, wait_for
from tests.test_database_down import DEAD_PG
from tests.test_email_smtp import DATA, _mail, email_channel, smtp_send, stored
from tests.test_forms_api import wait_for_status
from tests.test_webchat_api import API

SKIP = {".json", ".md", ".csv", ".txt"}


def every_file() -> list[Path]:
    return sorted(
        p
        for p in DATA.rglob("*")
        if p.is_file() and p.suffix not in SKIP and not p.name.startswith(("LICENSE", "NOTICE"))
    )


async def test_replays_concurrent_and_out_of_order_are_stored_once(
    tenant: Tenant, settings: Settings
) -> None:
    channel = await email_channel(tenant)
    inbox = channel["config"]["address"]
    names = [
        "imap_tools/rfc2822/example05.eml",
        "imap_tools/rfc2822/example06.eml",
        "imap_tools/rfc2822/example07.eml",
        "imap_tools/multi_charset/japanese.eml",  # no Message-ID: deduplicated by its digest
        "chatwoot/references.eml",
        "imap_tools/attachment_emails/attachment_pdf.eml",
    ]
    rng = random.Random(5322)
    sends = [name for name in names for _ in range(rng.randint(1, 5))]
    rng.shuffle(sends)
    results = await asyncio.gather(
        *(smtp_send(settings.smtp_port, (DATA / n).read_bytes(), [inbox]) for n in sends)
    )
    assert all(r == ([250], 250) for r in results), results
    messages = await stored(tenant, channel)
    expected = {provider_id(parse((DATA / n).read_bytes())) for n in names}
    assert Counter(m.provider_message_id for m in messages) == dict.fromkeys(expected, 1)
    # Attachments of the duplicates were not kept: one PDF for the one stored message.
    async with tenant.db.transaction() as s:
        rows = await s.execute(select(Message).where(Message.organization_id == tenant.org.id))
        pdfs = [a for m in rows.scalars() for a in m.attachments if a["filename"] == "broken.pdf"]
    assert len(pdfs) == 1


async def test_every_file_in_the_corpus_is_accepted_and_stored(
    tenant: Tenant, settings: Settings
) -> None:
    channel = await email_channel(tenant)
    inbox = channel["config"]["address"]
    files = every_file()
    assert len(files) > 130
    for path in files:
        raw = path.read_bytes()
        assert await smtp_send(settings.smtp_port, raw, [inbox]) == ([250], 250), path
    messages = await stored(tenant, channel)
    expected = {provider_id(parse(p.read_bytes())) for p in files}
    assert {m.provider_message_id for m in messages} == expected
    assert len(messages) == len(expected)
    # Nothing silently dropped: an Outlook .msg (not MIME at all) is kept whole.
    outlook = provider_id(parse((DATA / "mail_parser/mail_outlook_1").read_bytes()))
    [kept] = [m for m in messages if m.provider_message_id == outlook]
    assert [a["filename"] for a in kept.attachments] == ["original.eml"]


ACKNOWLEDGE = """\
name: Acknowledge email
event: new_message_received
steps:
  - create_interaction: {}
  - attach_message: true
  - reply: {text: "Thanks, we have your message."}
"""


async def test_auto_replies_and_bounces_are_recorded_but_never_answered(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> None:
    saved = await tenant.api.post(f"{API}/flows", json={"source": ACKNOWLEDGE})
    assert saved.status_code == 201, saved.text
    channel = await email_channel(tenant)
    inbox = channel["config"]["address"]
    port = settings.smtp_port

    # A person's email is acknowledged, and the acknowledgement says it is automatic.
    person = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    assert await smtp_send(port, _mail(person, "Order", "Where is it?"), [inbox]) == ([250], 250)

    def to(address: str) -> list[EmailMessage]:
        return [m for env, m in sandbox.mail if address in env.rcpt_tos]

    await wait_for(lambda: bool(to(person)))
    [ack] = to(person)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack.get_content().strip() == "Thanks, we have your message."

    # An out-of-office (Auto-Submitted, Precedence: bulk) and a DSN (multipart/report, null
    # return path): stored, flagged, and the flow's reply is skipped.
    auto = (DATA / "chatwoot/non_utf_encoded_mail.eml").read_bytes()
    bounce = (DATA / "imap_tools/multipart_report_emails/report_530.eml").read_bytes()
    assert await smtp_send(port, auto, [inbox]) == ([250], 250)
    assert await smtp_send(port, bounce, [inbox], mail_from="") == ([250], 250)
    messages = {m.provider_message_id: m for m in await stored(tenant, channel)}
    auto_msg = messages[parse(auto).message_id]
    bounce_msg = messages[parse(bounce).message_id]
    assert auto_msg.role == "customer" and auto_msg.meta["data"]["automated"] is True
    assert auto_msg.meta["data"]["auto_submitted"] == "auto-submitted: auto-replied"
    assert auto_msg.text.startswith("أنظروا")
    assert bounce_msg.role == "system" and bounce_msg.meta["data"]["bounce"] is True
    async with tenant.db.transaction() as s:
        runs = await s.execute(
            select(FlowRun).where(FlowRun.message_id.in_([auto_msg.id, bounce_msg.id]))
        )
        notes = [run.trace["notes"] for run in runs.scalars()]
    assert notes == [["the sender is automated; flow replies skipped"]] * 2
    await asyncio.sleep(1.0)  # give a (wrong) reply time to reach the relay
    assert to("example@gmail.com") == []
    assert to("mailer-daemon@tttttt.com.au") == []
    everything = await stored(tenant, channel)
    [acknowledged] = [m for m in everything if m.meta.get("data", {}).get("from") == person]
    answered = {m.interaction_id for m in everything if m.role == "assistant"}
    assert answered == {acknowledged.interaction_id}


async def test_a_bounce_of_our_reply_marks_it_failed(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> None:
    channel = await email_channel(tenant)
    inbox = channel["config"]["address"]
    customer = f"gone-{uuid.uuid4().hex[:8]}@example.com"
    assert await smtp_send(settings.smtp_port, _mail(customer, "Hi", "Hello"), [inbox]) == (
        [250],
        250,
    )
    [first] = await stored(tenant, channel)
    base = f"{API}/interactions/{first.interaction_id}"
    assert (await tenant.agent.client.post(f"{base}/claim")).status_code == 200
    sent = await tenant.agent.client.post(f"{base}/messages", json={"text": "Hello back"})
    await wait_for_status(tenant, sent.json()["id"], "sent")
    ours = (await tenant.api.get(f"{API}/messages/{sent.json()['id']}")).json()
    # A DSN built the way Postfix writes one, returning our message's headers.
    dsn = (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: " + inbox + "\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.example.com>\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        ' boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nI could not deliver it.\r\n'
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com"
        f"\r\n\r\nFinal-Recipient: rfc822; {customer}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {inbox}\r\nMessage-ID: {ours['provider_message_id']}\r\n--B--\r\n"
    ).encode()
    assert await smtp_send(settings.smtp_port, dsn, [inbox], mail_from="") == ([250], 250)
    await wait_for_status(tenant, sent.json()["id"], "failed")
    notice = [m for m in await stored(tenant, channel) if m.role == "system"]
    assert [m.interaction_id for m in notice] == [first.interaction_id]  # threaded to the reply


@pytest.fixture(scope="module")
def dead_database() -> Iterator[Settings]:
    settings = settings_for(DEAD_PG)
    server = LiveServer(settings)
    server.start()
    yield settings
    server.stop()


async def test_a_database_failure_answers_451_never_250(dead_database: Settings) -> None:
    raw = (DATA / "imap_tools/rfc2822/example05.eml").read_bytes()
    port = dead_database.smtp_port
    assert await smtp_send(port, raw, ["support@acme.test"]) == ([451], None)
