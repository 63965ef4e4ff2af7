"""Decoding what mail clients actually send: any charset, RFC 2047 words, raw 8-bit headers. Pure.

Nothing here raises on bad input. A declared charset that Python does not know, or that the bytes
do not match, falls back to UTF-8, then (for unlabelled or "ASCII" mail) to Windows-1252, which
is what "iso-8859-1" and unlabelled Western mail usually is, and last to the declared charset with
replacement characters.
"""

from __future__ import annotations

import codecs
import html
import re
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses

import nh3

# Labels mail clients use that Python does not know, or knows under a narrower codec.
CHARSET_ALIASES = {
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-mac-roman": "mac-roman",
}
UNKNOWN = frozenset({"", "unknown", "unknown-8bit", "x-unknown", "default", "8bit", "binary"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")


def codec(charset: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when unknown."""
    label = (charset or "").strip().strip("\"'").lower()
    if label in UNKNOWN:
        return None
    label = CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in a declared (possibly wrong or unknown) charset as text. Never raises."""
    declared = codec(charset)
    # Unlabelled or "ASCII"/UTF-8 mail that is not UTF-8 is almost always Windows-1252; mail in a
    # real legacy charset with a few bad bytes is better kept in that charset, with U+FFFD.
    western = declared in (None, "utf-8")
    for name in (declared, "utf-8", "cp1252" if western else None):
        if name is None:
            continue
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(declared or "cp1252", errors="replace")


def storable(value: str) -> str:
    """Text the databases accept: no NUL (PostgreSQL refuses it), no lone surrogates."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def one_line(value: str, limit: int = 998) -> str:
    """A header value as one clean line: no control characters, no CR/LF, single spaces."""
    return _SPACE.sub(" ", _CONTROL.sub("", storable(value))).strip()[:limit]


def _unescape_8bit(raw: str, fallback: str | None) -> str:
    """compat32 keeps raw 8-bit header bytes as surrogates; decode them as UTF-8 (RFC 6532) or,
    failing that, as the body's charset (what older clients wrote)."""
    if not any("\udc80" <= c <= "\udcff" for c in raw):
        return raw
    data = raw.encode("ascii", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(data, fallback)


def raw_headers(message: Message, name: str, *, charset: str | None = None) -> list[str]:
    """Every value of a header as stored, 8-bit bytes decoded (compat32's ``get`` would turn
    them into a Header object that prints as replacement characters)."""
    wanted = name.lower()
    try:
        values = [v for k, v in message.raw_items() if k.lower() == wanted]
    except Exception:
        return []
    return [_unescape_8bit(str(v), charset) for v in values]


def header_text(message: Message, name: str, *, charset: str | None = None) -> str:
    """A header decoded to one line of text ('' when absent), RFC 2047 words included."""
    values = raw_headers(message, name, charset=charset)
    return one_line(decode_words(values[0])) if values else ""


def all_headers(message: Message, name: str, *, charset: str | None = None) -> list[str]:
    return [decode_words(v) for v in raw_headers(message, name, charset=charset)]


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words, whatever charset they name."""
    try:
        chunks = decode_header(value)
    except Exception:
        return value
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
        elif charset is None:
            parts.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            parts.append(decode_bytes(chunk, charset))
    return "".join(parts)


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(name, address) pairs from decoded address headers, addresses lower-cased, bad ones dropped.

    Names are decoded before splitting, so a decoded name containing a comma is re-quoted first.
    """
    found: list[tuple[str, str]] = []
    flat = [v.replace("\r", " ").replace("\n", " ") for v in values]
    try:
        pairs = getaddresses(flat)
    except Exception:
        pairs = []
    for name, address in pairs:
        address = one_line(address, 320).strip("<>").lower()
        if _ADDRESS.fullmatch(address):
            found.append((one_line(decode_words(name), 200).strip("\"' "), address))
    if not found:
        # "Big Bug bb@bug.com": no brackets, no quotes. Take what looks like an address.
        for value in flat:
            found += [("", a.lower()) for a in _ADDRESS.findall(value)]
    return found


_ADDRESS = re.compile(r"[^\s<>\"(),;:@]+@[^\s<>\"(),;:@]+\.?[^\s<>\"(),;:@]*")


# Message ids: <local@domain>. Clients mangle them (missing brackets, comments, commas, folding).
_ID = re.compile(r"<([^<>\s]{1,400})>")


def message_ids(value: str) -> list[str]:
    """Every message id in a header value, normalized to ``<id>``, in order, without duplicates."""
    ids = _ID.findall(value)
    if not ids:
        ids = [t.strip("<>,;()\"'") for t in re.split(r"[\s,;]+", value) if "@" in t]
    out: list[str] = []
    for found in ids:
        cleaned = one_line(found, 400).strip("<>")
        if cleaned and f"<{cleaned}>" not in out:
            out.append(f"<{cleaned}>")
    return out


# HTML from mail is untrusted: nh3 (ammonia) keeps formatting and drops scripts, handlers, styles
# and every URL scheme but these. "cid:" lets inline images be shown from their stored parts.
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})
MAX_HTML_CHARS = 1_000_000


def sanitize_html(raw: str) -> str:
    return storable(
        nh3.clean(
            raw[:MAX_HTML_CHARS], url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer"
        )
    )


_BLOCK = re.compile(r"(?i)<\s*(br|/p|/div|/tr|/li|/h[1-6]|/blockquote)\b[^>]*>")


def html_to_text(raw: str) -> str:
    """Readable text from an HTML-only message (tags dropped, entities decoded, script-free)."""
    spaced = _BLOCK.sub(lambda m: m.group(0) + "\n", raw[:MAX_HTML_CHARS])
    stripped = html.unescape(nh3.clean(spaced, tags=set()))
    lines = [_SPACE.sub(" ", line).strip() for line in stripped.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return storable(text).strip()
