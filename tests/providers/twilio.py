"""The twilio side of the provider sandbox (see __init__.py): a stand-in for Twilio's REST API.

``POST /twilio/2010-04-01/Accounts/{AccountSid}/Messages.json`` behaves like Twilio's: HTTP Basic
auth with the account sid as user name (401, error 20003, otherwise), a form body validated like
Twilio does (21604 no To, 21603 no From, 21602 no Body), and a 201 with the message resource
(``sid`` "SM" + 32 hex, ``status`` "queued"). ``GET .../Messages/{sid}.json`` reads one back.

Scripted answers: append ``error(21211)`` (or any ``(status, body, headers)``) to
``sandbox.script["twilio"]``, or to ``sandbox.script["twilio:<To>"]`` to answer only requests to
that number, which keeps a test's script safe from other tests' delayed retries. A body of None
makes a Twilio-shaped error for the status code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import random
import uuid
import weakref
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from parley.actions.channels import do_create_channel
from parley.models import Channel
from parley.models.enums import ChannelKind

if TYPE_CHECKING:
    from tests.factories import Tenant
    from tests.providers import Sandbox

API = "/twilio/2010-04-01/Accounts"

# Twilio's wording for the errors tests script.
MESSAGES = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number {to} is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
    "number: {to}.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    20404: "The requested resource was not found",
}
_STATUS_CODES = {429: 20429, 500: 20500, 503: 20500, 401: 20003}


@dataclass
class TwilioState:
    """What the stand-in Twilio holds: the messages it accepted, by sid."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def sent_to(self, to: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["to"] == to]


_STATES: weakref.WeakKeyDictionary[Sandbox, TwilioState] = weakref.WeakKeyDictionary()


def state(sandbox: Sandbox) -> TwilioState:
    return _STATES.setdefault(sandbox, TwilioState())


def error(code: int, *, status: int | None = None, to: str = "") -> tuple[int, Any, dict[str, str]]:
    """A scripted Twilio error answer (400 unless ``status`` is given)."""
    status = status or (401 if code == 20003 else 429 if code == 20429 else 400)
    return status, _error_body(code, status, to=to), {}


def _error_body(code: int, status: int, *, to: str = "") -> dict[str, Any]:
    return {
        "code": code,
        "message": MESSAGES.get(code, "Error").format(to=to),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _basic_auth(request: Request) -> tuple[str, str] | None:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(credential).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _resource(account_sid: str, form: dict[str, list[str]]) -> dict[str, Any]:
    sid = "SM" + uuid.uuid4().hex
    now = formatdate(usegmt=True)
    media = form.get("MediaUrl", [])
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}"
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": form.get("Body", [""])[0],
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From", [None])[0],
        "messaging_service_sid": form.get("MessagingServiceSid", [None])[0],
        "num_media": str(len(media)),
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": form.get("To", [""])[0],
        "uri": f"{uri}.json",
    }


def _invalid(form: dict[str, list[str]]) -> int | None:
    if not form.get("To"):
        return 21604
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return 21603
    if not form.get("Body") and not form.get("MediaUrl"):
        return 21602
    return None


def _scripted(answer: tuple[int, Any, dict[str, str]], to: str) -> Response:
    status, body, headers = answer
    if body is None and status >= 400:
        body = _error_body(
            _STATUS_CODES.get(status, 20500 if status >= 500 else 21211), status, to=to
        )
    if isinstance(body, dict | list):
        return JSONResponse(body, status_code=status, headers=headers)
    return Response(body or b"", status_code=status, headers=headers)


def routes(sandbox: Sandbox) -> list[Route]:
    async def create_message(request: Request) -> Response:
        body = await request.body()
        form: dict[str, list[str]] = {}
        for name, value in parse_qsl(body.decode(), keep_blank_values=True):
            form.setdefault(name, []).append(value)
        sandbox.record("twilio", request, body, form=form)
        account_sid = request.path_params["sid"]
        auth = _basic_auth(request)
        if auth is None or auth[0] != account_sid or not auth[1]:
            return JSONResponse(_error_body(20003, 401), status_code=401)
        to = form.get("To", [""])[0]
        answer = sandbox.next_answer(f"twilio:{to}") or sandbox.next_answer("twilio")
        if answer is not None:
            return _scripted(answer, to)
        invalid = _invalid(form)
        if invalid is not None:
            return JSONResponse(_error_body(invalid, 400, to=to), status_code=400)
        resource = _resource(account_sid, form)
        state(sandbox).messages[resource["sid"]] = resource
        return JSONResponse(resource, status_code=201)

    async def read_message(request: Request) -> Response:
        found = state(sandbox).messages.get(request.path_params["message_sid"])
        if found is None or found["account_sid"] != request.path_params["sid"]:
            return JSONResponse(_error_body(20404, 404), status_code=404)
        return JSONResponse(found)

    async def update_call(request: Request) -> Response:
        """Calls API: redirect a live call with new TwiML (how a bridge to a number is made)."""
        body = await request.body()
        form: dict[str, list[str]] = {}
        for name, value in parse_qsl(body.decode(), keep_blank_values=True):
            form.setdefault(name, []).append(value)
        # Kept apart from "twilio" (messages): tests read messages' To/Body from that list.
        sandbox.record("twilio-calls", request, body, form=form)
        auth = _basic_auth(request)
        if auth is None or auth[0] != request.path_params["sid"] or not auth[1]:
            return JSONResponse(_error_body(20003, 401), status_code=401)
        call_sid = request.path_params["call_sid"]
        return JSONResponse({"sid": call_sid, "status": "in-progress"}, status_code=200)

    return [
        Route(f"{API}/{{sid}}/Messages.json", create_message, methods=["POST"]),
        Route(f"{API}/{{sid}}/Messages/{{message_sid}}.json", read_message, methods=["GET"]),
        Route(f"{API}/{{sid}}/Calls/{{call_sid}}.json", update_call, methods=["POST"]),
    ]


# --- Twilio's other side: the webhooks it sends to Parley -----------------------------------------

_numbers = itertools.count(random.SystemRandom().randrange(1_000_000, 8_000_000))


def new_number() -> str:
    """A fresh E.164 number (tests share a database per backend, so numbers never repeat)."""
    return f"+1555{next(_numbers):07d}"


def new_sid(prefix: str) -> str:
    """A Twilio-shaped sid: two letters and 32 hex digits (SM..., CA..., RE..., AC...)."""
    return prefix + uuid.uuid4().hex


def sign(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """X-Twilio-Signature as Twilio computes it for a form POST (written apart from Parley's
    validator, after Twilio's documentation, so the two check each other)."""
    data = url
    for name in sorted({k for k, _ in params}):
        for value in sorted({v for k, v in params if k == name}):
            data += name + value
    mac = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


async def post_webhook(
    client: httpx.AsyncClient,
    url: str,
    auth_token: str,
    params: dict[str, str] | list[tuple[str, str]],
    *,
    signature: str | None = None,
) -> httpx.Response:
    """POST a form the way Twilio does: urlencoded, signed over the exact URL called."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "TwilioProxy/1.1",
        "X-Twilio-Signature": sign(auth_token, url, pairs) if signature is None else signature,
    }
    return await client.post(url, content=urlencode(pairs), headers=headers)


@dataclass
class TwilioNumber:
    """A Twilio number (and account) pointed at one Parley channel."""

    channel: Channel
    number: str
    account_sid: str
    auth_token: str
    base_url: str

    def url(self, endpoint: str) -> str:
        return f"{self.base_url}/hooks/twilio/{self.channel.id}/{endpoint}"

    async def post(
        self,
        client: httpx.AsyncClient,
        endpoint: str,
        params: dict[str, str] | list[tuple[str, str]],
        **kw: Any,
    ) -> httpx.Response:
        return await post_webhook(client, self.url(endpoint), self.auth_token, params, **kw)


async def twilio_number(
    tenant: Tenant, base_url: str, kind: ChannelKind = ChannelKind.sms
) -> TwilioNumber:
    """A new channel of ``kind`` on a fresh number and account, queued to the tenant's queue."""
    number, account_sid, auth_token = new_number(), new_sid("AC"), uuid.uuid4().hex
    async with tenant.db.transaction() as session:
        channel = await do_create_channel(
            session,
            actor=tenant.system,
            kind=kind,
            name=f"Twilio {kind.value} {number}",
            config={"number": number, "provider": "twilio"},
            secrets_={"account_sid": account_sid, "auth_token": auth_token},
            default_queue_id=tenant.queue.id,
        )
    return TwilioNumber(channel, number, account_sid, auth_token, base_url)
