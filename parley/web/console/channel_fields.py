"""What the console's "Add a channel" form asks for, per kind of channel.

Data, not code: each choice names the channel kind, any fixed settings (WhatsApp through Twilio is
a ``whatsapp`` channel with ``config.provider = "twilio"``) and the settings and secrets its
provider family reads (docs/channels-*.md). The API itself accepts any settings; "required" here
means the channel cannot receive or reply without it, so the form asks before creating it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from parley.models.enums import ChannelKind

Target = Literal["config", "secrets"]


@dataclass(frozen=True)
class ChannelField:
    key: str
    label: str
    target: Target = "config"
    required: bool = False
    placeholder: str = ""
    hint: str = ""
    # "lines": one value per line, sent as a list (a web chat's allowed origins).
    input: Literal["text", "email", "url", "lines"] = "text"

    @property
    def secret(self) -> bool:
        return self.target == "secrets"


@dataclass(frozen=True)
class ChannelChoice:
    id: str
    kind: ChannelKind
    label: str
    fixed: dict[str, str] = field(default_factory=dict)
    fields: tuple[ChannelField, ...] = ()
    hint: str = ""


def _twilio(number_hint: str) -> tuple[ChannelField, ...]:
    return (
        ChannelField(
            "number", "Twilio number", required=True, placeholder="+447700900000", hint=number_hint
        ),
        ChannelField("account_sid", "Account SID", "secrets", required=True, placeholder="AC…"),
        ChannelField(
            "auth_token",
            "Auth token",
            "secrets",
            required=True,
            hint="The account's Auth Token: it signs Twilio's webhooks.",
        ),
    )


def _meta(*first: ChannelField) -> tuple[ChannelField, ...]:
    return (
        *first,
        ChannelField(
            "app_secret",
            "App secret",
            "secrets",
            required=True,
            hint="Checks the signature of every webhook from Meta.",
        ),
        ChannelField(
            "verify_token",
            "Verify token",
            "secrets",
            required=True,
            hint="Any long random string; type the same into Meta's dashboard.",
        ),
        ChannelField(
            "access_token",
            "Access token",
            "secrets",
            required=True,
            hint="Sends replies: a system-user token or the page access token.",
        ),
    )


CHOICES: tuple[ChannelChoice, ...] = (
    ChannelChoice(
        "webchat",
        ChannelKind.webchat,
        "Web chat",
        fields=(
            ChannelField("widget_title", "Widget title", placeholder="Chat with us"),
            ChannelField("greeting", "Greeting"),
            ChannelField(
                "allowed_origins",
                "Sites allowed to embed it",
                input="lines",
                placeholder="https://shop.example.com",
                hint="One per line (scheme://host). Empty: any site.",
            ),
        ),
    ),
    ChannelChoice(
        "email",
        ChannelKind.email,
        "Email",
        fields=(
            ChannelField(
                "address",
                "Inbound address",
                required=True,
                input="email",
                placeholder="support@help.example.com",
                hint="Mail to this address becomes interactions.",
            ),
            ChannelField("from", "Reply from", input="email", hint="Default: the inbound address."),
            ChannelField("from_name", "Sender name", placeholder="Acme Support"),
        ),
    ),
    ChannelChoice("sms", ChannelKind.sms, "SMS (Twilio)", fields=_twilio("In E.164 form.")),
    ChannelChoice(
        "whatsapp",
        ChannelKind.whatsapp,
        "WhatsApp (Meta Cloud API)",
        fixed={"provider": "meta"},
        fields=_meta(
            ChannelField(
                "phone_number_id",
                "Phone number id",
                required=True,
                placeholder="1234567890",
                hint="From WhatsApp → API setup.",
            ),
        ),
    ),
    ChannelChoice(
        "whatsapp-twilio",
        ChannelKind.whatsapp,
        "WhatsApp (Twilio)",
        fixed={"provider": "twilio"},
        fields=_twilio("Without the whatsapp: prefix."),
    ),
    ChannelChoice(
        "messenger",
        ChannelKind.messenger,
        "Facebook Messenger",
        fields=_meta(ChannelField("page_id", "Page id", placeholder="1029384756")),
    ),
    ChannelChoice("instagram", ChannelKind.instagram, "Instagram", fields=_meta()),
    ChannelChoice(
        "voice",
        ChannelKind.voice,
        "Voice (Twilio)",
        fields=(
            *_twilio("Callers dial this number."),
            ChannelField(
                "greeting", "Voicemail greeting", hint="What callers hear before the beep."
            ),
        ),
    ),
    ChannelChoice(
        "form",
        ChannelKind.form,
        "Web form",
        fields=(
            ChannelField(
                "reply_from",
                "Replies from",
                required=True,
                input="email",
                placeholder="support@example.com",
                hint="Replies to a form are emails from this address.",
            ),
            ChannelField("reply_to", "Reply-To", input="email"),
            ChannelField(
                "redirect_url",
                "Thank-you page",
                input="url",
                placeholder="https://example.com/thanks",
            ),
            ChannelField(
                "honeypot_field",
                "Honeypot field",
                placeholder="website",
                hint="A hidden field people leave empty; filled means spam.",
            ),
        ),
    ),
    ChannelChoice(
        "review",
        ChannelKind.review,
        "Reviews (Trustpilot)",
        fields=(
            ChannelField(
                "business_user_id",
                "Business user id",
                required=True,
                hint="Replies are posted under this Trustpilot user.",
            ),
            ChannelField("access_token", "Access token", "secrets", required=True),
            ChannelField(
                "api_url", "API URL", input="url", placeholder="https://api.trustpilot.com"
            ),
        ),
    ),
    ChannelChoice(
        "api",
        ChannelKind.api,
        "API / generic webhook",
        hint="Your systems post signed JSON; nothing else to set.",
    ),
)
