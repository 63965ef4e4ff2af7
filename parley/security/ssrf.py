"""The one way Parley calls a URL someone else chose (SSRF guard); see docs/webhooks.md.

``check_url`` vets a URL: its form (scheme, credentials, how the host is written), then every
address its host resolves to. ``fetch`` makes the request against the vetted address itself
(``PinnedTransport``), follows redirects by hand and vets each hop again, under one deadline.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import httpx

from parley.errors import ParleyError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Refused even when private addresses are allowed: cloud metadata services (AWS/GCP/Azure IMDS,
# AWS ECS task metadata, Alibaba, Azure's wire server), "this host" and multicast.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "fd00:ec2::254",
        "169.254.170.2",
        "100.100.100.200",
        "168.63.129.16",
    )
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 3
TIMEOUT_S = 10.0
MAX_ANSWER_BYTES = 65_536
# A host whose last label is a number (decimal or 0x-hex) is an IPv4 address to URL parsers and
# to inet_aton; only the plain dotted quad is accepted, so what we vet is what gets connected to.
_NUMERIC_LABEL = re.compile(r"(?:[0-9]+|0x[0-9a-f]*)", re.IGNORECASE)
_DOTTED_QUAD = re.compile(
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}"
)
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?", re.IGNORECASE)


class UnsafeUrl(ParleyError):
    """A URL Parley will not call. ``permanent``: refused for what the URL *is* (scheme, literal
    address), so retrying cannot help; otherwise for what its host resolved to (DNS may change)."""

    code = "unsafe_url"
    status = 422

    def __init__(self, reason: str, *, permanent: bool = True) -> None:
        super().__init__(f"this URL cannot be called: {reason}", fields={"url": reason})
        self.reason = reason
        self.permanent = permanent


class FetchError(Exception):
    """The request could not be made or finished (DNS, connection, timeout, too many redirects)."""


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> Sequence[str]:
        """Every address ``host`` resolves to (may raise OSError)."""
        ...


class SystemResolver:
    async def resolve(self, host: str, port: int) -> Sequence[str]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class Target:
    """A vetted URL and the addresses it may be connected to."""

    url: httpx.URL
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``ip`` may not be called, or None when it may."""
    embedded = _embedded_ipv4(ip)
    if embedded:
        for inner in embedded:
            reason = refusal(inner, allow_private=allow_private)
            if reason:
                return f"{ip} carries {inner}: {reason}"
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return "a scoped IPv6 address"
    if ip in METADATA:
        return "a cloud metadata address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if allow_private:
        return None
    checks = (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_private, "a private address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT, "a shared (CGNAT) address"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "a site-local address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    return next((why for hit, why in checks if hit), None)


def _embedded_ipv4(ip: IPAddress) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64, compatible)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return ()
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo
    packed = int(ip)
    if any(ip in net for net in NAT64):
        return (ipaddress.IPv4Address(packed & 0xFFFFFFFF),)
    # IPv4-compatible ::a.b.c.d (deprecated); :: and ::1 are judged as themselves.
    if packed >> 32 == 0 and packed > 1:
        return (ipaddress.IPv4Address(packed),)
    return ()


def parse_url(url: str, *, allow_private: bool) -> tuple[httpx.URL, IPAddress | None]:
    """Check what the URL *is* (no DNS): scheme, credentials, host form, a literal address.

    Returns the parsed URL and its literal address, if the host is one.
    """
    if len(url) > 2000 or any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in url):
        raise UnsafeUrl("spaces, control characters and backslashes are not allowed")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise UnsafeUrl(f"not a valid URL ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs can be called")
    if parsed.scheme != "https" and not allow_private:
        raise UnsafeUrl("use https")
    if parsed.userinfo:
        raise UnsafeUrl("credentials in the URL are not allowed")
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise UnsafeUrl("the URL has no host")
    literal = _literal_address(host)
    if literal is not None:
        reason = refusal(literal, allow_private=allow_private)
        if reason:
            raise UnsafeUrl(f"{host} is {reason}")
    return parsed, literal


def _literal_address(host: str) -> IPAddress | None:
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise UnsafeUrl("not a valid IPv6 address") from None
    bare = host.removesuffix(".")
    if _NUMERIC_LABEL.fullmatch(bare.rsplit(".", 1)[-1]):
        if not _DOTTED_QUAD.fullmatch(bare):
            raise UnsafeUrl("write IPv4 addresses as four decimal numbers (a.b.c.d)")
        return ipaddress.IPv4Address(bare)
    if not _HOST_NAME.fullmatch(host):
        raise UnsafeUrl("not a valid host name")
    return None


async def check_url(url: str, *, allow_private: bool, resolver: Resolver | None = None) -> Target:
    """Vet ``url`` and every address its host resolves to (UnsafeUrl, or FetchError on DNS)."""
    parsed, literal = parse_url(url, allow_private=allow_private)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    host = parsed.raw_host.decode("ascii").lower()
    if literal is not None:
        return Target(parsed, host, port, (literal,))
    try:
        found = await (resolver or SystemResolver()).resolve(host, port)
    except OSError as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    addresses: list[IPAddress] = []
    for text in found:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise UnsafeUrl(f"{host} resolves to {text!r}", permanent=False) from None
        reason = refusal(address, allow_private=allow_private)
        if reason:
            # Every address must pass: a client may connect to any of them.
            raise UnsafeUrl(f"{host} resolves to {address}, {reason}", permanent=False)
        addresses.append(address)
    if not addresses:
        raise FetchError(f"{host} has no addresses")
    return Target(parsed, host, port, tuple(addresses))


async def check_url_to_save(
    url: str, *, allow_private: bool, resolver: Resolver | None = None, timeout_s: float = 5.0
) -> None:
    """The check when a URL is saved: like ``check_url``, but a host that cannot be resolved
    right now is accepted (it is checked again before every call)."""
    try:
        async with asyncio.timeout(timeout_s):
            await check_url(url, allow_private=allow_private, resolver=resolver)
    except (FetchError, TimeoutError):
        return


class PinnedTransport(httpx.AsyncBaseTransport):
    """Connects to one vetted address whatever the URL's host resolves to now (no DNS
    rebinding); the Host header and the TLS server name (so certificate checks) stay the name."""

    def __init__(self, address: IPAddress) -> None:
        self.address = address
        # No retries and no environment proxies: a proxy would connect somewhere we did not vet.
        self._inner = httpx.AsyncHTTPTransport(retries=0, trust_env=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        name = request.url.host
        request.url = request.url.copy_with(host=str(self.address))
        if request.url.scheme == "https" and name != str(self.address):
            request.extensions = {**request.extensions, "sni_hostname": name}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    url: str


async def fetch(
    method: str,
    url: str,
    *,
    content: bytes = b"",
    headers: Mapping[str, str] | None = None,
    allow_private: bool,
    resolver: Resolver | None = None,
    timeout_s: float = TIMEOUT_S,
    max_bytes: int = MAX_ANSWER_BYTES,
    transport_for: Callable[[Target], httpx.AsyncBaseTransport] | None = None,
) -> Answer:
    """Make the request through the guard: vet every hop, pin its address, one deadline in all.

    Raises UnsafeUrl (a hop is refused) or FetchError (network trouble, timeout, a redirect loop).
    ``transport_for`` replaces the pinned transport of each vetted hop (tests use MockTransport).
    """
    deadline = time.monotonic() + timeout_s
    try:
        async with asyncio.timeout(timeout_s):
            for hop in range(MAX_REDIRECTS + 1):
                try:
                    target = await check_url(url, allow_private=allow_private, resolver=resolver)
                except UnsafeUrl as exc:
                    if hop:  # a receiver's redirect, not the saved URL: worth trying again
                        exc.permanent = False
                    raise
                transport = (transport_for or _pinned)(target)
                answer = await _send(
                    target,
                    transport,
                    method,
                    content,
                    headers or {},
                    deadline - time.monotonic(),
                    max_bytes,
                )
                location = answer.headers.get("location")
                if answer.status not in REDIRECTS or not location:
                    return answer
                url = str(target.url.join(location))
                if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
                    # Browsers' behaviour: continue as GET without the body.
                    method, content = "GET", b""
                    headers = {
                        k: v for k, v in (headers or {}).items() if k.lower() != "content-type"
                    }
    except TimeoutError:
        raise FetchError(f"no complete answer within {timeout_s:g} s") from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _pinned(target: Target) -> httpx.AsyncBaseTransport:
    return PinnedTransport(target.addresses[0])


async def _send(
    target: Target,
    transport: httpx.AsyncBaseTransport,
    method: str,
    content: bytes,
    headers: Mapping[str, str],
    timeout_s: float,
    max_bytes: int,
) -> Answer:
    # A client per hop: no connection is reused across hosts, nothing is read from the environment.
    async with httpx.AsyncClient(
        transport=transport, trust_env=False, follow_redirects=False, timeout=max(timeout_s, 0.01)
    ) as client:
        try:
            stream = client.stream(method, target.url, content=content, headers=headers)
            async with stream as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= max_bytes:
                        break
                status, answer_headers = response.status_code, response.headers
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
    return Answer(status, answer_headers, bytes(body[:max_bytes]), str(target.url))
