"""Every channel family Parley ships, in one list: the app mounts their routers and senders."""

from __future__ import annotations

from fastapi import APIRouter

from parley.channels import email, forms, generic, meta, reviews, twilio, webchat
from parley.channels.base import Delivery, OutboundSender, PermanentFailure, SendResult
from parley.config import Settings
from parley.models.enums import ChannelKind

FAMILIES = (email, twilio, meta, webchat, forms, reviews, generic)
# When several families serve one kind (WhatsApp through Twilio or Meta's Cloud API), a channel
# names its provider in config["provider"]; channels that name none get this family.
DEFAULT_PROVIDER = {ChannelKind.whatsapp: "meta"}


def routers() -> list[APIRouter]:
    return [family.router for family in FAMILIES]


class ByProvider:
    """Sends through the family the channel's ``config["provider"]`` names."""

    def __init__(self, kind: ChannelKind, by_family: dict[str, OutboundSender]) -> None:
        self.kind = kind
        self.by_family = by_family

    async def send(self, delivery: Delivery) -> SendResult:
        default = DEFAULT_PROVIDER.get(self.kind, next(iter(self.by_family)))
        name = str(delivery.channel.config.get("provider") or default)
        sender = self.by_family.get(name)
        if sender is None:
            raise PermanentFailure(f"no {name!r} sender for {self.kind} channels")
        return await sender.send(delivery)


def all_senders(settings: Settings) -> dict[ChannelKind, OutboundSender]:
    by_kind: dict[ChannelKind, dict[str, OutboundSender]] = {}
    for family in FAMILIES:
        name = family.__name__.rsplit(".", 1)[1]
        for kind, sender in family.senders(settings).items():
            by_kind.setdefault(kind, {})[name] = sender
    return {
        kind: next(iter(found.values())) if len(found) == 1 else ByProvider(kind, found)
        for kind, found in by_kind.items()
    }
