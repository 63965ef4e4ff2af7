"""The demo's cast and its script vocabulary: plain data, no I/O.

Northwind Outfitters is a fictional UK online shop for outdoor gear. Addresses, numbers and
domains come from ranges reserved for fiction or documentation (``.example`` and ``example.com``
domains, Ofcom's 07700 900xxx and 020 7946 0xxx drama numbers, the RFC 5737 IP ranges), so nothing
in the demo points at a real person; channels carry no credentials, so nothing can be sent.

A conversation is a list of steps, each happening ``after`` seconds after the one before;
``parley.demo.seed`` plays them through the real actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from parley.models.enums import (
    ChannelKind,
    Direction,
    IdentityKind,
    Outcome,
    Priority,
    Role,
)

M = 60
H = 60 * M
D = 24 * H

ORGANIZATION_NAME = "Northwind Outfitters"
# The demo's AI agent: it answers the scripted conversations' bot lines and live web chats.
ASSISTANT_NAME = "Nova"
# Who a step is done by, besides the user keys of USERS.
CUSTOMER, BOT, SYSTEM = "customer", "bot", "system"


# --- the cast ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserSpec:
    key: str
    name: str
    email: str
    role: Role
    capacity: Mapping[str, int] | None = None
    skills: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueSpec:
    key: str
    name: str
    description: str
    sla_policy: Mapping[str, int]
    members: tuple[str, ...]
    wrap_up_timeout_s: int = 120


@dataclass(frozen=True)
class ChannelSpec:
    kind: ChannelKind
    name: str
    queue: str
    config: Mapping[str, Any]


@dataclass(frozen=True)
class ContactSpec:
    key: str
    name: str | None
    email: str | None = None
    phone: str | None = None
    identities: tuple[tuple[IdentityKind, str], ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)


USERS: tuple[UserSpec, ...] = (
    UserSpec("grace", "Grace Holloway", "grace.holloway@northwind.example", Role.admin),
    UserSpec(
        "daniel",
        "Daniel Mensah",
        "daniel.mensah@northwind.example",
        Role.supervisor,
        skills={"escalations": 9, "billing": 8, "orders": 8},
    ),
    UserSpec(
        "priya",
        "Priya Raman",
        "priya.raman@northwind.example",
        Role.agent,
        capacity={"chat": 3, "messaging": 6, "email": 8, "voice": 1, "task": 5},
        skills={"orders": 8, "returns": 9, "billing": 5, "spanish": 7},
    ),
    UserSpec(
        "tom",
        "Tom Becker",
        "tom.becker@northwind.example",
        Role.agent,
        capacity={"chat": 2, "messaging": 4, "email": 6, "voice": 1, "task": 4},
        skills={"product_advice": 9, "warranty": 8, "billing": 7, "german": 8},
    ),
)

QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        "support",
        "Support",
        "Product advice, sizing, warranty, reviews and anything else.",
        {"first_response_s": 300, "next_response_s": 900, "resolution_s": 86_400},
        ("tom", "priya", "daniel"),
    ),
    QueueSpec(
        "orders",
        "Orders & Delivery",
        "Order status, delivery problems, returns, exchanges.",
        {"first_response_s": 900, "next_response_s": 1_800, "resolution_s": 172_800},
        ("priya", "tom", "daniel"),
    ),
    QueueSpec(
        "billing",
        "Billing",
        "Payments, refunds, invoices and promo codes.",
        {"first_response_s": 3_600, "next_response_s": 7_200, "resolution_s": 259_200},
        ("tom", "daniel"),
        wrap_up_timeout_s=180,
    ),
)

SHOP = "https://shop.northwind.example"

CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec(
        ChannelKind.webchat,
        "Website chat",
        "support",
        {
            "site_url": SHOP,
            "allowed_origins": [SHOP],
            "widget_title": "Chat with Northwind",
            "greeting": "Hi! Ask us anything about gear, orders or returns.",
        },
    ),
    ChannelSpec(
        ChannelKind.email,
        "Support email",
        "support",
        {"address": "support@northwind.example", "from_name": "Northwind Outfitters"},
    ),
    ChannelSpec(ChannelKind.sms, "SMS", "orders", {"phone_number": "+447700900100"}),
    ChannelSpec(
        ChannelKind.whatsapp,
        "WhatsApp",
        "orders",
        {"phone_number": "+447700900200", "display_name": ORGANIZATION_NAME},
    ),
    ChannelSpec(
        ChannelKind.messenger,
        "Facebook Messenger",
        "support",
        {"page_name": ORGANIZATION_NAME, "page_id": "104729385611234"},
    ),
    ChannelSpec(
        ChannelKind.instagram,
        "Instagram",
        "support",
        {"username": "northwind.outfitters", "account_id": "17841405309211844"},
    ),
    ChannelSpec(
        ChannelKind.voice,
        "Phone line",
        "support",
        {
            "phone_number": "+442079460958",
            "voicemail": True,
            "greeting": "Thanks for calling Northwind Outfitters.",
        },
    ),
    ChannelSpec(
        ChannelKind.form,
        "Returns form",
        "orders",
        {"url": f"{SHOP}/returns", "fields": ["order_number", "item", "reason", "comments"]},
    ),
    ChannelSpec(
        ChannelKind.review,
        "Trustpilot reviews",
        "support",
        {"provider": "trustpilot", "business_domain": "northwind.example"},
    ),
    ChannelSpec(
        ChannelKind.api,
        "Order system",
        "orders",
        {"description": "Events from the order management system (payments, addresses)"},
    ),
)

W = IdentityKind.whatsapp

CONTACTS: tuple[ContactSpec, ...] = (
    ContactSpec(
        "emma",
        "Emma Clarke",
        "emma.clarke@example.com",
        identities=((IdentityKind.visitor, "v_7f3a91c2"),),
        attributes={"customer_since": "2023-04", "loyalty": "Trail Club"},
    ),
    ContactSpec("liam", "Liam O'Connor", "liam.oconnor@example.net"),
    ContactSpec("joe", "Joe Bloggs", phone="+44 7700 900431"),
    ContactSpec("margaret", "Margaret Hughes", "margaret.hughes@example.org", "+44 20 7946 0112"),
    ContactSpec(
        "carlos", "Carlos Mendes", "carlos.mendes@example.com", identities=((W, "+447700900517"),)
    ),
    ContactSpec(
        "sophie", "Sophie Laurent", identities=((IdentityKind.messenger, "6718203945512871"),)
    ),
    ContactSpec(
        "aisha",
        "Aisha Khan",
        identities=((IdentityKind.instagram, "17841452210987345"),),
        attributes={"instagram": "@aisha.outdoors"},
    ),
    ContactSpec("oliver", "Oliver Smith", "oliver.smith@example.com"),
    ContactSpec("hannah", "Hannah Wright", "hannah.wright@example.com"),
    ContactSpec("ravi", "Ravi Patel", "ravi.patel@example.com", "+447700900262"),
    ContactSpec(
        "freya",
        "Freya Nilsen",
        "freya.nilsen@example.org",
        identities=((IdentityKind.visitor, "v_c04e88d1"),),
        attributes={"country": "NO"},
    ),
    ContactSpec("marcus", "Marcus Johnson", "marcus.j@example.net", "+447700900388"),
    ContactSpec(
        "chloe", "Chloe Davies", "chloe.davies@example.com", identities=((W, "+447700900745"),)
    ),
    ContactSpec("ben", "Ben Adeyemi", "ben.adeyemi@example.com"),
    ContactSpec(
        "lena",
        "Lena Fischer",
        "lena.fischer@example.com",
        identities=((IdentityKind.visitor, "v_19bd5e07"),),
        attributes={"country": "DE", "language": "de"},
    ),
    ContactSpec("sam", "Sam Turner", "sam.turner@example.net", "+447700900904"),
    ContactSpec(
        "nadia",
        "Nadia Haddad",
        "nadia.haddad@example.org",
        identities=((IdentityKind.messenger, "5529381047762310"),),
    ),
    ContactSpec(
        "george",
        "George Evans",
        "george.evans@example.org",
        identities=(
            (IdentityKind.instagram, "17841400918273645"),
            (IdentityKind.messenger, "7301948827365512"),
        ),
    ),
    ContactSpec(
        "ines",
        "Inês Almeida",
        "ines.almeida@example.com",
        identities=((IdentityKind.visitor, "v_a2286f4b"),),
        attributes={"country": "PT"},
    ),
    # A website visitor who has not said who they are: the widget only knows its visitor id.
    ContactSpec("visitor", None, identities=((IdentityKind.visitor, "v_e5d20b7a"),)),
)


def web(browser: str, os: str, ip: str, city: str, country: str, path: str) -> dict[str, str]:
    """What the chat widget reports about the customer's environment."""
    return {
        "browser": browser,
        "os": os,
        "ip": ip,
        "city": city,
        "country": country,
        "url": SHOP + path,
    }


# What the shop's conversations are about: the organization's topics for analytics (each
# interaction gets the best-matching one, or "other"). Examples are written for the shop, in the
# customer's words; none is copied from the scripts below. Hand-laid, like the scripts.
# fmt: off
TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Order status", (
        "where is my order", "my parcel has not arrived", "the tracking has not updated",
        "when will my order be delivered", "my order still hasn't come",
    )),
    ("Delivery", (
        "do you deliver to my country", "how much is shipping", "change my delivery address",
        "can you deliver on a Saturday", "send it to a different address",
    )),
    ("Returns and exchanges", (
        "I want to return an item", "exchange it for a bigger size", "how long do I have to "
        "send something back", "it doesn't fit, can I swap it", "return request",
    )),
    ("Refunds", (
        "I haven't received my refund", "I want my money back", "when will I be refunded",
        "refund to my card",
    )),
    ("Payments and invoices", (
        "I was charged twice", "my payment was declined", "please send a VAT invoice",
        "payment failed", "an invoice for my company", "duplicate payment on my card",
        "charged twice for one order", "a second payment shows on my statement",
    )),
    ("Promo codes", (
        "my discount code doesn't work", "the promo code is invalid at checkout",
        "can I use a voucher on sale items",
    )),
    ("Product advice", (
        "which size should I buy", "do these boots run small", "is this tent good for winter",
        "does it come in XXL", "which pole length is right for my height", "how do I adjust it",
        "what's the difference between the two models",
    )),
    ("Stock", (
        "when will it be back in stock", "is it sold out", "restock date", "do you have it in "
        "another colour", "is it available again",
    )),
    ("Damaged or faulty items", (
        "it arrived damaged", "the item is broken", "it leaked the first time I used it",
        "a part snapped", "it's faulty", "arrived bent", "the jacket leaks in the rain",
        "it broke on the first trip", "a tent pole broke",
    )),
    ("Warranty and repairs", (
        "is this covered by the warranty", "I need a replacement part", "do you sell a repair "
        "kit", "the sole is coming off", "warranty claim", "can I get a spare pole section",
        "can you repair it",
    )),
    ("Cancellations", (
        "cancel my order", "I ordered the wrong thing, please cancel",
        "stop my order before it ships",
    )),
    ("Reviews and feedback", (
        "great service, five stars", "I'm disappointed with the quality", "I love these boots",
        "I'd like to leave feedback", "really pleased with my purchase",
        "expected better for the price", "a review of your shop",
    )),
)
# fmt: on


# --- the script vocabulary -----------------------------------------------------------------------


@dataclass(frozen=True)
class When:
    """When a conversation starts: at ``hhmm`` UTC ``days_ago`` days ago, or ``minutes_ago`` ago."""

    days_ago: int = 0
    hhmm: str = "00:00"
    minutes_ago: int = 0


def on(days_ago: int, hhmm: str) -> When:
    return When(days_ago=days_ago, hhmm=hhmm)


def ago(minutes: int) -> When:
    return When(minutes_ago=minutes)


@dataclass(frozen=True)
class Say:
    """A transcript message by CUSTOMER, BOT, SYSTEM or a user key."""

    who: str
    text: str
    after: int


@dataclass(frozen=True)
class Note:
    who: str
    text: str
    after: int


@dataclass(frozen=True)
class Claim:
    who: str
    after: int


@dataclass(frozen=True)
class Assign:
    who: str
    to: str
    after: int


@dataclass(frozen=True)
class Transfer:
    who: str
    after: int
    queue: str | None = None
    to: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Tag:
    who: str
    add: tuple[str, ...]
    after: int


@dataclass(frozen=True)
class WrapUp:
    who: str
    after: int


@dataclass(frozen=True)
class Complete:
    who: str
    disposition: str
    after: int
    outcome: Outcome = Outcome.resolved


@dataclass(frozen=True)
class Clone:
    """Follow up on the completed interaction; the steps after this one act on the follow-up."""

    who: str
    after: int


@dataclass(frozen=True)
class Survey:
    """The customer's answer to the web chat's post-chat survey (after it completed)."""

    who: str
    rating: int
    comment: str | None
    after: int


Step = Say | Note | Claim | Assign | Transfer | Tag | WrapUp | Complete | Clone | Survey


@dataclass(frozen=True)
class Conversation:
    """One interaction's story. Without ``queue``, inbound work starts with the assistant."""

    channel: ChannelKind
    contact: str
    start: When
    subject: str
    steps: tuple[Step, ...]
    queue: str | None = None
    direction: Direction = Direction.inbound
    # Who creates it: CUSTOMER for inbound, SYSTEM for integrations, an agent for outbound.
    opened_by: str = CUSTOMER
    subtype: str | None = None
    priority: Priority = Priority.normal
    tags: tuple[str, ...] = ()
    client: Mapping[str, str] | None = None
    custom_fields: Mapping[str, str] | None = None


# Short constructors, so the script below reads like a transcript. ``after`` is in seconds.


def customer(text: str, after: int = 45) -> Say:
    return Say(CUSTOMER, text, after)


def bot(text: str, after: int = 4) -> Say:
    return Say(BOT, text, after)


def system(text: str, after: int = 0) -> Say:
    return Say(SYSTEM, text, after)


def agent(who: str, text: str, after: int = 80) -> Say:
    return Say(who, text, after)


def note(who: str, text: str, after: int = 30) -> Note:
    return Note(who, text, after)


def claim(who: str, after: int = 60) -> Claim:
    return Claim(who, after)


def assign(who: str, to: str, after: int = 60) -> Assign:
    return Assign(who, to, after)


def to_queue(who: str, queue: str, after: int = 2, note: str = "") -> Transfer:
    return Transfer(who, after, queue=queue, note=note)


def to_agent(who: str, to: str, after: int = 60, note: str = "") -> Transfer:
    return Transfer(who, after, to=to, note=note)


def tag(who: str, *names: str, after: int = 20) -> Tag:
    return Tag(who, names, after)


def wrap_up(who: str, after: int = 5) -> WrapUp:
    return WrapUp(who, after)


def resolved(who: str, disposition: str, after: int = 90) -> Complete:
    return Complete(who, disposition, after, Outcome.resolved)


def unresolved(who: str, disposition: str, after: int = 90) -> Complete:
    return Complete(who, disposition, after, Outcome.unresolved)


def clone(who: str, after: int) -> Clone:
    return Clone(who, after)


def survey(rating: int, comment: str | None = None, after: int = 40) -> Survey:
    return Survey(CUSTOMER, rating, comment, after)
