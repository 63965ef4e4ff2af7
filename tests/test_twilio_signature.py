"""X-Twilio-Signature: Twilio's official vectors, and forged or unsigned webhooks store nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from parley.channels.twilio.signature import compute_signature, is_valid, url_variants
from parley.models import Interaction, Message
from parley.models.enums import ChannelKind
from tests.conftest import LiveServer
from tests.factories import Tenant
from tests.providers.twilio import TwilioNumber, new_number, new_sid, sign, twilio_number

SAMPLES: dict[str, Any] = json.loads(
    (
        Path(__file__).resolve().parents[2] / "shared/data/webhooks/twilio/twilio_samples.json"
    ).read_text()
)
VECTORS: list[dict[str, Any]] = SAMPLES["signature_vectors"]


def _params(vector: dict[str, Any]) -> list[tuple[str, str]]:
    if "params_multi" in vector:
        return [(k, v) for k, v in vector["params_multi"]]
    params = vector.get("params")
    if params is None:
        return []
    if isinstance(params, str):  # "same as #1"
        params = VECTORS[0]["params"]
    return list(params.items())


def _body(vector: dict[str, Any]) -> bytes:
    return str(vector.get("json_body", "")).encode()


@pytest.mark.parametrize("vector", VECTORS, ids=[f"vector{i + 1}" for i in range(len(VECTORS))])
def test_every_official_vector_validates(vector: dict[str, Any]) -> None:
    expected = vector["expected_X-Twilio-Signature"]
    assert is_valid(vector["auth_token"], vector["url"], _params(vector), expected, _body(vector))


@pytest.mark.parametrize("vector", VECTORS, ids=[f"vector{i + 1}" for i in range(len(VECTORS))])
def test_every_official_vector_rejects_tampering(vector: dict[str, Any]) -> None:
    token, url, params = vector["auth_token"], vector["url"], _params(vector)
    expected, body = vector["expected_X-Twilio-Signature"], _body(vector)
    assert not is_valid("54321", url, params, expected, body)
    assert not is_valid(token, url.replace("foo=1", "foo=2"), params, expected, body)
    assert not is_valid(token, url, params, "", body)
    if params:
        changed = [(k, v + "0") if i == 0 else (k, v) for i, (k, v) in enumerate(params)]
        assert not is_valid(token, url, changed, expected, body)
        assert not is_valid(token, url, [*params, ("Extra", "1")], expected, body)
    else:  # a JSON body must match its bodySHA256
        assert not is_valid(token, url, params, expected, body.replace(b"true", b"false"))


def test_the_signed_string_is_url_then_sorted_distinct_pairs() -> None:
    first = VECTORS[0]
    assert (
        compute_signature(first["auth_token"], first["url"], _params(first))
        == (first["expected_X-Twilio-Signature"])
    )
    # The test-side signer (written separately) agrees with the official vectors too.
    assert (
        sign(first["auth_token"], first["url"], _params(first))
        == (first["expected_X-Twilio-Signature"])
    )
    multi = VECTORS[1]
    assert (
        sign(multi["auth_token"], multi["url"], _params(multi))
        == (multi["expected_X-Twilio-Signature"])
    )


def test_url_variants_follow_twilio() -> None:
    assert url_variants("https://a.example/x?y=1") == (
        "https://a.example/x?y=1",
        "https://a.example:443/x?y=1",
    )
    assert url_variants("http://a.example:8080/x") == (
        "http://a.example/x",
        "http://a.example:8080/x",
    )


# --- against the live server ------------------------------------------------------------------


def _sms(line: TwilioNumber, sid: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": line.account_sid,
        "From": new_number(),
        "To": line.number,
        "Body": "Is this really Twilio?",
        "NumMedia": "0",
    }


async def _stored(tenant: Tenant, line: TwilioNumber) -> tuple[int, int]:
    async with tenant.db.transaction() as s:
        messages = await s.scalar(
            select(func.count()).select_from(Message).where(Message.channel_id == line.channel.id)
        )
        interactions = await s.scalar(
            select(func.count())
            .select_from(Interaction)
            .where(Interaction.channel_id == line.channel.id)
        )
    return messages or 0, interactions or 0


async def test_forged_or_unsigned_webhooks_are_403_and_store_nothing(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    line = await twilio_number(tenant, live_server.url)
    params = _sms(line, new_sid("SM"))
    url = line.url("messages")
    attempts = [
        await line.post(http, "messages", params, signature=""),  # missing
        await line.post(http, "messages", params, signature="Zm9yZ2VkIHNpZ25hdHVyZQ=="),
        await line.post(
            http, "messages", params, signature=sign("wrong-token", url, [*params.items()])
        ),
        # Signed for another URL (another channel's, say).
        await line.post(http, "messages", params, signature=sign(line.auth_token, url + "x", [])),
        # Signed, then the body was changed on the way.
        await line.post(
            http,
            "messages",
            {**params, "Body": "Send the refund to me"},
            signature=sign(line.auth_token, url, list(params.items())),
        ),
        await line.post(
            http, "status", {"MessageSid": "SM1", "MessageStatus": "read"}, signature=""
        ),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert attempts[0].json()["error"]["code"] == "forbidden"
    assert await _stored(tenant, line) == (0, 0)
    # The genuine article is accepted.
    genuine = await line.post(http, "messages", params)
    assert genuine.status_code == 200, genuine.text
    assert await _stored(tenant, line) == (1, 1)


async def test_voice_webhooks_are_signed_too(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    line = await twilio_number(tenant, live_server.url, ChannelKind.voice)
    call = {"CallSid": new_sid("CA"), "From": new_number(), "To": line.number}
    for endpoint in ("voice", "recorded", "voicemail", "call-status"):
        r = await line.post(http, endpoint, {**call, "CallStatus": "completed"}, signature="x")
        assert r.status_code == 403, endpoint
    assert await _stored(tenant, line) == (0, 0)


async def test_unknown_or_other_kind_channel_is_404(
    tenant: Tenant, live_server: LiveServer, http: httpx.AsyncClient
) -> None:
    sms = await twilio_number(tenant, live_server.url)
    voice = await twilio_number(tenant, live_server.url, ChannelKind.voice)
    call = {"CallSid": new_sid("CA"), "From": new_number(), "CallStatus": "ringing"}
    # A voice endpoint on an SMS channel and a message endpoint on a voice channel.
    assert (await sms.post(http, "voice", call)).status_code == 404
    assert (await voice.post(http, "messages", _sms(voice, new_sid("SM")))).status_code == 404
    unknown = f"{live_server.url}/hooks/twilio/00000000-0000-0000-0000-000000000000/messages"
    assert (await http.post(unknown, data={"Body": "x"})).status_code == 404
    assert (await http.post(f"{live_server.url}/hooks/twilio/nope/messages")).status_code == 404
