"""An agent attaches a file to a reply: stored once, readable back only through an interaction that
names it, carried by email as a real MIME attachment (to the sandbox's SMTP sink) and shown in the
widget's transcript; refused where the channel cannot carry it, and refused by content type."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from parley.config import Settings
from tests.factories import Person, Tenant
from tests.providers import Sandbox, wait_for
from tests.test_email_smtp import RFC, email_channel, smtp_send, stored
from tests.test_webchat_api import API, interaction_of, make_channel, say, start, widget

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def attach(
    who: Person, iid: str, name: str, data: bytes, *, status: int = 201, **form: str
) -> dict[str, Any]:
    r = await who.client.post(
        f"{API}/interactions/{iid}/files", files={"file": (name, data)}, data=form
    )
    assert r.status_code == status, r.text
    found: dict[str, Any] = r.json()
    return found


async def claimed(tenant: Tenant, **body: Any) -> str:
    created = await tenant.create_interaction(**body)
    r = await tenant.agent.client.post(f"{API}/interactions/{created['id']}/claim")
    assert r.status_code == 200, r.text
    return str(created["id"])


async def test_an_attached_reply_is_stored_and_read_back_by_who_may_see_it(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    iid = await claimed(tenant)
    message = await attach(tenant.agent, iid, "receipt.pdf", PDF, text="Your receipt")
    assert message["text"] == "Your receipt" and message["role"] == "agent"
    [att] = message["attachments"]
    assert (att["filename"], att["content_type"], att["size"]) == (
        "receipt.pdf",
        "application/pdf",
        len(PDF),
    )
    path = f"{API}/interactions/{iid}/files/{att['storage_key']}"
    r = await tenant.supervisor.client.get(path)
    assert r.status_code == 200 and r.content == PDF
    # Never rendered on our origin: a download, sandboxed.
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in r.headers["content-security-policy"]

    # An image is shown inline (a thumbnail in the console), still sandboxed.
    image = await attach(tenant.agent, iid, "photo.png", PNG, internal="true")
    assert image["kind"] == "note"
    img = image["attachments"][0]["storage_key"]
    r = await tenant.agent.client.get(f"{API}/interactions/{iid}/files/{img}")
    assert r.headers["content-type"] == "image/png" and r.headers["content-disposition"][:6] == (
        "inline"
    )

    # The file is reachable only through an interaction that names it.
    other = await claimed(tenant)
    r = await tenant.agent.client.get(f"{API}/interactions/{other}/files/{att['storage_key']}")
    assert r.status_code == 404
    assert (await other_tenant.admin.client.get(path)).status_code == 404
    # The first agent (queue "Support" only) cannot read a Billing interaction's files.
    billing = await tenant.create_interaction(queue_id=str(tenant.queue2.id))
    note = await attach(tenant.agent2, billing["id"], "x.pdf", PDF, internal="true")
    key = note["attachments"][0]["storage_key"]
    r = await tenant.agent.client.get(f"{API}/interactions/{billing['id']}/files/{key}")
    assert r.status_code == 404
    r = await tenant.agent2.client.get(f"{API}/interactions/{billing['id']}/files/{key}")
    assert r.status_code == 200 and r.content == PDF


async def test_bad_files_are_refused_readably(tenant: Tenant, settings: Settings) -> None:
    iid = await claimed(tenant)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    r = await attach(tenant.agent, iid, "logo.png", svg, status=422)  # the name lies
    assert r["error"]["fields"]["file"] == "unsupported type"
    r = await attach(tenant.agent, iid, "empty.txt", b"", status=422)
    assert r["error"]["fields"]["file"] == "empty"
    # Over the file limit, under the request limit: the endpoint's own check answers.
    big = b"a" * (settings.max_body_bytes - 2048)
    r = await tenant.agent.client.post(
        f"{API}/interactions/{iid}/files", files={"file": ("big.txt", big)}
    )
    assert r.status_code == 413, r.text
    # An API key is not a person.
    r = await tenant.api.post(f"{API}/interactions/{iid}/files", files={"file": ("a.pdf", PDF)})
    assert r.status_code == 403, r.text


async def test_an_sms_reply_cannot_carry_a_file_but_a_note_can(tenant: Tenant) -> None:
    channel = await make_channel(tenant, "sms", phone_number="+15005550006")
    iid = await claimed(tenant, channel_id=channel["id"])
    r = await attach(tenant.agent, iid, "photo.png", PNG, status=422)
    assert "sms" in r["error"]["message"] and "internal note" in r["error"]["message"]
    await attach(tenant.agent, iid, "photo.png", PNG, internal="true")


async def test_an_email_reply_carries_the_file_as_a_mime_attachment(
    tenant: Tenant, settings: Settings, sandbox: Sandbox
) -> None:
    channel = await email_channel(tenant)
    inbox = channel["config"]["address"]
    raw = (RFC / "example05.eml").read_bytes()
    assert await smtp_send(settings.smtp_port, raw, [inbox]) == ([250], 250)
    [first] = await stored(tenant, channel)
    iid = str(first.interaction_id)
    r = await tenant.agent.client.post(f"{API}/interactions/{iid}/claim")
    assert r.status_code == 200, r.text
    sent = await attach(tenant.agent, iid, "label.pdf", PDF, text="Here is your return label.")

    def mailed() -> list[Any]:
        return [m for _, m in sandbox.mail if inbox in str(m["From"])]

    await wait_for(lambda: bool(mailed()))
    [reply] = mailed()
    assert reply["Message-ID"] == f"<{uuid.UUID(sent['id']).hex}@parley.test>"
    [part] = list(reply.iter_attachments())
    assert part.get_filename() == "label.pdf" and part.get_content_type() == "application/pdf"
    assert part.get_content() == PDF
    assert reply.get_body(("plain",)).get_content().strip() == "Here is your return label."


async def test_a_web_chat_visitor_gets_the_agents_file_by_a_signed_url(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    channel = await make_channel(tenant)
    chat = await start(http, channel)
    r = await say(http, channel, chat, "Can you send me the manual?")
    assert r.status_code == 201, r.text
    found = await interaction_of(tenant, channel)
    r = await tenant.agent.client.post(f"{API}/interactions/{found['id']}/claim")
    assert r.status_code == 200, r.text
    await attach(tenant.agent, found["id"], "manual.pdf", PDF, text="Here it is.")
    transcript = await http.get(
        f"{widget(channel)}/chats/{chat['chat_id']}/messages",
        headers={"X-Visitor-Token": chat["visitor_token"]},
    )
    mine = [m for m in transcript.json() if m["role"] == "agent"]
    assert [m["text"] for m in mine] == ["Here it is."]
    [att] = mine[0]["attachments"]
    assert att["name"] == "manual.pdf" and att["url"].startswith(f"{widget(channel)}/files/")
    served = await http.get(att["url"])
    assert served.status_code == 200 and served.content == PDF
