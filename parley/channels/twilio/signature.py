"""X-Twilio-Signature: HMAC-SHA1 over the URL Twilio called and its sorted POST parameters.

The rules follow Twilio's own validator (twilio-python ``RequestValidator``), checked against its
official test vectors:

- the string signed is the full URL (with its query) followed by every parameter as name + value,
  names sorted, and for a name sent several times each *distinct* value, sorted;
- Twilio is inconsistent about ports, so a URL is accepted when the signature matches it with the
  port removed or with the scheme's default port added;
- a JSON body is not signed as parameters: Twilio adds ``bodySHA256`` (hex SHA-256 of the raw
  body) to the query, signs the URL alone, and the body must match that hash.

Twilio sends no timestamp, so a valid signature can be replayed; the pipeline's dedupe on the
provider's id (MessageSid, CallSid) is what makes a replay harmless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit, urlunsplit

Params = Sequence[tuple[str, str]]

_DEFAULT_PORTS = {"https": 443, "http": 80}


def compute_signature(auth_token: str, url: str, params: Params = ()) -> str:
    """The X-Twilio-Signature Twilio would send for ``url`` and form ``params``."""
    payload = url
    for name in sorted({name for name, _ in params}):
        for value in sorted({value for key, value in params if key == name}):
            payload += name + value
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def url_variants(url: str) -> tuple[str, str]:
    """(without port, with the scheme's default port), as Twilio's validator tries them."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    without = urlunsplit(parts._replace(netloc=prefix + host))
    if parts.port is not None:
        return without, url
    port = _DEFAULT_PORTS.get(parts.scheme, 80)
    return without, urlunsplit(parts._replace(netloc=f"{prefix}{host}:{port}"))


def body_hash_ok(url: str, body: bytes) -> bool | None:
    """For a JSON webhook: whether ``bodySHA256`` in the URL matches the body (None: no hash)."""
    sent = parse_qs(urlsplit(url).query).get("bodySHA256")
    if not sent:
        return None
    return hmac.compare_digest(hashlib.sha256(body).hexdigest(), sent[0])


def is_valid(auth_token: str, url: str, params: Params, signature: str, body: bytes = b"") -> bool:
    """Whether ``signature`` is Twilio's for this request. ``params`` are the form fields."""
    if not auth_token or not signature:
        return False
    hashed = body_hash_ok(url, body)
    if hashed is False:
        return False
    signed_params: Params = () if hashed else params
    return any(
        hmac.compare_digest(compute_signature(auth_token, variant, signed_params), signature)
        for variant in url_variants(url)
    )
