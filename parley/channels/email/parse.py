"""Raw RFC 5322 bytes to a typed ``ParsedEmail``. Pure, and total: it never raises.

The message is read with the lenient ``compat32`` policy (the strict one raises on headers real
mail servers pass along) and every header and body part is decoded by ``mime.py``. What could not
be understood is reported in ``defects``; a message with no recognizable headers at all is kept
whole as an ``original.eml`` attachment, so nothing acknowledged is silently dropped.
"""

from __future__ import annotations

import base64
import binascii
import email
import hashlib
import quopri
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.policy import compat32
from email.utils import parsedate_to_datetime

from parley.channels.email.mime import (
    addresses,
    all_headers,
    decode_bytes,
    decode_words,
    header_text,
    html_to_text,
    message_ids,
    one_line,
    raw_headers,
    sanitize_html,
    storable,
)

MAX_TEXT = 19_000  # under the transcript's 20,000-character limit, leaving room for a notice
MAX_ATTACHMENTS = 50
MAX_REFERENCES = 20
# RFC 3834 and common practice: these mark mail written by a program, not a person.
AUTO_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder")
BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
FORWARDED = "---------- Forwarded message ----------"
# RFC 5322 4.5 obsolete syntax: white space between a field name and its colon.
_OBS_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)


@dataclass(frozen=True)
class Address:
    name: str
    email: str


@dataclass(frozen=True)
class Part:
    """One attachment (or inline part that is not the body text)."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None
    inline: bool = False


@dataclass(frozen=True)
class ParsedEmail:
    sender: Address | None
    subject: str
    text: str
    html: str | None
    message_id: str | None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    date: datetime | None = None
    attachments: tuple[Part, ...] = ()
    # Why the message is automatic ("auto-submitted: auto-replied", "precedence: bulk"...).
    auto_submitted: str | None = None
    # A delivery status notification (RFC 3464) or a mailer-daemon's bounce.
    bounce: bool = False
    bounce_failed: bool = False
    # Message ids of the mail a bounce is about (from its returned headers).
    bounced_ids: tuple[str, ...] = ()
    defects: tuple[str, ...] = field(default_factory=tuple)
    sha256: str = ""

    @property
    def automated(self) -> bool:
        return self.bounce or self.auto_submitted is not None

    @property
    def refers_to(self) -> tuple[str, ...]:
        """Ids this message answers: In-Reply-To first, then References newest first."""
        ordered = [*self.in_reply_to, *reversed(self.references), *self.bounced_ids]
        return tuple(dict.fromkeys(i for i in ordered if i != self.message_id))


def parse(raw: bytes) -> ParsedEmail:
    """Parse one message. Never raises: unparseable input becomes a quarantined original."""
    digest = content_digest(raw)
    try:
        message = email.message_from_bytes(raw, policy=compat32)
        if not message.keys() and _OBS_FIELD.match(raw):
            head, sep, rest = (
                raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
            )
            message = email.message_from_bytes(
                _OBS_FIELD.sub(rb"\1:", head) + sep + rest, policy=compat32
            )
        return _parse(message, raw, digest)
    except Exception as exc:  # the stdlib parser has crashed on hostile MIME before
        return ParsedEmail(
            sender=None,
            subject="",
            text="",
            html=None,
            message_id=None,
            attachments=(Part("original.eml", "message/rfc822", raw),),
            defects=(f"unparseable: {type(exc).__name__}",),
            sha256=digest,
        )


def content_digest(raw: bytes) -> str:
    """A digest that survives relaying: line endings normalized, trace headers left out.

    It stands in for a missing Message-ID, so a message resent by a server that added its own
    Received line (or rewrote LF to CRLF) is still recognized as the same message.
    """
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    head, _, body = text.partition(b"\n\n")
    kept = [line for line in re.split(rb"\n(?![ \t])", head) if not line.lower().startswith(_TRACE)]
    return hashlib.sha256(b"\n".join(kept) + b"\n\n" + body.rstrip()).hexdigest()


# Parsed into sub-messages by the stdlib, but each is one part to Parley.
_LEAVES = frozenset({"message/rfc822", "message/delivery-status"})
_TRACE = (b"received:", b"return-path:", b"delivered-to:", b"x-original-to:")


def _parse(message: Message, raw: bytes, digest: str) -> ParsedEmail:
    charset = _body_charset(message)
    body = _Body(charset)
    body.walk(message)
    senders = addresses(raw_headers(message, "From", charset=charset))
    ids = message_ids(header_text(message, "Message-ID"))
    references = message_ids(" ".join(all_headers(message, "References")))
    defects = [type(d).__name__ for d in message.defects] + body.defects
    text, html = body.text(), body.html()
    attachments = body.parts
    if not text and not html and body.forwarded:
        # Nothing but a forwarded message: show its content (it stays attached as an .eml too).
        inner = parse(body.forwarded[0])
        text, html = f"{FORWARDED}\n{inner.text}", inner.html
    if not text and not html and body.status_text:
        text = storable("\n\n".join(body.status_text)).strip()
    if not senders and not ids and not message.keys():
        # Not a MIME message at all (an Outlook .msg, random bytes): keep it whole.
        defects.append("no headers: kept as original.eml")
        attachments = [Part("original.eml", "message/rfc822", raw)]
        text = ""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + "\n\n[Message truncated; the full original is attached.]"
        attachments = [*attachments, Part("original.eml", "message/rfc822", raw)]
    sender = Address(*senders[0]) if senders else None
    auto = _auto_submitted(message)
    bounce = body.is_report or (sender is not None and sender.email.split("@")[0] in BOUNCE_SENDERS)
    return ParsedEmail(
        sender=sender,
        subject=header_text(message, "Subject", charset=charset)[:500],
        text=text,
        html=html,
        message_id=ids[0] if ids else None,
        in_reply_to=tuple(message_ids(" ".join(all_headers(message, "In-Reply-To")))),
        references=tuple(references[-MAX_REFERENCES:]),
        to=_addresses(message, "To", charset),
        cc=_addresses(message, "Cc", charset),
        reply_to=_addresses(message, "Reply-To", charset),
        date=_date(header_text(message, "Date")),
        attachments=tuple(attachments[:MAX_ATTACHMENTS]),
        auto_submitted=auto,
        bounce=bounce,
        bounce_failed=body.delivery_failed,
        bounced_ids=tuple(body.returned_ids),
        defects=tuple(dict.fromkeys(defects))[:20],
        sha256=digest,
    )


def _addresses(message: Message, name: str, charset: str | None) -> tuple[Address, ...]:
    return tuple(Address(n, a) for n, a in addresses(raw_headers(message, name, charset=charset)))


def _body_charset(message: Message) -> str | None:
    for part in message.walk():
        found = part.get_content_charset()
        if found:
            return found
    return None


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _auto_submitted(message: Message) -> str | None:
    auto = header_text(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"auto-submitted: {auto}"
    precedence = header_text(message, "Precedence").strip().lower()
    if precedence in AUTO_PRECEDENCE:
        return f"precedence: {precedence}"
    for name in AUTO_HEADERS:
        if header_text(message, name):
            return name.lower()
    return None


class _Body:
    """Walks the MIME tree: body text and HTML in order, every other part an attachment.

    A forwarded message (message/rfc822) is kept whole as an .eml attachment rather than walked
    into, so its text is never mistaken for the sender's.
    """

    def __init__(self, charset: str | None) -> None:
        self.charset = charset
        self.plain: list[str] = []
        self.htmls: list[str] = []
        self.parts: list[Part] = []
        self.defects: list[str] = []
        self.is_report = False
        self.delivery_failed = False
        self.returned_ids: list[str] = []
        self.forwarded: list[bytes] = []
        self.status_text: list[str] = []

    def walk(self, part: Message, depth: int = 0) -> None:
        """Collect body text, HTML and parts, depth first in document order."""
        if depth > 20:
            self.defects.append("MIME nesting deeper than 20 levels")
            return
        ctype = part.get_content_type()
        if part.is_multipart() and ctype not in _LEAVES:
            if ctype == "multipart/report":
                self.is_report = True
            payload = part.get_payload()
            for child in payload if isinstance(payload, list) else []:
                if isinstance(child, Message):
                    self.walk(child, depth + 1)
            return
        try:
            self._leaf(part, ctype)
        except Exception as exc:
            self.defects.append(f"unreadable {ctype} part: {type(exc).__name__}")

    def _leaf(self, part: Message, ctype: str) -> None:
        disposition = (part.get_content_disposition() or "").lower()
        filename = self._filename(part)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            text = decode_bytes(self._bytes(part), part.get_content_charset() or self.charset)
            (self.plain if ctype == "text/plain" else self.htmls).append(text)
            return
        data = self._bytes(part)
        if ctype.startswith("multipart/"):
            # A multipart whose boundary is missing: keep its raw body readable, not as a blob.
            self.defects.append(f"{ctype} without its parts: kept as unparsed-body.txt")
            ctype, filename = "text/plain", filename or "unparsed-body.txt"
        if ctype == "message/rfc822" and not self.is_report:
            self.forwarded.append(data)
        if ctype == "message/delivery-status":
            self.delivery_failed |= b"action: failed" in data.lower()
            self.status_text.append(decode_bytes(data, None))
        if self.is_report and ctype in ("message/rfc822", "text/rfc822-headers"):
            returned = email.message_from_bytes(data, policy=compat32)
            self.returned_ids += message_ids(header_text(returned, "Message-ID"))
        if not data:
            return
        cid = one_line(str(part.get("Content-ID") or ""), 300).strip("<>") or None
        name = filename or _default_name(ctype, len(self.parts) + 1)
        self.parts.append(Part(name, ctype, data, cid, inline=disposition == "inline"))

    def _filename(self, part: Message) -> str:
        probe = part
        params = ("Content-Disposition", "Content-Type")
        if any(_has_8bit(str(v)) for k, v in part.raw_items() if k.title() in params):
            # Raw 8-bit parameters: decode them first, then let the stdlib read RFC 2231.
            probe = Message()
            for header in params:
                for value in raw_headers(part, header, charset=self.charset):
                    probe[header] = value
        try:
            name = probe.get_filename() or ""
        except Exception:
            return ""
        name = one_line(decode_words(name), 255)
        return name.replace("\\", "/").rsplit("/", 1)[-1]

    def _bytes(self, part: Message) -> bytes:
        payload = part.get_payload()
        if part.get_content_type() == "message/delivery-status" and isinstance(payload, list):
            # compat32 splits the status into one Message per block of fields.
            return b"\n".join(m.as_bytes() for m in payload if isinstance(m, Message))
        if part.get_content_type() == "message/rfc822" or part.is_multipart():
            inner = payload[0] if isinstance(payload, list) and payload else None
            data = inner.as_bytes() if isinstance(inner, Message) else b""
            return _transfer_decoded(data, str(part.get("Content-Transfer-Encoding") or ""))
        try:
            decoded = part.get_payload(decode=True)
        except Exception:
            decoded = None
        if isinstance(decoded, bytes):
            return decoded
        raw = part.get_payload()
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""

    def text(self) -> str:
        found = "\n\n".join(t.strip("\r\n") for t in self.plain if t.strip())
        if not found.strip() and self.htmls:
            found = "\n\n".join(html_to_text(h) for h in self.htmls)
        return storable(found.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")

    def html(self) -> str | None:
        if not self.htmls:
            return None
        return sanitize_html("\n".join(self.htmls)) or None


_EXTENSIONS = {
    "text/plain": "txt",
    "text/html": "html",
    "text/calendar": "ics",
    "message/rfc822": "eml",
    "message/delivery-status": "txt",
    "text/rfc822-headers": "txt",
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
}


def _transfer_decoded(data: bytes, encoding: str) -> bytes:
    """A message/rfc822 part sent base64 or quoted-printable (RFC 2046 forbids it; some do)."""
    encoding = encoding.strip().lower()
    try:
        if encoding == "base64":
            return base64.b64decode(data)
        if encoding == "quoted-printable":
            return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        pass
    return data


def _has_8bit(value: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in value)


def _default_name(ctype: str, n: int) -> str:
    return f"part-{n}.{_EXTENSIONS.get(ctype, 'bin')}"
