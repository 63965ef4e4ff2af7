"""ssrf-all-fetchers, unit level: ``parley.security.ssrf`` with private addresses NOT allowed.

DNS is a fake resolver (the ``Resolver`` protocol); requests go to httpx's MockTransport, or to the
provider sandbox on 127.0.0.1 where a test must really connect (then with private addresses allowed,
as in the test settings).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import httpx
import pytest

from parley.security import ssrf
from tests.providers import RunningSandbox
from tests.providers.webhooks import answer, calls, receiver_url

PUBLIC_IP = "93.184.216.34"


class FakeResolver:
    """Answers from a table; counts lookups (a pinned fetch must not need a second one)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def resolve(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append(host)
        if host not in self.table:
            raise OSError(f"NXDOMAIN {host}")
        return self.table[host]


async def check(url: str, table: dict[str, list[str]] | None = None) -> ssrf.Target:
    return await ssrf.check_url(url, allow_private=False, resolver=FakeResolver(table or {}))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://127.0.0.2:8443/x",
        "https://10.0.0.1/",
        "https://10.255.255.254/",
        "https://172.16.0.1/",
        "https://172.31.255.255/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://169.254.1.1/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://192.0.2.10/",
        "https://[::1]/",
        "https://[::]/",
        "https://[fc00::1]/",
        "https://[fd12:3456::1]/",
        "https://[fd00:ec2::254]/",
        "https://[fe80::1]/",
        "https://[fec0::1]/",
        "https://[ff02::1]/",
        "https://[2001:db8::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:a9fe:a9fe]/",
        "https://[::ffff:10.0.0.1]/",
        "https://[2002:7f00:1::]/",
        "https://[2002:c0a8:0101::1]/",
        "https://[64:ff9b::a9fe:a9fe]/",
        "https://[64:ff9b::10.0.0.1]/",
        "https://[::10.0.0.1]/",
        "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",
    ],
)
async def test_literal_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(ssrf.UnsafeUrl) as refused:
        await check(url)
    assert refused.value.permanent, "a literal address is what the URL is: never worth a retry"
    assert refused.value.status == 422 and refused.value.code == "unsafe_url"
    assert set(refused.value.fields) == {"url"}


@pytest.mark.parametrize(
    "url",
    [
        "https://2130706433/",  # decimal 127.0.0.1
        "https://0x7f000001/",  # hex
        "https://0x7f.1/",
        "https://0177.0.0.1/",  # octal
        "https://127.1/",  # short form
        "https://127.0.1/",
        "https://017700000001/",
        "https://10.1/",
        "https://1.2.3.04/",  # a leading zero reads as octal to inet_aton
        "https://3232235777/",  # 192.168.1.1
    ],
)
async def test_ipv4_written_other_than_a_dotted_quad_is_refused(url: str) -> None:
    resolver = FakeResolver({})
    with pytest.raises(ssrf.UnsafeUrl) as refused:
        await ssrf.check_url(url, allow_private=False, resolver=resolver)
    assert refused.value.permanent
    assert resolver.lookups == [], "a numeric host must never reach the resolver"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/", "https"),
        ("ftp://hooks.example.com/", "http and https"),
        ("file:///etc/passwd", "http and https"),
        ("gopher://hooks.example.com/", "http and https"),
        ("https://user:pw@hooks.example.com/", "credentials"),
        ("https://user@hooks.example.com/", "credentials"),
        ("https:///path", "no host"),
        ("https://hooks.example.com\\@127.0.0.1/", "backslash"),
        ("https://hooks.example.com /", "spaces"),
        ("https://[fe80::1%25eth0]/", "IPv6"),
        ("not a url", "spaces"),
    ],
)
async def test_bad_url_forms_are_refused(url: str, why: str) -> None:
    with pytest.raises(ssrf.UnsafeUrl) as refused:
        await check(url, {"hooks.example.com": [PUBLIC_IP]})
    assert why in refused.value.reason
    assert refused.value.permanent


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["10.1.2.3"],
        ["172.20.0.5"],
        ["192.168.0.10"],
        ["169.254.169.254"],
        ["::1"],
        ["fd00::5"],
        ["::ffff:192.168.0.1"],
        [PUBLIC_IP, "10.0.0.7"],  # one bad address among good ones is enough
        ["2606:2800:220:1::1", "fc00::1"],
    ],
)
async def test_a_host_resolving_to_a_private_address_is_refused(addresses: list[str]) -> None:
    with pytest.raises(ssrf.UnsafeUrl) as refused:
        await check("https://hooks.example.com/in", {"hooks.example.com": addresses})
    assert "resolves to" in refused.value.reason
    # What a name resolves to may change: a delivery refused this way is retried.
    assert refused.value.permanent is False


async def test_public_addresses_pass_and_are_returned_for_pinning() -> None:
    target = await check(
        "https://Hooks.Example.com:8443/in?x=1",
        {"hooks.example.com": [PUBLIC_IP, "2606:2800:220:1::1"]},
    )
    assert target.host == "hooks.example.com" and target.port == 8443
    assert target.addresses == (
        ipaddress.ip_address(PUBLIC_IP),
        ipaddress.ip_address("2606:2800:220:1::1"),
    )
    literal = await check("https://8.8.8.8/x")
    assert literal.addresses == (ipaddress.ip_address("8.8.8.8"),)
    # IPv4 hidden in IPv6 is judged as the IPv4 it carries: a public one passes.
    assert (await check("https://[::ffff:8.8.8.8]/")).addresses


async def test_metadata_unspecified_and_multicast_are_refused_even_when_private_is_allowed() -> (
    None
):
    resolver = FakeResolver({"meta.internal": ["169.254.169.254"]})
    for url in (
        "http://169.254.169.254/",
        "http://169.254.170.2/v2/credentials",
        "http://100.100.100.200/",
        "http://168.63.129.16/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://0.0.0.0:8000/",
        "http://[::]/",
        "http://239.1.1.1/",
        "http://meta.internal/",
    ):
        with pytest.raises(ssrf.UnsafeUrl):
            await ssrf.check_url(url, allow_private=True, resolver=resolver)
    # ...while loopback and private addresses are then fine (tests and labs).
    for url in ("http://127.0.0.1:8000/", "http://10.0.0.1/", "http://[::1]/"):
        assert await ssrf.check_url(url, allow_private=True, resolver=resolver)


async def test_an_unresolvable_host_is_a_fetch_error_and_is_accepted_when_saving() -> None:
    resolver = FakeResolver({})
    with pytest.raises(ssrf.FetchError):
        await ssrf.check_url("https://nowhere.example/", allow_private=False, resolver=resolver)
    await ssrf.check_url_to_save("https://nowhere.example/", allow_private=False, resolver=resolver)
    with pytest.raises(ssrf.UnsafeUrl):
        await ssrf.check_url_to_save("https://10.0.0.1/", allow_private=False, resolver=resolver)


async def test_a_redirect_to_a_private_address_is_refused_and_not_followed() -> None:
    seen: list[str] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(307, headers={"location": "https://internal.example/admin"})

    resolver = FakeResolver({"hooks.example.com": [PUBLIC_IP], "internal.example": ["10.0.0.5"]})
    with pytest.raises(ssrf.UnsafeUrl) as refused:
        await ssrf.fetch(
            "POST",
            "https://hooks.example.com/in",
            content=b"{}",
            allow_private=False,
            resolver=resolver,
            transport_for=lambda target: httpx.MockTransport(receiver),
        )
    assert "resolves to 10.0.0.5" in refused.value.reason
    assert not refused.value.permanent  # the receiver's answer, not the saved URL, was at fault
    assert seen == ["https://hooks.example.com/in"]

    for location in ("http://127.0.0.1/", "https://[::1]/", "https://2130706433/"):
        seen.clear()

        def redirecting(request: httpx.Request, to: str = location) -> httpx.Response:
            seen.append(str(request.url))
            return httpx.Response(302, headers={"location": to})

        with pytest.raises(ssrf.UnsafeUrl):
            await ssrf.fetch(
                "POST",
                "https://hooks.example.com/in",
                allow_private=False,
                resolver=resolver,
                transport_for=lambda target, r=redirecting: httpx.MockTransport(r),  # type: ignore[misc]
            )
        assert len(seen) == 1


async def test_redirects_are_followed_by_hand_at_most_three_times() -> None:
    seen: list[tuple[str, str, bytes]] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, request.content))
        hop = int(request.url.path.rsplit("/", 1)[-1])
        status = {0: 303, 1: 307}.get(hop, 308)
        return httpx.Response(status, headers={"location": f"/hop/{hop + 1}"})

    resolver = FakeResolver({"hooks.example.com": [PUBLIC_IP]})
    with pytest.raises(ssrf.FetchError, match="more than 3 redirects"):
        await ssrf.fetch(
            "POST",
            "https://hooks.example.com/hop/0",
            content=b'{"a":1}',
            headers={"content-type": "application/json"},
            allow_private=False,
            resolver=resolver,
            transport_for=lambda target: httpx.MockTransport(receiver),
        )
    # 303 continues as GET without the body; 307/308 keep the method (here: GET by then).
    assert seen == [
        ("POST", "/hop/0", b'{"a":1}'),
        ("GET", "/hop/1", b""),
        ("GET", "/hop/2", b""),
        ("GET", "/hop/3", b""),
    ]
    assert resolver.lookups == ["hooks.example.com"] * 4  # every hop is checked again


async def test_pinned_transport_connects_to_the_vetted_address_keeping_the_host_name(
    provider_sandbox: RunningSandbox,
) -> None:
    """``receiver.test`` exists in no real DNS: the request can only arrive through the pin."""
    sandbox = provider_sandbox.sandbox
    port = httpx.URL(sandbox.url).port
    resolver = FakeResolver({"receiver.test": ["127.0.0.1"]})
    got = await ssrf.fetch(
        "POST",
        f"http://receiver.test:{port}/webhooks/pinned",
        content=b"hello",
        allow_private=True,
        resolver=resolver,
    )
    assert got.status == 200 and got.body == b"ok"
    (call,) = calls(sandbox, "pinned")
    assert call.headers["host"] == f"receiver.test:{port}"
    assert call.body == b"hello"


async def test_a_live_redirect_to_the_metadata_address_is_refused(
    provider_sandbox: RunningSandbox,
) -> None:
    sandbox = provider_sandbox.sandbox
    answer(sandbox, "to-metadata", 302, headers={"location": "http://169.254.169.254/latest/"})
    with pytest.raises(ssrf.UnsafeUrl, match="metadata"):
        await ssrf.fetch("POST", receiver_url(sandbox, "to-metadata"), allow_private=True)
    assert len(calls(sandbox, "to-metadata")) == 1


async def test_slow_receivers_time_out_and_answers_are_bounded(
    provider_sandbox: RunningSandbox,
) -> None:
    sandbox = provider_sandbox.sandbox
    with pytest.raises(ssrf.FetchError, match=r"within 0\.3 s"):
        await ssrf.fetch(
            "POST", receiver_url(sandbox, "slow") + "/slow?s=2", allow_private=True, timeout_s=0.3
        )
    answer(sandbox, "big", 200, body="x" * 100_000)
    got = await ssrf.fetch("GET", receiver_url(sandbox, "big"), allow_private=True, max_bytes=1000)
    assert got.body == b"x" * 1000
