"""Meta webhook authenticity: the real signature vector, the raw-body rule, the handshake."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from parley.channels.meta.signature import is_valid, sign
from tests.factories import Tenant
from tests.providers.meta import DATA, make_channel, signature, stored

VECTOR: dict[str, Any] = json.loads((DATA / "whatsapp_cloud/signature_vector.json").read_text())
RAW = VECTOR["raw_body"].encode()


def _flip(raw: bytes, at: int) -> bytes:
    return raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :]


def test_the_recorded_vector_validates() -> None:
    assert sign(VECTOR["app_secret"], RAW) == VECTOR["expected"]
    assert is_valid(VECTOR["app_secret"], RAW, VECTOR["expected"])


@pytest.mark.parametrize("at", [0, 1, len(RAW) // 2, len(RAW) - 1])
def test_one_changed_byte_fails(at: int) -> None:
    assert not is_valid(VECTOR["app_secret"], _flip(RAW, at), VECTOR["expected"])


@pytest.mark.parametrize(
    ("secret", "header"),
    [
        (None, VECTOR["expected"]),
        ("", VECTOR["expected"]),
        (VECTOR["app_secret"], None),
        (VECTOR["app_secret"], ""),
        (VECTOR["app_secret"], VECTOR["expected"].removeprefix("sha256=")),
        (VECTOR["app_secret"], "sha1=" + VECTOR["expected"].removeprefix("sha256=")),
        ("another secret", VECTOR["expected"]),
    ],
)
def test_no_secret_or_no_signature_is_never_valid(secret: str | None, header: str | None) -> None:
    assert not is_valid(secret, RAW, header)


async def test_the_vector_is_accepted_over_http_and_tampering_is_not(tenant: Tenant) -> None:
    channel = await make_channel(tenant, "whatsapp", app_secret=VECTOR["app_secret"])
    headers = {"X-Hub-Signature-256": VECTOR["expected"], "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=channel.base_url) as client:
        tampered = await client.post(channel.hook, content=_flip(RAW, 200), headers=headers)
        assert tampered.status_code == 403
        assert tampered.json()["error"]["code"] == "forbidden"
        # The same JSON re-serialized (different spacing) is not what Meta signed.
        reformatted = json.dumps(json.loads(RAW), indent=1).encode()
        assert (
            await client.post(channel.hook, content=reformatted, headers=headers)
        ).status_code == 403
        missing = await client.post(channel.hook, content=RAW)
        assert missing.status_code == 403
        assert await stored(tenant, channel) == []
        accepted = await client.post(channel.hook, content=RAW, headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"received": 1, "ignored": 0}
    [message] = await stored(tenant, channel)
    assert message.text == "Hey there! I am using PyWa."
    assert message.provider_message_id.startswith("wamid.HBgMOTcy")  # type: ignore[union-attr]
    assert message.author_name == "PyWa Tests"


async def test_a_signature_made_with_another_secret_is_refused(tenant: Tenant) -> None:
    channel = await make_channel(tenant, "whatsapp")
    response = await channel.deliver(RAW, sign_with="not-the-app-secret")
    assert response.status_code == 403
    assert await stored(tenant, channel) == []


async def test_a_channel_without_an_app_secret_accepts_nothing(tenant: Tenant) -> None:
    channel = await make_channel(tenant, "whatsapp")
    response = await tenant.api.patch(
        f"/api/v1/channels/{channel.id}", json={"secrets": {"app_secret": ""}}
    )
    assert response.status_code == 200
    assert (await channel.deliver(RAW, sign_with="")).status_code == 403
    assert await stored(tenant, channel) == []


async def test_signed_garbage_is_refused_without_storing(tenant: Tenant) -> None:
    channel = await make_channel(tenant, "whatsapp")
    for body in (b"not json", b"[1, 2]", b""):
        response = await channel.deliver(body)
        assert response.status_code == 422, body
    assert await stored(tenant, channel) == []


async def test_unknown_inactive_and_other_kind_channels_are_404(
    tenant: Tenant, http: httpx.AsyncClient
) -> None:
    headers = {"X-Hub-Signature-256": VECTOR["expected"]}
    assert (
        await http.post("/hooks/meta/not-a-uuid", content=RAW, headers=headers)
    ).status_code == 404
    unknown = "/hooks/meta/01a1fb4c-e70f-7fcf-90c4-446b2ae79b62"
    assert (await http.post(unknown, content=RAW, headers=headers)).status_code == 404
    sms = await tenant.api.post("/api/v1/channels", json={"kind": "sms", "name": "Texts"})
    sms_hook = f"/hooks/meta/{sms.json()['id']}"
    assert (await http.post(sms_hook, content=RAW, headers=headers)).status_code == 404
    channel = await make_channel(tenant, "whatsapp", app_secret=VECTOR["app_secret"])
    await tenant.api.patch(f"/api/v1/channels/{channel.id}", json={"is_active": False})
    assert (await http.post(channel.hook, content=RAW, headers=headers)).status_code == 404


@pytest.mark.parametrize("kind", ["whatsapp", "messenger", "instagram"])
async def test_the_subscription_handshake(
    tenant: Tenant, http: httpx.AsyncClient, kind: str
) -> None:
    channel = await make_channel(tenant, kind)
    good = {
        "hub.mode": "subscribe",
        "hub.verify_token": channel.verify_token,
        "hub.challenge": "1158201444",
    }
    answer = await http.get(channel.hook, params=good)
    assert answer.status_code == 200
    assert answer.text == "1158201444"
    assert answer.headers["content-type"].startswith("text/plain")
    for wrong in (
        {**good, "hub.verify_token": channel.verify_token + "x"},
        {**good, "hub.verify_token": ""},
        {**good, "hub.mode": "unsubscribe"},
        {"hub.challenge": "1158201444"},
    ):
        refused = await http.get(channel.hook, params=wrong)
        assert refused.status_code == 403, wrong
        assert "1158201444" not in refused.text


async def test_signature_is_checked_per_channel(tenant: Tenant, other_tenant: Tenant) -> None:
    """A body signed for one organization's channel is refused by another's."""
    mine = await make_channel(tenant, "whatsapp")
    theirs = await make_channel(other_tenant, "whatsapp")
    raw = signature(mine.app_secret, RAW)
    async with httpx.AsyncClient(base_url=theirs.base_url) as client:
        response = await client.post(theirs.hook, content=RAW, headers={"X-Hub-Signature-256": raw})
    assert response.status_code == 403
    assert await stored(other_tenant, theirs) == []
