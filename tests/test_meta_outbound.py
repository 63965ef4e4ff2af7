"""Outbound through the Graph API: request shapes, Meta's errors as temporary or permanent."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from parley.channels.base import Delivery, PermanentFailure, TemporaryFailure
from parley.channels.meta import senders
from parley.channels.meta.outbound import MessengerSender, WhatsAppCloudSender, refusal
from parley.config import Settings
from parley.models import Channel, ContactIdentity, Interaction, Message
from parley.models.enums import ChannelKind, IdentityKind
from tests.factories import Tenant
from tests.providers import Sandbox
from tests.providers.meta import (
    graph_error,
    make_channel,
    message_when,
    payloads,
    reply_as_agent,
    stored,
)

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _settings(sandbox: Sandbox) -> Settings:
    return Settings(meta_graph_url=f"{sandbox.url}/meta/v21.0")


def _delivery(
    kind: ChannelKind,
    sandbox: Sandbox,
    *,
    text: str = "Hello there",
    config: dict[str, Any] | None = None,
    identities: list[tuple[IdentityKind, str, datetime]] | None = None,
    last_type: str | None = None,
    token: str | None = None,
) -> tuple[Delivery, str]:
    token = token if token is not None else "EAAG" + secrets.token_hex(8)
    channel = Channel(
        id=uuid.uuid4(),
        organization_id=uuid.uuid4(),
        kind=kind,
        name="test",
        config={"phone_number_id": "1122334455667"} if config is None else config,
        secrets={"access_token": token} if token else {},
    )
    wa = [(IdentityKind.whatsapp, "+972987654321", T0)]
    people = [
        ContactIdentity(kind=k, value=v, created_at=at)
        for k, v, at in (wa if identities is None else identities)
    ]
    last = None
    if last_type is not None:
        last = Message(
            channel_id=channel.id,
            provider_message_id="wamid.customer",
            meta={"data": {"whatsapp_type": last_type}},
        )
    message = Message(text=text, channel_id=channel.id, meta={})
    delivery = Delivery(channel, Interaction(), message, None, people, last, _settings(sandbox))
    return delivery, token


def _last_call(sandbox: Sandbox, token: str) -> Any:
    return [c for c in sandbox.calls["meta"] if c.headers["authorization"] == f"Bearer {token}"][-1]


def test_senders_cover_the_three_kinds() -> None:
    found = senders(Settings())
    assert set(found) == {ChannelKind.whatsapp, ChannelKind.messenger, ChannelKind.instagram}
    assert isinstance(found[ChannelKind.whatsapp], WhatsAppCloudSender)
    assert isinstance(found[ChannelKind.instagram], MessengerSender)


async def test_whatsapp_request_and_answer(sandbox: Sandbox) -> None:
    delivery, token = _delivery(ChannelKind.whatsapp, sandbox, last_type="text")
    result = await WhatsAppCloudSender(_settings(sandbox)).send(delivery)
    assert result.provider_message_id and result.provider_message_id.startswith("wamid.")
    call = _last_call(sandbox, token)
    assert call.path == "/meta/v21.0/1122334455667/messages"
    assert call.json["to"] == "972987654321"
    assert call.json["text"] == {"body": "Hello there"}
    assert call.json["context"] == {"message_id": "wamid.customer"}


@pytest.mark.parametrize(
    ("last_type", "config", "quoted"),
    [
        (None, None, False),
        ("text", None, True),
        ("image", None, True),
        ("reaction", None, False),
        ("revoke", None, False),
        ("system", None, False),
        ("text", {"phone_number_id": "1122334455667", "reply_context": False}, False),
    ],
)
async def test_whatsapp_quotes_the_last_customer_message_only_when_it_is_a_message(
    sandbox: Sandbox, last_type: str | None, config: dict[str, Any] | None, quoted: bool
) -> None:
    delivery, token = _delivery(ChannelKind.whatsapp, sandbox, last_type=last_type, config=config)
    await WhatsAppCloudSender(_settings(sandbox)).send(delivery)
    assert ("context" in _last_call(sandbox, token).json) is quoted


async def test_whatsapp_sends_to_the_newest_number(sandbox: Sandbox) -> None:
    delivery, token = _delivery(
        ChannelKind.whatsapp,
        sandbox,
        identities=[
            (IdentityKind.whatsapp, "+972987654321", T0),
            (IdentityKind.whatsapp, "+972912345678", T0 + timedelta(days=1)),
            (IdentityKind.phone, "+447700900123", T0 + timedelta(days=2)),
        ],
    )
    await WhatsAppCloudSender(_settings(sandbox)).send(delivery)
    assert _last_call(sandbox, token).json["to"] == "972912345678"


@pytest.mark.parametrize("kind", [ChannelKind.messenger, ChannelKind.instagram])
async def test_messenger_and_instagram_request_and_answer(
    sandbox: Sandbox, kind: ChannelKind
) -> None:
    identity = IdentityKind(kind.value)
    delivery, token = _delivery(kind, sandbox, identities=[(identity, "PSID-1", T0)], config={})
    result = await MessengerSender(_settings(sandbox), kind).send(delivery)
    assert result.provider_message_id and result.provider_message_id.startswith("m_")
    call = _last_call(sandbox, token)
    assert call.path == "/meta/v21.0/me/messages"
    assert call.json == {
        "recipient": {"id": "PSID-1"},
        "message": {"text": "Hello there"},
        "messaging_type": "RESPONSE",
    }


@pytest.mark.parametrize(
    ("kind", "changes", "reason"),
    [
        (ChannelKind.whatsapp, {"config": {}}, "no phone_number_id"),
        (ChannelKind.whatsapp, {"token": ""}, "no access_token"),
        (ChannelKind.whatsapp, {"identities": []}, "no whatsapp identity"),
        (ChannelKind.whatsapp, {"text": "x" * 4097}, "at most 4096 characters"),
        (ChannelKind.messenger, {"text": "x" * 2001}, "at most 2000 characters"),
        (ChannelKind.instagram, {"identities": []}, "no instagram identity"),
    ],
)
async def test_what_cannot_be_sent_fails_before_calling_meta(
    sandbox: Sandbox, kind: ChannelKind, changes: dict[str, Any], reason: str
) -> None:
    if kind != ChannelKind.whatsapp and "identities" not in changes:
        changes = {**changes, "identities": [(IdentityKind(kind.value), "PSID-1", T0)]}
    delivery, token = _delivery(kind, sandbox, **changes)
    sender = senders(_settings(sandbox))[kind]
    with pytest.raises(PermanentFailure, match=reason):
        await sender.send(delivery)
    assert not [c for c in sandbox.calls["meta"] if token and token in str(c.headers)]


ERRORS = [
    (400, graph_error(131047, "Re-engagement message"), PermanentFailure, "24 hours"),
    (400, graph_error(131026, "Message undeliverable"), PermanentFailure, "undeliverable"),
    (400, graph_error(100, "Invalid parameter"), PermanentFailure, "invalid parameter"),
    (401, graph_error(190, "Error validating access token"), PermanentFailure, "access token"),
    (
        400,
        graph_error(10, "Outside of allowed window", subcode=2018278),
        PermanentFailure,
        "24-hour messaging window",
    ),
    (400, graph_error(131999, "Something new"), PermanentFailure, "Something new"),
    (429, graph_error(4, "Application request limit reached"), TemporaryFailure, "rate limited"),
    (400, graph_error(80007, "Rate limit issues"), TemporaryFailure, "rate limited"),
    (400, graph_error(130429, "Rate limit hit"), TemporaryFailure, "rate limited"),
    (400, graph_error(131056, "Pair rate limit hit"), TemporaryFailure, "rate limited"),
    (500, graph_error(2, "Service temporarily unavailable"), TemporaryFailure, "temporarily"),
    (500, graph_error(131000, "Something went wrong"), TemporaryFailure, "went wrong"),
    (502, "<html>Bad gateway</html>", TemporaryFailure, "HTTP 502"),
    (200, {"messaging_product": "whatsapp"}, TemporaryFailure, "no message id"),
]


@pytest.mark.parametrize(("status", "body", "kind", "reason"), ERRORS)
async def test_meta_errors_through_the_sender(
    sandbox: Sandbox, status: int, body: Any, kind: type[Exception], reason: str
) -> None:
    delivery, token = _delivery(ChannelKind.whatsapp, sandbox)
    sandbox.script[f"meta:{token}"].append((status, body, {}))
    with pytest.raises(kind, match=reason) as raised:
        await WhatsAppCloudSender(_settings(sandbox)).send(delivery)
    if isinstance(body, dict) and "error" in body:
        assert body["error"]["fbtrace_id"] in str(raised.value)


def test_retry_after_is_honoured() -> None:
    failure = refusal(429, graph_error(4, "Too many calls"), "30")
    assert isinstance(failure, TemporaryFailure) and failure.retry_after_s == 30


async def test_a_slow_meta_is_a_temporary_failure(sandbox: Sandbox) -> None:
    delivery, token = _delivery(ChannelKind.whatsapp, sandbox)
    sandbox.script[f"meta:{token}"].append((200, {}, {"x-sandbox-delay": "1.5"}))
    sender = WhatsAppCloudSender(_settings(sandbox), timeout=httpx.Timeout(0.3))
    with pytest.raises(TemporaryFailure, match="did not answer in time"):
        await sender.send(delivery)


async def test_an_unreachable_meta_is_a_temporary_failure(sandbox: Sandbox) -> None:
    delivery, _ = _delivery(ChannelKind.whatsapp, sandbox)
    sender = WhatsAppCloudSender(Settings(meta_graph_url="http://127.0.0.1:9/meta/v21.0"))
    with pytest.raises(TemporaryFailure, match="could not reach Meta"):
        await sender.send(delivery)


# --- through the job runner, on both databases ----------------------------------------------------


async def _conversation(tenant: Tenant) -> tuple[Any, Any]:
    channel = await make_channel(tenant, "whatsapp")
    await channel.deliver(payloads("whatsapp_cloud/message.json")["text"])
    [inbound] = await stored(tenant, channel)
    return channel, inbound.interaction_id


async def test_a_temporary_failure_is_retried_until_sent(tenant: Tenant, sandbox: Sandbox) -> None:
    channel, iid = await _conversation(tenant)
    channel.script(sandbox, 503, graph_error(2, "Service temporarily unavailable"))
    reply = await reply_as_agent(tenant, iid, "Sorry for the wait")
    sent = await message_when(tenant, iid, reply["id"], "sent", within=30)
    assert len(channel.calls(sandbox)) == 2
    assert sent["provider_message_id"].startswith("wamid.")


async def test_a_permanent_failure_marks_the_message_failed_with_the_reason(
    tenant: Tenant, sandbox: Sandbox
) -> None:
    channel, iid = await _conversation(tenant)
    channel.script(sandbox, 400, graph_error(131047, "Re-engagement message"))
    reply = await reply_as_agent(tenant, iid, "Are you still there?")
    await message_when(tenant, iid, reply["id"], "failed")
    assert len(channel.calls(sandbox)) == 1
    [failed] = [m for m in await stored(tenant, channel) if str(m.id) == reply["id"]]
    assert "re-engagement window expired" in failed.meta["delivery_error"]
