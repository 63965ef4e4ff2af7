"""Sending through Twilio's Messages API: refusals fail the message, outages are retried."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from parley import clock
from parley.channels.base import Delivery, PermanentFailure, SendResult, TemporaryFailure
from parley.channels.twilio import senders
from parley.channels.twilio.outbound import TwilioSender, retry_after
from parley.config import Settings
from parley.models import Channel, Contact, ContactIdentity, Interaction, Job, Message
from parley.models.enums import ChannelKind, IdentityKind
from tests.conftest import LiveServer
from tests.factories import Tenant
from tests.providers import Sandbox
from tests.providers.twilio import error, new_number, new_sid, state, twilio_number
from tests.test_twilio_messaging import agent_reply, delivery, messages_on, sms, until

# --- through the live server and the job runner -----------------------------------------------


async def _conversation(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> tuple[str, str]:
    """A customer texts a new number; returns (customer number, interaction id)."""
    line = await twilio_number(tenant, live_server.url)
    customer = new_number()
    r = await line.post(http, "messages", sms(line, customer, "Can you call me back?"))
    assert r.status_code == 200, r.text
    [inbound] = await messages_on(tenant, line)
    return customer, str(inbound.interaction_id)


async def _error_of(tenant: Tenant, message_id: str) -> str:
    async with tenant.db.transaction() as s:
        message = await s.get(Message, uuid.UUID(message_id))
        assert message is not None
        return str(message.meta.get("delivery_error"))


async def _job(tenant: Tenant, message_id: str) -> Job:
    async with tenant.db.transaction() as s:
        stmt = select(Job).where(Job.dedupe_key == f"deliver:{message_id}")
        job = (await s.execute(stmt)).scalar_one()
        s.expunge(job)
        return job


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (21211, "Twilio error 21211: The 'To' number {to} is not a valid phone number."),
        (21610, "Twilio error 21610: Attempt to send to unsubscribed recipient"),
    ],
)
async def test_refusal_fails_the_message_with_twilios_reason(
    tenant: Tenant,
    live_server: LiveServer,
    http: httpx.AsyncClient,
    sandbox: Sandbox,
    code: int,
    reason: str,
) -> None:
    customer, interaction_id = await _conversation(tenant, live_server, http)
    sandbox.script[f"twilio:{customer}"].append(error(code, to=customer))
    reply = await agent_reply(tenant, interaction_id, "Calling you now")
    failed = await delivery(tenant, reply["id"], "failed")
    assert failed["provider_message_id"] is None
    assert await _error_of(tenant, reply["id"]) == reason.format(to=customer)
    job = await _job(tenant, reply["id"])
    assert job.attempts == 1 and job.finished_at is not None  # not retried


async def test_server_error_is_retried_until_sent(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    customer, interaction_id = await _conversation(tenant, live_server, http)
    sandbox.script[f"twilio:{customer}"].append((500, None, {}))
    reply = await agent_reply(tenant, interaction_id, "Calling you now")

    async def rescheduled() -> Job | None:
        job = await _job(tenant, reply["id"])
        return job if job.last_error else None

    job = await until(rescheduled)
    assert job.attempts == 1 and job.finished_at is None
    assert "Twilio error 20500" in (job.last_error or "")
    assert job.run_at > clock.now() + timedelta(seconds=2)  # SCHEDULE[1] is 5 s
    pending = (await tenant.api.get(f"/api/v1/messages/{reply['id']}")).json()
    assert pending["delivery_status"] == "pending"
    # The runner tries again after 5 s; Twilio accepts it this time.
    sent = await delivery(tenant, reply["id"], "sent", within=20)
    [resource] = state(sandbox).sent_to(customer)
    assert sent["provider_message_id"] == resource["sid"]
    assert len([c for c in sandbox.calls["twilio"] if c.form.get("To") == [customer]]) == 2


async def test_rate_limit_honours_retry_after(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    customer, interaction_id = await _conversation(tenant, live_server, http)
    sandbox.script[f"twilio:{customer}"].append((429, None, {"Retry-After": "120"}))
    before = clock.now()
    reply = await agent_reply(tenant, interaction_id, "Calling you now")

    async def rescheduled() -> Job | None:
        job = await _job(tenant, reply["id"])
        return job if job.last_error else None

    job = await until(rescheduled)
    assert "Twilio error 20429: Too Many Requests" in (job.last_error or "")
    assert job.attempts == 1 and job.finished_at is None
    assert job.run_at >= before + timedelta(seconds=119)


# --- the sender alone, against the sandbox --------------------------------------------------


def _delivery(
    settings: Settings,
    *,
    kind: ChannelKind = ChannelKind.sms,
    config: dict[str, Any] | None = None,
    phone: str | None = "+447700900123",
    identities: list[ContactIdentity] | None = None,
    last_from: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> Delivery:
    sid = new_sid("AC")
    channel = Channel(
        id=uuid.uuid4(),
        organization_id=uuid.uuid4(),
        kind=kind,
        name="Twilio",
        config=config if config is not None else {"number": "+15005550006"},
        secrets={"account_sid": sid, "auth_token": "token-" + sid},
    )
    message = Message(text="Your order has shipped", attachments=attachments or [], meta={})
    last = None
    if last_from is not None:
        last = Message(text="hi", attachments=[], meta={"data": {"from": last_from}})
    return Delivery(
        channel=channel,
        interaction=Interaction(),
        message=message,
        contact=Contact(phone=phone),
        identities=identities or [],
        last_inbound=last,
        settings=settings,
    )


def _settings(sandbox: Sandbox, **kw: Any) -> Settings:
    return Settings(twilio_api_url=f"{sandbox.url}/twilio", **kw)


def test_senders_cover_sms_and_whatsapp() -> None:
    assert set(senders(Settings())) == {ChannelKind.sms, ChannelKind.whatsapp}


async def test_whatsapp_sender_prefixes_both_numbers(sandbox: Sandbox) -> None:
    settings = _settings(sandbox, public_url="https://parley.example.com")
    customer = new_number()
    job = _delivery(
        settings,
        kind=ChannelKind.whatsapp,
        phone=None,
        identities=[ContactIdentity(kind=IdentityKind.whatsapp, value=customer)],
        attachments=[{"filename": "a.png", "url": "https://files.example/a.png"}],
    )
    result = await TwilioSender(settings, whatsapp=True).send(job)
    [resource] = state(sandbox).sent_to(f"whatsapp:{customer}")
    assert result == SendResult(provider_message_id=resource["sid"])
    assert resource["from"] == "whatsapp:+15005550006"
    [call] = [c for c in sandbox.calls["twilio"] if c.form["To"] == [f"whatsapp:{customer}"]]
    assert call.form["MediaUrl"] == ["https://files.example/a.png"]
    assert call.form["StatusCallback"] == [
        f"https://parley.example.com/hooks/twilio/{job.channel.id}/status"
    ]


async def test_reply_goes_to_the_number_the_customer_wrote_from(sandbox: Sandbox) -> None:
    settings = _settings(sandbox)
    other = new_number()
    job = _delivery(settings, config={"messaging_service_sid": "MG123"}, last_from=other)
    await TwilioSender(settings, whatsapp=False).send(job)
    [call] = [c for c in sandbox.calls["twilio"] if c.form["To"] == [other]]
    assert call.form["MessagingServiceSid"] == ["MG123"] and "From" not in call.form
    assert "StatusCallback" not in call.form


def test_no_phone_number_is_a_permanent_failure() -> None:
    job = _delivery(Settings(), phone=None, identities=[])
    with pytest.raises(PermanentFailure, match="no phone number"):
        TwilioSender(Settings(), whatsapp=False).form(job)


async def test_missing_credentials_or_number_are_permanent(sandbox: Sandbox) -> None:
    settings = _settings(sandbox)
    job = _delivery(settings, config={})
    with pytest.raises(PermanentFailure, match="no number"):
        await TwilioSender(settings, whatsapp=False).send(job)
    job.channel.secrets = {}
    with pytest.raises(PermanentFailure, match="account_sid"):
        await TwilioSender(settings, whatsapp=False).send(job)


async def test_wrong_credentials_are_permanent(sandbox: Sandbox) -> None:
    settings = _settings(sandbox)
    job = _delivery(settings)
    job.channel.secrets = {"account_sid": new_sid("AC"), "auth_token": ""}
    with pytest.raises(PermanentFailure, match="account_sid"):
        await TwilioSender(settings, whatsapp=False).send(job)
    # Basic auth whose user is not the account in the URL: Twilio's 20003.
    sandbox.script["twilio:+447700900123"].append(error(20003))
    with pytest.raises(PermanentFailure, match="20003: Authenticate"):
        await TwilioSender(settings, whatsapp=False).send(_delivery(settings))


async def test_unreachable_twilio_is_temporary() -> None:
    settings = Settings(twilio_api_url="http://127.0.0.1:9")
    with pytest.raises(TemporaryFailure, match="unreachable"):
        await TwilioSender(settings, whatsapp=False).send(_delivery(settings))


def test_retry_after_seconds_or_date() -> None:
    assert retry_after(None) is None
    assert retry_after("30") == 30
    assert retry_after("0") is None
    assert retry_after("nonsense") is None
    assert retry_after("999999") == 24 * 3600
    later = clock.now() + timedelta(minutes=2)
    found = retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert found is not None and 100 < found <= 120
