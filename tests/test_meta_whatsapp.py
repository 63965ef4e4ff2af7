"""WhatsApp Cloud API webhooks, one test per recorded shape: what is stored for each.

Every payload is the recorded body from ``shared/data/webhooks/whatsapp_cloud``, re-signed with the
test channel's app secret. Routing is by the channel id in the URL, so the payload's own
``phone_number_id`` stays as recorded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from parley.models import ContactIdentity, Interaction
from tests.factories import Tenant
from tests.providers.meta import (
    make_channel,
    payloads,
    stored,
    thread_keys,
)

WA = "whatsapp_cloud"
MEDIA_ID = "1234567890987654321"


@dataclass(frozen=True)
class Shape:
    file: str
    variant: str
    wamid: str
    text: str
    files: tuple[tuple[str, str, str], ...] = ()
    refers_to: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.file}:{self.variant}"


SHAPES = [
    Shape("message", "text", "wamid.xyzxyz", "Body Text"),
    Shape(
        "message",
        "image",
        "wamid.xyzxyz",
        "[image]",
        (("image-65463453.jpg", "image/jpeg", "whatsapp-media:65463453"),),
        data={"media": {"id": "65463453", "mime_type": "image/jpeg", "sha256": "4654+8g="}},
    ),
    Shape(
        "message",
        "media_with_url",
        "wamid.xyzxyz",
        "[image]",
        (("image-65463453.jpg", "image/jpeg", "whatsapp-media:65463453"),),
    ),
    Shape(
        "message",
        "video",
        "wamid.xyzxyz",
        "caption",
        (("video-765756756.mp4", "video/mp4", "whatsapp-media:765756756"),),
        data={"forwarded": True},
    ),
    Shape(
        "message",
        "document",
        "wamid.xyzxyz",
        "caption",
        (("filename.pdf", "application/pdf", f"whatsapp-media:{MEDIA_ID}"),),
    ),
    Shape(
        "message",
        "audio",
        "wamid.xyzxyz",
        "[audio]",
        ((f"audio-{MEDIA_ID}.oga", "audio/ogg; codecs=opus", f"whatsapp-media:{MEDIA_ID}"),),
    ),
    Shape(
        "message",
        "voice",
        "wamid.xyzxyz",
        "[voice message]",
        ((f"audio-{MEDIA_ID}.oga", "audio/ogg; codecs=opus", f"whatsapp-media:{MEDIA_ID}"),),
    ),
    Shape(
        "message",
        "static_sticker",
        "wamid.xyzxyz",
        "[sticker]",
        ((f"sticker-{MEDIA_ID}.webp", "image/webp", f"whatsapp-media:{MEDIA_ID}"),),
    ),
    Shape(
        "message",
        "animated_sticker",
        "wamid.xyzxyz",
        "[sticker]",
        ((f"sticker-{MEDIA_ID}.webp", "image/webp", f"whatsapp-media:{MEDIA_ID}"),),
        data={"media": {"animated": True}},
    ),
    Shape(
        "message",
        "reaction",
        "wamid.xyzxyz",
        "[reaction] \N{FACE WITH OPEN MOUTH}",
        refers_to=("wamid.yzxyzx=",),
        data={"reaction": {"message_id": "wamid.yzxyzx="}},
    ),
    Shape(
        "message",
        "unreaction_empty",
        "wamid.xyzxyz",
        "[reaction removed]",
        refers_to=("wamid.yzxyzx=",),
    ),
    Shape(
        "message",
        "unreaction_no_emoji",
        "wamid.xyzxyz",
        "[reaction removed]",
        refers_to=("wamid.yzxyzx=",),
    ),
    Shape("message", "current_location", "wamid.xyzxyz", "[location] 12.25089, 43.90539"),
    Shape(
        "message",
        "chosen_location",
        "wamid.xyzxyz",
        "[location] Facebook HQ, 1 Hacker Way, Menlo Park, CA 94025 (37.4611978, -122.2164385)"
        " https://maps.google.com/?cid=2000000000000000000",
        data={"location": {"name": "Facebook HQ"}},
    ),
    Shape(
        "message",
        "contacts",
        "wamid.xyzxyz",
        "[contacts]\nChandler Bing: +1 555-555-5555\nMonica: +1 666-666-6666\n"
        "Rachel Green: +1 777-777-7777",
    ),
    Shape(
        "message",
        "order",
        "wamid.xyzxyz",
        "[order]\n3 x HAMBURGER (30 ILS)\n2 x FRENCH_FRIES (35 ILS)\n2 x SODA (10 ILS)",
        data={"order": {"catalog_id": "354160437058781"}},
    ),
    Shape(
        "message",
        "unsupported",
        "wamid.xyzxyz",
        "[unsupported message] The customer sent something WhatsApp does not pass on",
    ),
    Shape(
        "message",
        "unsupported_with_type",
        "wamid.xyzxyz",
        "[unsupported message: pool] The customer sent something WhatsApp does not pass on",
        data={"unsupported": "pool"},
    ),
    Shape(
        "message",
        "reply",
        "wamid.xyzxyz",
        "replied text",
        refers_to=("wamid.xyzxyz==",),
        data={"reply_to": "wamid.xyzxyz=="},
    ),
    Shape("message", "forwarded", "wamid.xyzxyz", "forwarded text", data={"forwarded": True}),
    Shape(
        "message",
        "forwarded_many_times",
        "wamid.xyzxyz",
        "text forwarded many times",
        data={"forwarded": "frequently"},
    ),
    Shape(
        "message",
        "interactive_message_with_err",
        "wamid.wegrchytvwcggt=",
        "[interactive message Parley cannot show]",
        refers_to=("wamid.gvwegfretge==",),
    ),
    Shape(
        "message",
        "referral",
        "wamid.ID",
        "BODY",
        data={"referral": {"source_id": "ADID", "ctwa_clid": "CTWA_CLID"}},
    ),
    Shape(
        "callback_button",
        "button",
        "wamid.xyzxyz",
        "title",
        refers_to=("wamid.xyzxyz",),
        data={"choice": {"type": "button_reply", "id": "callback_data"}},
    ),
    Shape(
        "callback_button",
        "quick_reply",
        "wamid.xsidjw",
        "title",
        refers_to=("wamid.xyzxyz==",),
        data={"choice": {"type": "button", "payload": "callback_data"}},
    ),
    Shape("callback_button", "quick_reply_without_context", "wamid.xsidjx", "title"),
    Shape(
        "callback_selection",
        "callback",
        "wamid.zyzxyz",
        "title",
        refers_to=("wamid.xyzxyz",),
        data={"choice": {"type": "list_reply", "id": "callback_data"}},
    ),
    Shape("callback_selection", "description", "wamid.zyzxyz", "title (description)"),
    Shape(
        "flow_completion",
        "completion",
        "wamid.wegrchytvwcggt==",
        "[flow response] comment_text: Comment Text, delivery_rating: 4, purchase_rating: 2, "
        "recommend_radio: 0, cs_rating: 0",
        refers_to=("wamid.gvwegfretge==",),
        data={"flow": {"name": "flow", "response": {"flow_token": "AQAAAAACS5FpgQ_cAAAAAD0QI3s."}}},
    ),
    Shape(
        "flow_completion",
        "without_flow_token",
        "wamid.wegrchytvwcggt==",
        "[flow response] comment_text: Comment Text, delivery_rating: 4, purchase_rating: 2, "
        "recommend_radio: 0, cs_rating: 0",
    ),
    Shape(
        "call_permission_update",
        "accept",
        "wamid.x",
        "[call permission] accept",
        refers_to=("wamid.y==",),
    ),
    Shape("call_permission_update", "reject", "wamid.x", "[call permission] reject"),
    Shape(
        "system",
        "phone_number_change",
        "wamid.xyzxyz==",
        "[system] User A changed from 972987654321 to 972912345678",
        data={"system": {"type": "user_changed_number", "wa_id": "972912345678"}},
    ),
    Shape(
        "system",
        "identity_change",
        "wamid.xyzxyz",
        "[system] User identity changed",
        data={"system": {"type": "customer_identity_changed"}},
    ),
    Shape(
        "deleted_message",
        "revoke",
        "<WHATSAPP_MESSAGE_ID>",
        "[deleted] The customer deleted a message",
        refers_to=("<ORIGINAL_WHATSAPP_MESSAGE_ID>",),
        data={"deleted": "<ORIGINAL_WHATSAPP_MESSAGE_ID>"},
    ),
    Shape(
        "edited_message",
        "image",
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
        "[edited] Updated image caption",
        (("image-1234567890.jpg", "image/jpeg", "whatsapp-media:1234567890"),),
        refers_to=("wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=",),
        data={"edit_of": "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="},
    ),
]


def test_every_recorded_message_variant_has_a_shape() -> None:
    """A variant added to the data files fails here until it gets its expectations."""
    covered = {s.id for s in SHAPES}
    for name in ("message", "callback_button", "callback_selection", "flow_completion"):
        for variant in payloads(f"{WA}/{name}.json"):
            assert f"{name}:{variant}" in covered
    for name in ("call_permission_update", "system", "deleted_message", "edited_message"):
        for variant in payloads(f"{WA}/{name}.json"):
            assert f"{name}:{variant}" in covered


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _contains(actual[k], v) for k, v in expected.items()
        )
    return bool(actual == expected)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.id)
async def test_message_shape(tenant: Tenant, shape: Shape) -> None:
    channel = await make_channel(tenant, "whatsapp")
    body = payloads(f"{WA}/{shape.file}.json")[shape.variant]
    response = await channel.deliver(body)
    assert response.status_code == 200, response.text
    assert response.json()["received"] == 1
    [message] = await stored(tenant, channel)
    assert message.provider_message_id == shape.wamid
    assert message.text == shape.text
    if shape.text.startswith(("[system]", "[edited]", "[deleted]")):
        # Notices about earlier messages are system lines, never the customer speaking.
        assert (message.role, message.delivery_status) == ("system", None)
    else:
        assert message.role == "customer" and message.delivery_status == "received"
    assert [(a["filename"], a["content_type"], a["url"]) for a in message.attachments] == list(
        shape.files
    )
    assert all(a["size"] == 0 for a in message.attachments)
    data = message.meta["data"]
    assert data["whatsapp_type"] == body["entry"][0]["changes"][0]["value"]["messages"][0]["type"]
    assert _contains(data, shape.data), data
    keys = await thread_keys(tenant, channel)
    assert {shape.wamid, *shape.refers_to} <= keys


async def _identities(tenant: Tenant, interaction_id: uuid.UUID) -> set[tuple[str, str]]:
    async with tenant.db.transaction() as session:
        interaction = await session.get(Interaction, interaction_id)
        assert interaction is not None
        rows = await session.execute(
            select(ContactIdentity.kind, ContactIdentity.value).where(
                ContactIdentity.contact_id == interaction.contact_id
            )
        )
        return {(str(k), v) for k, v in rows.all()}


async def test_the_sender_becomes_a_whatsapp_contact_with_their_profile_name(
    tenant: Tenant,
) -> None:
    channel = await make_channel(tenant, "whatsapp")
    await channel.deliver(payloads(f"{WA}/message.json")["text"])
    [message] = await stored(tenant, channel)
    assert message.author_name == "Test Name"
    assert await _identities(tenant, message.interaction_id) == {("whatsapp", "+972987654321")}
    detail = (await tenant.api.get(f"/api/v1/interactions/{message.interaction_id}")).json()
    assert detail["communication_type"] == "messaging"
    assert detail["channel_id"] == channel.id


async def test_a_changed_number_joins_the_same_contact(tenant: Tenant) -> None:
    channel = await make_channel(tenant, "whatsapp")
    await channel.deliver(payloads(f"{WA}/message.json")["text"])
    await channel.deliver(payloads(f"{WA}/system.json")["phone_number_change"])
    first, notice = await stored(tenant, channel)
    assert first.interaction_id == notice.interaction_id
    assert await _identities(tenant, first.interaction_id) == {
        ("whatsapp", "+972987654321"),
        ("whatsapp", "+972912345678"),
    }
